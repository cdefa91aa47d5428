import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_NOT_FOUND } from '../src/mcp/resources';
import { encodePng } from '../src/storage/png';
import { sniffImage } from '../src/storage/sniff';
import { insertJob, insertStoredImage } from './helpers/fixtures';
import { BASE } from './helpers/mcp';
import { rpcError, sdkClient, sdkClientAs } from './helpers/sdk-client';

const VIEW_TEMPLATE = 'image://{job_id}/{index}/view{?width,height,fit,format,quality}';
const METADATA_TEMPLATE = 'image://{job_id}/{index}/metadata';

let client: Client;

beforeAll(async () => {
	client = await sdkClient();
});

function fromBase64(text: string): Uint8Array {
	return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/** generate_image_and_wait through the client; the finished job's structuredContent. */
async function generated(on: Client, args: Record<string, unknown>): Promise<Record<string, unknown>> {
	const result = (await on.callTool({ name: 'generate_image_and_wait', arguments: args })) as CallToolResult;
	expect(result.isError, JSON.stringify(result.content[0])).toBeUndefined();
	return result.structuredContent as Record<string, unknown>;
}

/** A completed job of `owner` with a stored 64×48 PNG, inserted straight into D1 and R2. */
async function storedImage(owner = 'default') {
	return (await insertStoredImage(await encodePng(new Uint8Array(64 * 48 * 3).fill(200), 64, 48), { owner })).job;
}

async function readBlob(on: Client, uri: string) {
	const { contents } = await on.readResource({ uri });
	expect(contents).toHaveLength(1);
	const [content] = contents as { uri: string; mimeType: string; blob: string }[];
	return { ...content!, bytes: fromBase64(content!.blob) };
}

describe('the view resource', () => {
	it.each([
		['', 'image/webp', 320, 240],
		['?width=160', 'image/webp', 160, 120],
		['?height=60&quality=100', 'image/webp', 80, 60],
		['?width=100&format=png', 'image/png', 100, 75],
		['?width=64&height=64&fit=cover&format=jpeg&quality=40', 'image/jpeg', 64, 64],
		['?width=50&height=80&fit=crop&format=jpg', 'image/jpeg', 50, 80],
		['?width=100&height=100&fit=contain', 'image/webp', 100, 75],
		['?width=1000&height=1000&fit=scale-down', 'image/webp', 320, 240],
		['?width=4096&height=1&fit=cover&format=png', 'image/png', 4096, 1],
	])('reads view%s of a 320×240 PNG as %s, %i×%i, decoded from the bytes', async (query, type, width, height) => {
		const job = await generated(client, { prompt: 'a tram in the rain', width: 320, height: 240 });
		const uri = `image://${job.job_id}/0/view${query}`;
		const read = await readBlob(client, uri);
		expect(read).toMatchObject({ uri, mimeType: type });
		expect(sniffImage(read.bytes)).toMatchObject({ contentType: type, width, height });
	});

	it('reads format=avif as an AVIF file (ISO BMFF, brand avif)', async () => {
		const job = await generated(client, { prompt: 'a lemon', width: 128, height: 96 });
		const read = await readBlob(client, `image://${job.job_id}/0/view?format=avif&width=64`);
		expect(read.mimeType).toBe('image/avif');
		expect(new TextDecoder().decode(read.bytes.slice(4, 12))).toMatch(/^ftypavi[fs]$/);
	});

	it.each([
		['?width=0', 'width: "0" is not allowed; give a whole number from 1 to 4096.'],
		['?width=99999', 'width: "99999" is not allowed; give a whole number from 1 to 4096.'],
		['?width=4097', 'width: "4097" is not allowed; give a whole number from 1 to 4096.'],
		['?height=1.5', 'height: "1.5" is not allowed; give a whole number from 1 to 4096.'],
		['?height=', 'height: "" is not allowed; give a whole number from 1 to 4096.'],
		['?quality=0', 'quality: "0" is not allowed; give a whole number from 1 to 100.'],
		['?quality=101', 'quality: "101" is not allowed; give a whole number from 1 to 100.'],
		['?fit=bogus', 'fit: "bogus" is not allowed; give one of cover, contain, scale-down, crop.'],
		['?format=gif', 'format: "gif" is not allowed; give one of png, jpeg, jpg, webp, avif.'],
		['?format=bmp', 'format: "bmp" is not allowed; give one of png, jpeg, jpg, webp, avif.'],
		['?w=10', '"w" is not a transform parameter. Allowed: width, height, fit, quality, format.'],
	])('refuses view%s with -32602 naming what is allowed', async (query, message) => {
		const job = await storedImage();
		const error = await rpcError(client.readResource({ uri: `image://${job.id}/0/view${query}` }));
		expect(error.code).toBe(ErrorCode.InvalidParams);
		expect(error.message).toContain(`uri: ${message}`);
	});

	it.each(['/thumb', '/metadata?pretty=1', '?width=10', '/view/extra'])(
		'refuses image://<job_id>/0%s with -32602 listing the image URI forms',
		async (tail) => {
			const job = await storedImage();
			const error = await rpcError(client.readResource({ uri: `image://${job.id}/0${tail}` }));
			expect(error.code).toBe(ErrorCode.InvalidParams);
			expect(error.message).toContain('image://<job_id>/<index>/view?');
			expect(error.message).toContain('image://<job_id>/<index>/metadata');
		},
	);
});

describe.each(['view', 'metadata'])('the %s resource of an image that is not there', (kind) => {
	it("answers another user's image exactly as a made-up one: -32002", async () => {
		const owner = `owner-${crypto.randomUUID()}@example.com`;
		const theirs = await storedImage(owner);
		const madeUp = crypto.randomUUID();
		const stranger = await sdkClientAs(`stranger-${crypto.randomUUID()}@example.com`);
		const foreign = await rpcError(stranger.readResource({ uri: `image://${theirs.id}/0/${kind}` }));
		const unknown = await rpcError(stranger.readResource({ uri: `image://${madeUp}/0/${kind}` }));
		expect(foreign.code).toBe(RESOURCE_NOT_FOUND);
		expect(unknown.code).toBe(RESOURCE_NOT_FOUND);
		expect(foreign.message.replaceAll(theirs.id, '<id>')).toBe(unknown.message.replaceAll(madeUp, '<id>'));
		// The owner reads it.
		const as = await sdkClientAs(owner);
		expect((await as.readResource({ uri: `image://${theirs.id}/0/${kind}` })).contents).toHaveLength(1);
	});

	it('says a deleted image was deleted (-32002)', async () => {
		const job = await storedImage();
		const deleted = (await client.callTool({
			name: 'delete_image',
			arguments: { image: `image://${job.id}/0` },
		})) as CallToolResult;
		expect(deleted.isError).toBeUndefined();
		const error = await rpcError(client.readResource({ uri: `image://${job.id}/0/${kind}` }));
		expect(error.code).toBe(RESOURCE_NOT_FOUND);
		expect(error.message).toContain('Deleted by its owner');
	});

	it.each(['pending', 'processing'] as const)('says a %s job is not finished (-32002)', async (status) => {
		const job = await insertJob({ status });
		const error = await rpcError(client.readResource({ uri: `image://${job.id}/0/${kind}` }));
		expect(error.code).toBe(RESOURCE_NOT_FOUND);
		expect(error.message).toContain(`Job ${job.id} is not finished yet (${status})`);
		expect(error.message).toContain('wait_for_completion');
	});

	it('says a failed job has no images, and a completed one has none at that index (-32002)', async () => {
		const failed = await insertJob({ status: 'failed', error: 'refused' });
		const failedError = await rpcError(client.readResource({ uri: `image://${failed.id}/0/${kind}` }));
		expect(failedError.code).toBe(RESOURCE_NOT_FOUND);
		expect(failedError.message).toContain(`Job ${failed.id} failed, so it has no images.`);
		const done = await storedImage();
		const beyond = await rpcError(client.readResource({ uri: `image://${done.id}/3/${kind}` }));
		expect(beyond.code).toBe(RESOURCE_NOT_FOUND);
		expect(beyond.message).toContain(`Job ${done.id} has no image at index 3`);
	});
});

describe('the metadata resource', () => {
	it('tells how the image was made: prompt, model, seed, size, steps, negative prompt, references, cost, times, URLs', async () => {
		const reference = await generated(client, { prompt: 'a red door', width: 64, height: 64 });
		const job = await generated(client, {
			prompt: 'the same door, painted blue',
			width: 96,
			height: 80,
			seed: 1234,
			steps: 6,
			negative_prompt: 'blur',
			guidance: 5,
			strength: 0.5,
			reference_images: [reference.job_id],
		});
		const uri = `image://${job.job_id}/0/metadata`;
		const { contents } = await client.readResource({ uri });
		expect(contents).toEqual([{ uri, mimeType: 'application/json', text: expect.any(String) }]);
		const metadata = JSON.parse((contents[0] as { text: string }).text);
		const view = (job.results as { created_at: string; completed_at: string; images: { bytes: number }[] }[])[0]!;
		expect(metadata).toEqual({
			job_id: job.job_id,
			index: 0,
			prompt: 'the same door, painted blue',
			model: 'offline',
			seed: 1234,
			width: 96,
			height: 80,
			content_type: 'image/png',
			bytes: view.images[0]!.bytes,
			steps: 6,
			negative_prompt: 'blur',
			reference_images: [`image://${reference.job_id}/0`],
			options: { guidance: 5, strength: 0.5 },
			estimated_cost_usd: 0,
			created_at: view.created_at,
			completed_at: view.completed_at,
			image_url: `${BASE}/images/${job.job_id}/0.png`,
			markdown: `![the same door, painted blue](${BASE}/images/${job.job_id}/0.png)`,
			resource_uri: `image://${job.job_id}/0`,
			view_uri: `image://${job.job_id}/0/view`,
		});
	});
});

describe('resources/templates/list and completion', () => {
	it('lists the view and metadata templates with what their parameters take', async () => {
		const { resourceTemplates } = await client.listResourceTemplates();
		const view = resourceTemplates.find((template) => template.uriTemplate === VIEW_TEMPLATE);
		expect(view?.description).toContain('cover, contain, scale-down, crop');
		expect(view?.description).toContain('png, jpeg, jpg, webp, avif');
		expect(view?.description).toContain('1–4096');
		expect(resourceTemplates.find((template) => template.uriTemplate === METADATA_TEMPLATE)).toMatchObject({
			mimeType: 'application/json',
		});
	});

	it("completes job_id and index on both templates from the caller's images, and fit and format on the view", async () => {
		const job = await storedImage();
		await storedImage(`other-${crypto.randomUUID()}@example.com`);
		const complete = async (uri: string, name: string, value: string, args?: Record<string, string>) =>
			(
				await client.complete({
					ref: { type: 'ref/resource', uri },
					argument: { name, value },
					...(args ? { context: { arguments: args } } : {}),
				})
			).completion.values;
		for (const template of [VIEW_TEMPLATE, METADATA_TEMPLATE]) {
			expect(await complete(template, 'job_id', '')).toEqual([job.id]);
			expect(await complete(template, 'index', '', { job_id: job.id })).toEqual(['0']);
		}
		expect(await complete(VIEW_TEMPLATE, 'fit', '')).toEqual(['cover', 'contain', 'scale-down', 'crop']);
		expect(await complete(VIEW_TEMPLATE, 'fit', 'c')).toEqual(['cover', 'contain', 'crop']);
		expect(await complete(VIEW_TEMPLATE, 'format', '')).toEqual(['png', 'jpeg', 'jpg', 'webp', 'avif']);
		expect(await complete(VIEW_TEMPLATE, 'format', 'J')).toEqual(['jpeg', 'jpg']);
		expect(await complete(VIEW_TEMPLATE, 'width', '')).toEqual([]);
		expect(await complete(METADATA_TEMPLATE, 'fit', '')).toEqual([]);
	});
});
