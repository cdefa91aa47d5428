/**
 * Inline previews in tool results (DESIGN.md §5): an `image` block per finished image, after the
 * JSON text and before the resource_links, within the caps of src/tools/previews.ts, turned off
 * by `preview: "none"` or the PREVIEWS var. Real local D1, R2, Queues and Images binding: the
 * offline provider draws the originals, the binding makes the WebP previews.
 */
import { env } from 'cloudflare:workers';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../src/storage/png';
import { PREVIEW_MAX_EDGE } from '../src/storage/previews';
import { sniffImage } from '../src/storage/sniff';
import type { InlinePreview } from '../src/tools/context';
import { MAX_PREVIEW_BASE64_PER_RESULT, MAX_PREVIEWS_PER_RESULT, selectPreviews } from '../src/tools/previews';
import { insertJob, insertStoredImage } from './helpers/fixtures';
import { callTool, postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';
import { sdkClient } from './helpers/sdk-client';

function fromBase64(text: string): Uint8Array {
	return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function blockTypes(result: ToolResult | CallToolResult): string[] {
	return result.content.map((block) => block.type);
}

function imageBlocks(result: ToolResult): { data: string; mimeType: string }[] {
	return result.content.filter((block) => block.type === 'image') as { data: string; mimeType: string }[];
}

/** The stored preview of `<jobId>/<index>`, as the result's base64 should carry it. */
async function storedPreview(jobId: string, index = 0): Promise<string | undefined> {
	const object = await env.IMAGES.get(`${jobId}/${index}/preview.webp`);
	if (!object) return undefined;
	return btoa(String.fromCharCode(...new Uint8Array(await object.arrayBuffer())));
}

/** A completed job of the local principal with one stored image of `bytes` (and optionally its preview). */
async function storedImage(bytes: Uint8Array, preview?: Uint8Array, createdAt = Date.now()) {
	return (await insertStoredImage(bytes, { preview, createdAt })).job;
}

async function grey(width: number, height: number): Promise<Uint8Array> {
	return encodePng(new Uint8Array(width * height * 3).fill(128), width, height);
}

describe('the preview block of a finished image', () => {
	it('comes after the JSON text and before the link: a WebP of longest edge 512, the one kept in R2', async () => {
		const result = await callTool('generate_image_and_wait', { prompt: 'a wide harbour', width: 1024, height: 768 });
		expect(result.isError).toBeUndefined();
		expect(blockTypes(result)).toEqual(['text', 'image', 'resource_link']);
		const json = textJson(result);
		const [block] = imageBlocks(result);
		expect(block?.mimeType).toBe('image/webp');
		const preview = sniffImage(fromBase64(block!.data));
		expect(preview).toMatchObject({ contentType: 'image/webp', width: PREVIEW_MAX_EDGE, height: 384 });
		// Made once and kept beside the original; the next result reads it back.
		expect(block!.data).toBe(await storedPreview(String(json.job_id)));
		const again = await callTool('get_job_status', { job_id: json.job_id });
		expect(blockTypes(again)).toEqual(['text', 'image', 'resource_link']);
		expect(imageBlocks(again)[0]?.data).toBe(block!.data);
	});

	it('never puts base64 in structuredContent or the JSON text', async () => {
		const result = await callTool('generate_image_and_wait', { prompt: 'a small boat', width: 96, height: 64 });
		const [block] = imageBlocks(result);
		expect(block?.data.length).toBeGreaterThan(100);
		expect(JSON.stringify(result.structuredContent)).not.toContain(block!.data.slice(0, 64));
		expect(result.content[0]?.text).not.toContain(block!.data.slice(0, 64));
		expect(JSON.stringify(result.structuredContent)).not.toMatch(/base64|UklGR/);
	});

	it('keeps a small original at its own size', async () => {
		const result = await callTool('generate_image_and_wait', { prompt: 'a stamp', width: 200, height: 120 });
		const preview = sniffImage(fromBase64(imageBlocks(result)[0]!.data));
		expect(preview).toMatchObject({ contentType: 'image/webp', width: 200, height: 120 });
	});

	it('shows on get_job_status only once the job completed', async () => {
		const pending = await insertJob();
		expect(blockTypes(await callTool('get_job_status', { job_id: pending.id }))).toEqual(['text']);
		const stored = await storedImage(await grey(600, 300));
		const status = await callTool('get_job_status', { job_id: stored.id });
		expect(blockTypes(status)).toEqual(['text', 'image', 'resource_link']);
		expect(sniffImage(fromBase64(imageBlocks(status)[0]!.data))).toMatchObject({ width: 512, height: 256 });
	});

	it('is left out, with the link kept, when the original cannot be decoded or is gone', async () => {
		const broken = await storedImage(new Uint8Array([1, 2, 3]));
		const gone = await storedImage(await grey(64, 48));
		await env.IMAGES.delete(`${gone.id}/0`);
		const fine = await storedImage(await grey(64, 48));
		const result = await callTool('wait_for_completion', { job_ids: [broken.id, gone.id, fine.id] });
		expect(result.isError).toBeUndefined();
		expect(blockTypes(result)).toEqual(['text', 'image', 'resource_link', 'resource_link', 'resource_link']);
		expect(imageBlocks(result)[0]?.data).toBe(await storedPreview(fine.id));
		expect(await env.IMAGES.head(`${broken.id}/0/preview.webp`)).toBeNull();
	});
});

describe('the caps', () => {
	it(`carries ${MAX_PREVIEWS_PER_RESULT} previews for ${MAX_PREVIEWS_PER_RESULT} images, in the images' order`, async () => {
		const result = await callTool('generate_image_and_wait', {
			prompt: 'four tiles',
			count: MAX_PREVIEWS_PER_RESULT,
			width: 64,
			height: 64,
		});
		const json = textJson(result);
		expect(blockTypes(result)).toEqual([
			'text',
			...Array(MAX_PREVIEWS_PER_RESULT).fill('image'),
			...Array(MAX_PREVIEWS_PER_RESULT).fill('resource_link'),
		]);
		const expected = await Promise.all((json.job_ids as string[]).map((id) => storedPreview(id)));
		expect(imageBlocks(result).map((block) => block.data)).toEqual(expected);
	});

	it(`carries ${MAX_PREVIEWS_PER_RESULT} previews and ${MAX_PREVIEWS_PER_RESULT + 1} links for ${MAX_PREVIEWS_PER_RESULT + 1} images`, async () => {
		const count = MAX_PREVIEWS_PER_RESULT + 1;
		const result = await callTool('generate_image_and_wait', { prompt: 'five tiles', count, width: 64, height: 64 });
		const json = textJson(result);
		expect(json).toMatchObject({ completed: count });
		expect(blockTypes(result)).toEqual([
			'text',
			...Array(MAX_PREVIEWS_PER_RESULT).fill('image'),
			...Array(count).fill('resource_link'),
		]);
		const jobIds = json.job_ids as string[];
		const expected = await Promise.all(jobIds.slice(0, MAX_PREVIEWS_PER_RESULT).map((id) => storedPreview(id)));
		expect(imageBlocks(result).map((block) => block.data)).toEqual(expected);
	});

	// Base64 comes in steps of 4 characters: 49,152 bytes are 65,536 characters, a quarter of the cap.
	const quarter = (MAX_PREVIEW_BASE64_PER_RESULT / 4 / 4) * 3;

	it('carries previews that fill the base64 cap exactly', async () => {
		const jobs = [];
		for (let i = 0; i < 4; i++) jobs.push(await storedImage(await grey(64, 48), new Uint8Array(quarter).fill(i)));
		const result = await callTool('wait_for_completion', { job_ids: jobs.map((job) => job.id) });
		const blocks = imageBlocks(result);
		expect(blocks.map((block) => block.data.length)).toEqual(Array(4).fill(MAX_PREVIEW_BASE64_PER_RESULT / 4));
		expect(blocks.reduce((sum, block) => sum + block.data.length, 0)).toBe(MAX_PREVIEW_BASE64_PER_RESULT);
	});

	it('leaves out the preview that would pass the base64 cap, and those after it', async () => {
		const jobs = [];
		for (let i = 0; i < 4; i++) {
			const size = i === 3 ? quarter + 1 : quarter;
			jobs.push(await storedImage(await grey(64, 48), new Uint8Array(size).fill(i)));
		}
		const result = await callTool('wait_for_completion', { job_ids: jobs.map((job) => job.id) });
		expect(blockTypes(result)).toEqual(['text', 'image', 'image', 'image', ...Array(4).fill('resource_link')]);
	});

	const preview = (index: number, characters: number): InlinePreview => ({
		job_id: 'j',
		index,
		data: 'A'.repeat(characters),
		mimeType: 'image/webp',
	});

	it('selects at most the count cap, in order', () => {
		const five = [0, 1, 2, 3, 4].map((index) => preview(index, 4));
		expect(selectPreviews(five.slice(0, MAX_PREVIEWS_PER_RESULT))).toHaveLength(MAX_PREVIEWS_PER_RESULT);
		expect(selectPreviews(five).map((kept) => kept.index)).toEqual([0, 1, 2, 3]);
	});

	it('selects up to the base64 cap exactly, and stops at the first preview past it', () => {
		const half = MAX_PREVIEW_BASE64_PER_RESULT / 2;
		expect(selectPreviews([preview(0, half), preview(1, half)])).toHaveLength(2);
		expect(selectPreviews([preview(0, half), preview(1, half + 1), preview(2, 4)]).map((kept) => kept.index)).toEqual([
			0,
		]);
		expect(selectPreviews([preview(0, MAX_PREVIEW_BASE64_PER_RESULT + 1)])).toEqual([]);
	});
});

describe('turning previews off', () => {
	it('preview: "none" gives links only on each tool that carries images', async () => {
		const made = await callTool('generate_image_and_wait', { prompt: 'p', width: 64, height: 64, preview: 'none' });
		expect(blockTypes(made)).toEqual(['text', 'resource_link']);
		const jobId = textJson(made).job_id;
		expect(blockTypes(await callTool('get_job_status', { job_id: jobId, preview: 'none' }))).toEqual([
			'text',
			'resource_link',
		]);
		expect(blockTypes(await callTool('wait_for_completion', { job_id: jobId, preview: 'none' }))).toEqual([
			'text',
			'resource_link',
		]);
		expect(blockTypes(await callTool('wait_for_completion', { job_id: jobId, preview: 'auto' }))).toEqual([
			'text',
			'image',
			'resource_link',
		]);
	});

	it('refuses another value, naming the allowed ones', async () => {
		const result = await callTool('get_job_status', { job_id: crypto.randomUUID(), preview: 'small' });
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain('preview: Invalid option: expected one of "auto"|"none"');
	});

	const call = async (vars: Partial<Env>, name: string, args: Record<string, unknown>) => {
		const response = await postWithEnv(vars, rpcBody('tools/call', { name, arguments: args }));
		return ((await response.json()) as { result: ToolResult }).result;
	};

	it('PREVIEWS=none makes links the default, and preview: "auto" still asks for them', async () => {
		const off = { PREVIEWS: 'none' };
		const made = await call(off, 'generate_image_and_wait', { prompt: 'p', width: 64, height: 64 });
		expect(blockTypes(made)).toEqual(['text', 'resource_link']);
		const jobId = textJson(made).job_id;
		expect(blockTypes(await call(off, 'get_job_status', { job_id: jobId }))).toEqual(['text', 'resource_link']);
		expect(blockTypes(await call(off, 'get_job_status', { job_id: jobId, preview: 'auto' }))).toEqual([
			'text',
			'image',
			'resource_link',
		]);
	});
});

describe('tasks/result', () => {
	let client: Client;

	beforeAll(async () => {
		client = await sdkClient();
	});

	it('of a generate_image task carries the previews before the links', async () => {
		let result: CallToolResult | undefined;
		const stream = client.experimental.tasks.callToolStream(
			{ name: 'generate_image', arguments: { prompt: 'two pears', width: 640, height: 640, count: 2 } },
			CallToolResultSchema,
			{ task: {} },
		);
		for await (const message of stream) {
			if (message.type === 'error') throw message.error;
			if (message.type === 'result') result = message.result as CallToolResult;
		}
		expect(blockTypes(result!)).toEqual(['text', 'image', 'image', 'resource_link', 'resource_link']);
		const jobIds = (result!.structuredContent as { job_ids: string[] }).job_ids;
		const blocks = result!.content.filter((block) => block.type === 'image');
		for (const [i, block] of blocks.entries()) {
			expect(block).toMatchObject({ mimeType: 'image/webp', data: await storedPreview(jobIds[i]!) });
			expect(sniffImage(fromBase64(block.data))).toMatchObject({ width: 512, height: 512 });
		}
		expect(JSON.stringify(result!.structuredContent)).not.toContain(blocks[0]!.data.slice(0, 64));
	});
});
