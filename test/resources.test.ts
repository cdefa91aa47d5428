/**
 * image:// resources with the official SDK client: the template, reading back the exact bytes
 * stored in R2, listing with a cursor, and other users' or removed images as not found.
 */

import { env } from 'cloudflare:workers';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { GALLERY_URI, VIEWER_URI } from '../src/mcp/apps/views';
import { RESOURCE_NOT_FOUND, RESOURCES_PAGE_SIZE } from '../src/mcp/resources';
import { insertStoredImage } from './helpers/fixtures';
import { rpcError, sdkClient, sdkClientAs } from './helpers/sdk-client';

let client: Client;

beforeAll(async () => {
	client = await sdkClient();
});

async function sha256Hex(bytes: Uint8Array): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
	return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function fromBase64(text: string): Uint8Array {
	return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/** A completed job of `owner` with one stored image of `bytes` at `createdAt`. */
async function storedImage(owner: string, bytes: Uint8Array, createdAt = Date.now()) {
	const { job, key } = await insertStoredImage(bytes, { owner, createdAt });
	return { job, key, uri: `image://${key}` };
}

describe('the image resource template', () => {
	it('is declared, with resources, and listed by resources/templates/list', async () => {
		expect(client.getServerCapabilities()?.resources).toEqual({ listChanged: false });
		const { resourceTemplates } = await client.listResourceTemplates();
		// The image itself first, then its view and metadata (test/image-views.test.ts), then the
		// style library's template (test/creative.test.ts).
		expect(resourceTemplates).toEqual([
			expect.objectContaining({ uriTemplate: 'image://{job_id}/{index}', name: 'image', title: 'Generated image' }),
			expect.objectContaining({
				uriTemplate: 'image://{job_id}/{index}/view{?width,height,fit,format,quality}',
				name: 'image-view',
			}),
			expect.objectContaining({ uriTemplate: 'image://{job_id}/{index}/metadata', name: 'image-metadata' }),
			expect.objectContaining({ uriTemplate: 'style://{name}', name: 'style', mimeType: 'text/markdown' }),
		]);
	});
});

describe('resources/read', () => {
	it('returns the exact bytes stored in R2 for the resource_link of a generated image, with its MIME type', async () => {
		const result = (await client.callTool({
			name: 'generate_image_and_wait',
			arguments: { prompt: 'a teal teapot', width: 80, height: 64 },
		})) as CallToolResult;
		expect(result.isError, JSON.stringify(result.content[0])).toBeUndefined();
		const link = result.content.find((block) => block.type === 'resource_link');
		expect(link?.type === 'resource_link' && link.uri).toMatch(/^image:\/\/[0-9a-f-]{36}\/0$/);
		const uri = link?.type === 'resource_link' ? link.uri : '';
		const { contents } = await client.readResource({ uri });
		expect(contents).toHaveLength(1);
		const [content] = contents;
		expect(content).toMatchObject({ uri, mimeType: 'image/png' });
		const stored = await env.IMAGES.get(uri.slice('image://'.length));
		const storedBytes = new Uint8Array(await stored!.arrayBuffer());
		const read = fromBase64((content as { blob: string }).blob);
		expect(read).toEqual(storedBytes);
		expect(link?.type === 'resource_link' && link.size).toBe(storedBytes.length);
	});

	it('reads an image of several hundred kilobytes whole', async () => {
		const owner = `big-${crypto.randomUUID()}@example.com`;
		const bytes = crypto.getRandomValues(new Uint8Array(65_536)).slice();
		const big = new Uint8Array(600_000);
		for (let offset = 0; offset < big.length; offset += bytes.length)
			big.set(bytes.subarray(0, big.length - offset), offset);
		const { uri } = await storedImage(owner, big);
		const as = await sdkClientAs(owner);
		const { contents } = await as.readResource({ uri });
		// Digests: a deep comparison of 600,000 elements is slower than the read under test.
		const read = fromBase64((contents[0] as { blob: string }).blob);
		expect(read.length).toBe(big.length);
		expect(await sha256Hex(read)).toBe(await sha256Hex(big));
	});

	it("answers another user's image exactly as a made-up one: -32002, resource not found", async () => {
		const { uri, job } = await storedImage(`owner-${crypto.randomUUID()}@example.com`, new Uint8Array([1, 2, 3]));
		const made = `image://${crypto.randomUUID()}/0`;
		const stranger = await sdkClientAs(`stranger-${crypto.randomUUID()}@example.com`);
		const theirs = await rpcError(stranger.readResource({ uri }));
		const unknown = await rpcError(stranger.readResource({ uri: made }));
		expect(theirs.code).toBe(RESOURCE_NOT_FOUND);
		const mask = (message: string) => message.replace(job.id, '<id>').replace(made.slice(8, 44), '<id>');
		expect(mask(theirs.message)).toBe(mask(unknown.message));
		expect(theirs.message).toContain('resources/list');
	});

	it('says why a deleted image is gone', async () => {
		const owner = `deleter-${crypto.randomUUID()}@example.com`;
		const { uri } = await storedImage(owner, new Uint8Array([9, 9, 9]));
		const as = await sdkClientAs(owner);
		const deleted = (await as.callTool({ name: 'delete_image', arguments: { image: uri } })) as CallToolResult;
		expect(deleted.isError).toBeUndefined();
		const error = await rpcError(as.readResource({ uri }));
		expect(error.code).toBe(RESOURCE_NOT_FOUND);
		expect(error.message).toMatch(/Deleted by its owner/);
	});

	it.each(['https://example.com/a.png', 'image://not-a-job/0', 'image://0b8a3c1e-0000-4000-8000-000000000000/x'])(
		'refuses %s with -32602 saying what an image URI looks like',
		async (uri) => {
			const error = await rpcError(client.readResource({ uri }));
			expect(error.code).toBe(ErrorCode.InvalidParams);
			expect(error.message).toContain('image://<job_id>/<index>');
		},
	);
});

describe('resources/list', () => {
	it("pages through the caller's stored images newest first, leaving out removed ones and other users'", async () => {
		const owner = `gallery-${crypto.randomUUID()}@example.com`;
		const base = Date.now() - 1_000_000;
		const stored = [];
		for (let i = 0; i < RESOURCES_PAGE_SIZE + 2; i++)
			stored.push(await storedImage(owner, new Uint8Array([i]), base + i));
		// Removed: listed no more.
		const gone = stored[5]!;
		await env.DB.prepare("UPDATE images SET removed_at = ?, removed_reason = 'expired' WHERE id = ?")
			.bind(Date.now(), gone.key)
			.run();
		await storedImage(`neighbour-${crypto.randomUUID()}@example.com`, new Uint8Array([7]), base + 10);

		const as = await sdkClientAs(owner);
		const listed = await as.listResources();
		// The MCP Apps views lead the first page (test/mcp-apps.test.ts); the images follow.
		expect(listed.resources.slice(0, 2).map((resource) => resource.uri)).toEqual([VIEWER_URI, GALLERY_URI]);
		const first = { ...listed, resources: listed.resources.slice(2) };
		expect(first.resources).toHaveLength(RESOURCES_PAGE_SIZE);
		expect(first.nextCursor).toBeTypeOf('string');
		const second = await as.listResources({ cursor: first.nextCursor });
		expect(second.nextCursor).toBeUndefined();
		const uris = [...first.resources, ...second.resources].map((resource) => resource.uri);
		expect(uris).toEqual(
			stored
				.filter((image) => image !== gone)
				.reverse()
				.map((image) => image.uri),
		);
		expect(first.resources[0]).toMatchObject({
			name: stored.at(-1)!.key,
			title: 'a lighthouse at dusk',
			mimeType: 'image/png',
			size: 1,
			description: '"a lighthouse at dusk", offline, 64×48, seed 42.',
		});

		const error = await rpcError(as.listResources({ cursor: 'bogus' }));
		expect(error.code).toBe(ErrorCode.InvalidParams);
	});
});
