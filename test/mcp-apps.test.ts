/**
 * MCP Apps (issue 19), the contract through the real fetch handler, D1, R2, queue and Images
 * binding: tools link their views with `_meta.ui`, the views are `ui://` resources of the right
 * MIME type and size, the app-only tools are marked and validate and scope like every tool.
 * test/e2e/mcp-apps-browser.test.ts renders the views in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { MAX_COUNT } from '../src/generation/request';
import { APP_MIME_TYPE, APP_ONLY_TOOLS, GALLERY_URI, MAX_VIEW_BYTES, VIEWER_URI } from '../src/mcp/apps/views';
import { sniffOutput } from '../src/storage/sniff';
import { GALLERY_PAGE_MAX, GALLERY_QUERY_MAX, VIEW_IMAGE_MAX_EDGE } from '../src/tools/gallery.tools';
import { callTool, post, rpcBody, textJson } from './helpers/mcp';
import { callAs, usersEnv } from './helpers/users';

interface ListedTool {
	name: string;
	_meta?: { ui?: { resourceUri: string; visibility?: string[] }; 'ui/resourceUri'?: string };
}

async function rpc<T>(method: string, params?: unknown): Promise<T> {
	const response = await post(rpcBody(method, params));
	const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
	if (!body.result) throw Object.assign(new Error(body.error?.message ?? 'no result'), { code: body.error?.code });
	return body.result;
}

async function generated(prompt: string): Promise<{ job_id: string }> {
	const result = await callTool('generate_image_and_wait', { prompt, width: 64, height: 64 });
	expect(result.isError, JSON.stringify(result.content[0])).toBeFalsy();
	return textJson(result) as { job_id: string };
}

function decodeDataUrl(url: string): { contentType: string; bytes: Uint8Array } {
	const match = /^data:([^;]+);base64,(.+)$/.exec(url);
	expect(match, url.slice(0, 40)).not.toBeNull();
	return { contentType: match![1]!, bytes: Uint8Array.from(atob(match![2]!), (c) => c.charCodeAt(0)) };
}

describe('tools/list links tools to their views', () => {
	it('points the generating and status tools at the viewer and browse_gallery at the gallery, in both keys', async () => {
		const { tools } = await rpc<{ tools: ListedTool[] }>('tools/list');
		const meta = Object.fromEntries(tools.map((tool) => [tool.name, tool._meta]));
		for (const name of ['generate_image', 'generate_image_and_wait', 'get_job_status', 'wait_for_completion']) {
			expect(meta[name], name).toEqual({ ui: { resourceUri: VIEWER_URI }, 'ui/resourceUri': VIEWER_URI });
		}
		expect(meta.browse_gallery).toEqual({ ui: { resourceUri: GALLERY_URI }, 'ui/resourceUri': GALLERY_URI });
		expect(meta.list_models).toBeUndefined();
	});

	it('marks gallery_page and view_image app-only', async () => {
		const { tools } = await rpc<{ tools: ListedTool[] }>('tools/list');
		const appOnly = tools.filter((tool) => tool._meta?.ui?.visibility?.join() === 'app').map((tool) => tool.name);
		expect(appOnly).toEqual(['gallery_page', 'view_image']);
		expect(appOnly).toEqual([...APP_ONLY_TOOLS]);
	});
});

describe('the ui:// resources', () => {
	it('lists both views first, with the MCP Apps MIME type', async () => {
		const { resources } = await rpc<{ resources: { uri: string; mimeType: string }[] }>('resources/list');
		expect(resources.slice(0, 2)).toMatchObject([
			{ uri: VIEWER_URI, mimeType: APP_MIME_TYPE },
			{ uri: GALLERY_URI, mimeType: APP_MIME_TYPE },
		]);
	});

	it.each([
		[VIEWER_URI, 'viewer'],
		[GALLERY_URI, 'gallery'],
	])('reads %s: self-contained HTML of at most 200 KB, its mode set, no remote script or eval', async (uri, mode) => {
		const { contents } = await rpc<{ contents: { uri: string; mimeType: string; text: string; _meta?: unknown }[] }>(
			'resources/read',
			{ uri },
		);
		expect(contents).toHaveLength(1);
		const [view] = contents;
		expect(view).toMatchObject({ uri, mimeType: 'text/html;profile=mcp-app', _meta: { ui: { prefersBorder: true } } });
		const bytes = new TextEncoder().encode(view!.text).byteLength;
		expect(bytes).toBeLessThanOrEqual(MAX_VIEW_BYTES);
		expect(view!.text).toContain(`const MODE = "${mode}";`);
		expect(view!.text).not.toContain('__VIEW_MODE__');
		expect(view!.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|eval\(|new Function|innerHTML/);
		expect(view!.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
	});

	it('answers an unknown ui:// URI with resource-not-found naming the views', async () => {
		await expect(rpc('resources/read', { uri: 'ui://image-mcp/nope.html' })).rejects.toMatchObject({
			code: -32002,
			message: expect.stringContaining(VIEWER_URI),
		});
	});
});

describe('browse_gallery and gallery_page', () => {
	it('pages my stored images newest first and finds words in prompts, in any case', async () => {
		const tag = crypto.randomUUID().slice(0, 8);
		for (const prompt of [`a red fox ${tag}`, `a blue whale ${tag}`, `a Red kite ${tag}`]) await generated(prompt);

		const all = textJson(await callTool('browse_gallery', { query: tag, limit: 2 }));
		expect(all).toMatchObject({ success: true, total_count: 3, returned_count: 2, has_more: true, query: tag });
		expect((all.images as { prompt: string }[]).map((image) => image.prompt)).toEqual([
			`a Red kite ${tag}`,
			`a blue whale ${tag}`,
		]);
		const rest = textJson(await callTool('browse_gallery', { query: tag, limit: 2, offset: 2 }));
		expect((rest.images as { prompt: string }[]).map((image) => image.prompt)).toEqual([`a red fox ${tag}`]);

		const reds = textJson(await callTool('browse_gallery', { query: 'red' }));
		expect((reds.images as { prompt: string }[]).filter((image) => image.prompt.endsWith(tag))).toHaveLength(2);
		// No character is a wildcard.
		expect(textJson(await callTool('browse_gallery', { query: `%${tag}` })).total_count).toBe(0);
	});

	it(`gives each image of a page its WebP thumbnail as a data: URI, at most ${GALLERY_PAGE_MAX} a page`, async () => {
		const tag = crypto.randomUUID().slice(0, 8);
		await generated(`thumbnail ${tag}`);
		const result = await callTool('gallery_page', { query: tag });
		expect(result.isError).toBeFalsy();
		const [image] = (result.structuredContent as { images: { thumbnail: string }[] }).images;
		const thumbnail = decodeDataUrl(image!.thumbnail);
		expect(thumbnail.contentType).toBe('image/webp');
		expect(sniffOutput(thumbnail.bytes)).toMatchObject({ contentType: 'image/webp', width: 64 });

		const over = await callTool('gallery_page', { limit: GALLERY_PAGE_MAX + 1 });
		expect(over.isError).toBe(true);
		expect(over.content[0]!.text).toContain(`allowed: 1–${GALLERY_PAGE_MAX}`);
		const long = await callTool('browse_gallery', { query: 'x'.repeat(GALLERY_QUERY_MAX + 1) });
		expect(long.isError).toBe(true);
		expect(long.content[0]!.text).toContain('query');
		expect((await callTool('browse_gallery', { query: 'x'.repeat(GALLERY_QUERY_MAX) })).isError).toBeFalsy();
	});

	it('shows each user only their own images', async () => {
		const bindings = await usersEnv([{ id: 'alice' }, { id: 'bob' }]);
		const tag = crypto.randomUUID().slice(0, 8);
		const made = await callAs(bindings, 'alice', 'generate_image_and_wait', { prompt: `alice only ${tag}` });
		expect(made.isError).toBeFalsy();
		const jobId = (made.structuredContent as { job_id: string }).job_id;
		const bobs = await callAs(bindings, 'bob', 'gallery_page', { query: tag });
		expect((bobs.structuredContent as { total_count: number }).total_count).toBe(0);
		const peek = await callAs(bindings, 'bob', 'view_image', { job_id: jobId });
		expect(peek.isError).toBe(true);
		expect(peek.content[0]!.text).toContain('no image of yours');
		const own = await callAs(bindings, 'alice', 'view_image', { job_id: jobId });
		expect(own.isError).toBeFalsy();
	});
});

describe('view_image', () => {
	it(`gives the image as WebP, longest edge at most ${VIEW_IMAGE_MAX_EDGE} px, with how it was made`, async () => {
		const result = await callTool('generate_image_and_wait', { prompt: 'a wide panorama', width: 1536, height: 640 });
		const jobId = (result.structuredContent as { job_id: string }).job_id;
		const view = await callTool('view_image', { job_id: jobId.toUpperCase() });
		expect(view.isError, view.content[0]?.text).toBeFalsy();
		const structured = view.structuredContent as Record<string, unknown>;
		expect(structured).toMatchObject({ job_id: jobId, index: 0, prompt: 'a wide panorama', width: 1536, height: 640 });
		const image = decodeDataUrl(structured.data_url as string);
		expect(sniffOutput(image.bytes)).toMatchObject({
			contentType: 'image/webp',
			width: VIEW_IMAGE_MAX_EDGE,
			height: 427,
		});
	});

	it('refuses a removed image and bad arguments, naming them', async () => {
		const { job_id } = await generated('soon deleted');
		expect(textJson(await callTool('delete_image', { image: job_id })).success).toBe(true);
		const gone = await callTool('view_image', { job_id });
		expect(gone.isError).toBe(true);
		expect(gone.content[0]!.text).toContain('Deleted by its owner');
		const bad = await callTool('view_image', { job_id, index: -1 });
		expect(bad.isError).toBe(true);
		expect(bad.content[0]!.text).toContain('index');
		// An index up to the last a job can have is a fair question; one past it is refused as such.
		const last = await callTool('view_image', { job_id, index: MAX_COUNT - 1 });
		expect(last.content[0]!.text).toContain('no image of yours');
		const past = await callTool('view_image', { job_id, index: MAX_COUNT });
		expect(past.content[0]!.text).toContain(`allowed: 0–${MAX_COUNT - 1}`);
		const unknown = await callTool('view_image', { job_id, extra: 1 });
		expect(unknown.isError).toBe(true);
	});
});

describe('the text a host without Apps shows', () => {
	it('keeps browse_gallery useful without the view: URLs and markdown lines, no base64', async () => {
		const tag = crypto.randomUUID().slice(0, 8);
		await generated(`plain host ${tag}`);
		const result = await callTool('browse_gallery', { query: tag });
		const [image] = textJson(result).images as { image_url: string; markdown: string }[];
		expect(image!.image_url).toMatch(/^http:\/\/localhost\/images\/.+\.png$/);
		expect(image!.markdown).toContain('![plain host');
		expect(JSON.stringify(result)).not.toContain('base64');
	});
});
