/**
 * End to end over Streamable HTTP with the official MCP SDK client against a real
 * `wrangler dev`: the tool list, one-call generation down to decodable PNG
 * bytes, batch generation and the listings, progress notifications, waits that end before
 * the job does, and how bad input is answered.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import {
	callTool,
	connectClient,
	decodePng,
	EXPECTED_TOOLS,
	expectProgressBeforeResult,
	firstText,
	printServerLogsOnFailure,
	UUID_PATTERN,
} from './helpers';

/** Slow enough that a 1 s wait ends first and a full wait sees at least one progress tick. */
const SLOW_LATENCY_MS = 2500;

let fastServer: DevServer;
let slowServer: DevServer;

beforeAll(async () => {
	[fastServer, slowServer] = await Promise.all([
		startDevServer(),
		startDevServer({ vars: { OFFLINE_LATENCY_MS: String(SLOW_LATENCY_MS) } }),
	]);
});

afterAll(async () => {
	await Promise.all([fastServer?.stop(), slowServer?.stop()]);
});

printServerLogsOnFailure(() => [fastServer, slowServer]);

// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of structuredContent the SDK has already validated against the outputSchema.
type Structured = Record<string, any>;

function structured(result: CallToolResult): Structured {
	expect(result.structuredContent, firstText(result)).toBeDefined();
	return result.structuredContent as Structured;
}

function resourceLinks(result: CallToolResult) {
	return result.content.filter((block) => block.type === 'resource_link');
}

/** Parses the JSON `{ success: false, error }` text of an isError result. */
function errorText(result: CallToolResult): string {
	expect(result.isError).toBe(true);
	const body = JSON.parse(firstText(result)) as { success: boolean; error: string };
	expect(body.success).toBe(false);
	return body.error;
}

describe('Streamable HTTP with the SDK client (offline provider, no latency)', () => {
	let client: Client;

	beforeAll(async () => {
		client = await connectClient(fastServer.url);
	});

	afterAll(async () => {
		await client?.close();
	});

	it('initializes against the stateless server and reports its name, version and tools capability', () => {
		expect(client.getServerVersion()).toMatchObject({ name: 'image-mcp', version: expect.any(String) });
		expect(client.getServerCapabilities()?.tools).toBeDefined();
		expect(client.getInstructions()).toContain('generate_image_and_wait');
	});

	it('lists exactly our tools, each with a title, a description, an inputSchema and an outputSchema', async () => {
		const { tools } = await client.listTools();
		expect(tools.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
		for (const tool of tools) {
			expect(tool.title, tool.name).toBeTruthy();
			expect(tool.description, tool.name).toBeTruthy();
			expect(tool.inputSchema.type, tool.name).toBe('object');
			expect(tool.outputSchema?.type, tool.name).toBe('object');
		}
	});

	it('generate_image_and_wait returns a completed job whose text JSON, structuredContent, resource_link and markdown agree', async () => {
		const prompt = 'a lighthouse on a cliff at dusk';
		const result = await callTool(client, 'generate_image_and_wait', { prompt, width: 640, height: 480 });
		expect(result.isError, firstText(result)).toBeFalsy();
		const content = structured(result);
		expect(content).toMatchObject({ success: true, done: true, still_running: false, status: 'completed', prompt });
		expect(content.job_id).toMatch(UUID_PATTERN);
		// One schema for both: the text block is the structured content as JSON (jq-friendly).
		expect(result.content[0]?.type).toBe('text');
		expect(JSON.parse(firstText(result))).toEqual(content);

		const imageUrl: string = content.image_url;
		expect(imageUrl).toMatch(/^https?:\/\//);
		expect(imageUrl.startsWith(`${fastServer.url}/images/`)).toBe(true);
		expect(content.markdown).toBe(`![${prompt}](${imageUrl})`);

		const links = resourceLinks(result);
		expect(links).toHaveLength(1);
		expect(links[0]).toMatchObject({
			type: 'resource_link',
			uri: `image://${content.job_id}/0`,
			mimeType: 'image/png',
		});
		expect(JSON.stringify(content)).not.toMatch(/base64|iVBORw0KGgo/);
	});

	it('serves the finished image as a real 640×480 PNG with an ETag and immutable caching', async () => {
		const result = await callTool(client, 'generate_image_and_wait', {
			prompt: 'a red bicycle against a blue wall',
			width: 640,
			height: 480,
		});
		const content = structured(result);
		const response = await fetch(content.image_url);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('image/png');
		expect(response.headers.get('etag')).toBeTruthy();
		expect(response.headers.get('cache-control')).toContain('immutable');
		const bytes = new Uint8Array(await response.arrayBuffer());
		expect(bytes.byteLength).toBe(resourceLinks(result)[0]?.size);
		expect(bytes.byteLength).toBe(content.results[0].images[0].bytes);

		const png = decodePng(bytes);
		expect({ width: png.width, height: png.height }).toEqual({ width: 640, height: 480 });
		expect({ bitDepth: png.bitDepth, colourType: png.colourType, interlace: png.interlace }).toEqual({
			bitDepth: 8,
			colourType: 2,
			interlace: 0,
		});
		// One filter byte plus three bytes of RGB per pixel, on every row.
		expect(png.scanlines.length).toBe(480 * (1 + 640 * 3));

		const revalidated = await fetch(content.image_url, {
			headers: { 'If-None-Match': response.headers.get('etag')! },
		});
		expect(revalidated.status).toBe(304);
	});

	it('reads the image resized and converted through its view resource, decoded to a real 160×120 PNG', async () => {
		const result = await callTool(client, 'generate_image_and_wait', {
			prompt: 'a green tram on a bridge',
			width: 640,
			height: 480,
		});
		const content = structured(result);
		// The inline preview comes before the link (docs/tools.md, Inline previews).
		expect(result.content.map((block) => block.type)).toEqual(['text', 'image', 'resource_link']);
		const uri = `image://${content.job_id}/0/view?width=160&format=png`;
		const { contents } = await client.readResource({ uri });
		expect(contents).toEqual([{ uri, mimeType: 'image/png', blob: expect.any(String) }]);
		const png = decodePng(new Uint8Array(Buffer.from((contents[0] as { blob: string }).blob, 'base64')));
		expect({ width: png.width, height: png.height }).toEqual({ width: 160, height: 120 });

		const metadata = await client.readResource({ uri: `image://${content.job_id}/0/metadata` });
		expect(JSON.parse((metadata.contents[0] as { text: string }).text)).toMatchObject({
			job_id: content.job_id,
			prompt: 'a green tram on a bridge',
			width: 640,
			height: 480,
			image_url: content.image_url,
		});
	});

	it('generate_image with count 3 gives three job ids that wait_for_completion completes with three distinct images', async () => {
		const prompt = `three foxes in the snow ${Date.now()}`;
		const started = await callTool(client, 'generate_image', { prompt, count: 3 });
		expect(started.isError, firstText(started)).toBeFalsy();
		const job = structured(started);
		expect(job).toMatchObject({ success: true, count: 3, model: 'offline', reused: false });
		expect(job.job_ids).toHaveLength(3);
		expect(new Set(job.job_ids).size).toBe(3);
		for (const id of job.job_ids) expect(id).toMatch(UUID_PATTERN);
		expect(job.job_id).toBe(job.job_ids[0]);
		expect(JSON.parse(firstText(started)).job_id).toBe(job.job_id);

		const waited = await callTool(client, 'wait_for_completion', { job_ids: job.job_ids });
		expect(waited.isError, firstText(waited)).toBeFalsy();
		const outcome = structured(waited);
		expect(outcome).toMatchObject({ success: true, done: true, still_running: false, count: 3, completed: 3 });
		expect(outcome.job_ids).toEqual(job.job_ids);
		expect(outcome.results.map((view: Structured) => view.status)).toEqual(['completed', 'completed', 'completed']);
		const urls: string[] = outcome.results.map((view: Structured) => view.image_url);
		expect(new Set(urls).size).toBe(3);
		expect(
			resourceLinks(waited)
				.map((link) => link.uri)
				.sort(),
		).toEqual(job.job_ids.map((id: string) => `image://${id}/0`).sort());

		const status = structured(await callTool(client, 'get_job_status', { job_id: job.job_ids[1] }));
		expect(status).toMatchObject({ success: true, status: 'completed', done: true, image_url: urls[1] });

		const gallery = structured(await callTool(client, 'list_generations', { limit: 10 }));
		const galleryUrls = gallery.generations.map((generation: Structured) => generation.image_url);
		for (const url of urls) expect(galleryUrls).toContain(url);
		expect(gallery.generations.find((generation: Structured) => generation.image_url === urls[0])).toMatchObject({
			job_id: job.job_ids[0],
			prompt,
			model: 'offline',
			content_type: 'image/png',
		});
	});

	it('list_jobs filters by status and pages with limit, offset and has_more', async () => {
		const started = structured(await callTool(client, 'generate_image', { prompt: 'paging test', count: 3 }));
		await callTool(client, 'wait_for_completion', { job_ids: started.job_ids });

		const firstPage = structured(await callTool(client, 'list_jobs', { status: 'completed', limit: 2, offset: 0 }));
		expect(firstPage).toMatchObject({ success: true, status: 'completed', limit: 2, offset: 0, returned_count: 2 });
		expect(firstPage.total_count).toBeGreaterThanOrEqual(3);
		expect(firstPage.has_more).toBe(true);

		const secondPage = structured(await callTool(client, 'list_jobs', { status: 'completed', limit: 2, offset: 2 }));
		expect(secondPage.total_count).toBe(firstPage.total_count);
		const firstIds: string[] = firstPage.jobs.map((view: Structured) => view.job_id);
		const secondIds: string[] = secondPage.jobs.map((view: Structured) => view.job_id);
		expect(firstIds.filter((id) => secondIds.includes(id))).toEqual([]);
		// Newest first: the three jobs just made are the first three.
		expect([...firstIds, ...secondIds.slice(0, 1)].sort()).toEqual([...started.job_ids].sort());
		for (const view of [...firstPage.jobs, ...secondPage.jobs]) expect(view.status).toBe('completed');

		const lastPage = structured(
			await callTool(client, 'list_jobs', { status: 'completed', limit: 50, offset: firstPage.total_count - 1 }),
		);
		expect(lastPage).toMatchObject({ returned_count: 1, has_more: false });

		const pending = structured(await callTool(client, 'list_jobs', { status: 'pending' }));
		expect(pending.jobs.map((view: Structured) => view.job_id)).not.toContain(started.job_ids[0]);
	});

	it('list_models shows the offline model as the default', async () => {
		const models = structured(await callTool(client, 'list_models', {}));
		expect(models.default_model).toBe('offline');
		expect(models.models.map((model: Structured) => model.name)).toContain('offline');
	});

	it('rejects an unknown tool with a JSON-RPC InvalidParams error (-32602) that lists the tools', async () => {
		const call = callTool(client, 'no_such_tool', {});
		await expect(call).rejects.toBeInstanceOf(McpError);
		await expect(call).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
		await expect(call).rejects.toThrow(/generate_image/);
	});

	it('answers count 50 with an isError result that names the field and its limit', async () => {
		const result = await callTool(client, 'generate_image', { prompt: 'too many', count: 50 });
		const error = errorText(result);
		expect(error).toMatch(/\bcount\b/);
		expect(error).toContain('20');
	});

	it('answers an unknown model with an isError result that lists the allowed models', async () => {
		const result = await callTool(client, 'generate_image', { prompt: 'a cat', model: 'no-such-model' });
		const error = errorText(result);
		expect(error).toMatch(/\bmodel\b/);
		expect(error).toContain('no-such-model');
		expect(error).toMatch(/Allowed models: .*\boffline\b/);
	});
});

describe(`Streamable HTTP with the SDK client (offline provider, ${SLOW_LATENCY_MS} ms per image)`, () => {
	let client: Client;

	beforeAll(async () => {
		client = await connectClient(slowServer.url);
	});

	afterAll(async () => {
		await client?.close();
	});

	it('wait_for_completion sends progress notifications before the completed result when asked for progress', async () => {
		await expectProgressBeforeResult(client, 'progress please');
	});

	it('a wait shorter than the job returns still_running (not an error) and a later wait completes it', async () => {
		const job = structured(await callTool(client, 'generate_image', { prompt: 'slow one' }));
		const early = await callTool(client, 'wait_for_completion', { job_id: job.job_id, timeout_seconds: 1 });
		expect(early.isError, firstText(early)).toBeFalsy();
		const running = structured(early);
		expect(running).toMatchObject({ success: true, done: false, still_running: true, pending: 1, completed: 0 });
		expect(['pending', 'processing']).toContain(running.status);
		expect(running.image_url).toBeUndefined();
		expect(running.message).toMatch(/wait_for_completion/);
		expect(resourceLinks(early)).toEqual([]);

		const later = structured(await callTool(client, 'wait_for_completion', { job_id: job.job_id }));
		expect(later).toMatchObject({ done: true, still_running: false, status: 'completed' });
		expect(later.image_url).toMatch(/^https?:\/\//);
	});
});
