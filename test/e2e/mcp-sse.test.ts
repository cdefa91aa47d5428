/**
 * End to end over the legacy HTTP+SSE transport (MCP 2024-11-05) against real
 * `wrangler dev` servers: the official SDK client's SSEClientTransport on
 * `GET /sse` + `POST /messages`, and the same exchange with raw fetch, as curl would do it.
 *
 * Three servers, started together:
 *  - `memory`: defaults, so a response reaches the stream through the same-isolate mailbox;
 *  - `outbox`: SSE_IN_MEMORY=false, so every message goes through the D1 `sse_outbox` table
 *    the stream polls (the path a stream on another isolate depends on), and
 *    OFFLINE_LATENCY_MS=2500 so that waits, progress and concurrency can be seen;
 *  - `auth`: AUTH_TOKEN set, for the bearer header on both the GET and the POSTs.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SseEvent, SseReader } from '../helpers/sse';
import { type DevServer, startDevServer } from './dev-server';
import {
	callTool,
	connectSseClient,
	decodePng,
	EXPECTED_TOOLS,
	expectProgressBeforeResult,
	firstText,
	postMcp,
	printServerLogsOnFailure,
	send,
	toolCallRequest,
	UUID_PATTERN,
} from './helpers';

const SLOW_LATENCY_MS = 2500;
const AUTH_TOKEN = 'sse-secret';
const ENDPOINT_PATTERN = /^\/messages\?sessionId=[0-9a-f]{32}$/;

let memoryServer: DevServer;
let outboxServer: DevServer;
let authServer: DevServer;

beforeAll(async () => {
	[memoryServer, outboxServer, authServer] = await Promise.all([
		startDevServer(),
		startDevServer({ vars: { SSE_IN_MEMORY: 'false', OFFLINE_LATENCY_MS: String(SLOW_LATENCY_MS) } }),
		startDevServer({ vars: { AUTH_TOKEN } }),
	]);
});

afterAll(async () => {
	await Promise.all([memoryServer?.stop(), outboxServer?.stop(), authServer?.stop()]);
});

printServerLogsOnFailure(() => [memoryServer, outboxServer, authServer]);

// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of structuredContent the SDK has already validated against the outputSchema.
type Structured = Record<string, any>;

function structured(result: CallToolResult): Structured {
	expect(result.isError, firstText(result)).toBeFalsy();
	expect(result.structuredContent, firstText(result)).toBeDefined();
	return result.structuredContent as Structured;
}

/** Rejects with a clear message instead of letting a lost message run into the test timeout. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const servers = [
	['in-memory mailbox (defaults)', () => memoryServer],
	['D1 outbox only (SSE_IN_MEMORY=false)', () => outboxServer],
] as const;

describe.each(servers)('SDK SSEClientTransport, %s', (_label, server) => {
	let client: Client;

	beforeAll(async () => {
		client = await connectSseClient(server().url);
	});

	afterAll(async () => {
		await client?.close();
	});

	it('initializes over the stream and lists exactly our tools', async () => {
		expect(client.getServerVersion()).toMatchObject({ name: 'image-mcp', version: expect.any(String) });
		expect(client.getServerCapabilities()?.tools).toBeDefined();
		const { tools } = await client.listTools();
		expect(tools.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
		for (const tool of tools) expect(tool.outputSchema?.type, tool.name).toBe('object');
	});

	it('generate_image_and_wait completes, and its image_url serves a real 320×240 PNG', async () => {
		const prompt = `a paper boat on a pond ${Date.now()}`;
		const result = await callTool(client, 'generate_image_and_wait', { prompt, width: 320, height: 240 });
		const content = structured(result);
		expect(content).toMatchObject({ success: true, done: true, status: 'completed', prompt });
		expect(content.job_id).toMatch(UUID_PATTERN);
		expect(content.results[0]).toMatchObject({ width: 320, height: 240 });
		expect(JSON.parse(firstText(result))).toEqual(content);
		expect(content.image_url.startsWith(`${server().url}/images/`)).toBe(true);

		const response = await fetch(content.image_url);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('image/png');
		const png = decodePng(new Uint8Array(await response.arrayBuffer()));
		expect({ width: png.width, height: png.height }).toEqual({ width: 320, height: 240 });
		expect(png.scanlines.length).toBe(240 * (1 + 320 * 3));
	});

	it('answers ping and a tool error on the same stream', async () => {
		expect(await client.ping()).toEqual({});
		const result = await callTool(client, 'generate_image', { prompt: 'too many', count: 50 });
		expect(result.isError).toBe(true);
		expect(JSON.parse(firstText(result)).error).toMatch(/\bcount\b/);
	});
});

describe(`SDK SSEClientTransport, D1 outbox only, ${SLOW_LATENCY_MS} ms per image`, () => {
	let client: Client;

	beforeAll(async () => {
		client = await connectSseClient(outboxServer.url);
		await client.listTools();
	});

	afterAll(async () => {
		await client?.close();
	});

	it('wait_for_completion sends progress notifications on the stream before the completed result', async () => {
		await expectProgressBeforeResult(client, 'progress over sse');
	});

	it('answers ping and tools/list on the same session while a wait_for_completion is still running', async () => {
		const job = structured(await callTool(client, 'generate_image', { prompt: 'concurrency over sse' }));
		let waitRunning!: () => void;
		const running = new Promise<void>((resolve) => {
			waitRunning = resolve;
		});
		let waitSettled = false;
		const wait = callTool(
			client,
			'wait_for_completion',
			{ job_id: job.job_id, timeout_seconds: 20 },
			// Its first progress notification means the server is running the wait.
			{ onprogress: () => waitRunning(), timeout: 30_000 },
		).finally(() => {
			waitSettled = true;
		});
		await running;

		const ping = client.ping().then(() => ({ waitSettled }));
		const list = client.listTools().then(({ tools }) => ({ waitSettled, tools }));
		const [pinged, listed] = await Promise.all([ping, list]);
		expect(pinged.waitSettled, 'ping was answered only after the wait').toBe(false);
		expect(listed.waitSettled, 'tools/list was answered only after the wait').toBe(false);
		expect(listed.tools.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
		expect(structured(await wait)).toMatchObject({ done: true, status: 'completed' });
	});
});

describe('SDK SSEClientTransport with a bearer token (AUTH_TOKEN set)', () => {
	const clients: Client[] = [];

	afterEach(async () => {
		await Promise.allSettled(clients.splice(0).map((client) => client.close()));
	});

	it('requestInit.headers alone reach both the GET /sse and the POSTs (SDK 1.32)', async () => {
		const client = await connectSseClient(authServer.url, {
			requestInit: { headers: { Authorization: `Bearer ${AUTH_TOKEN}` } },
		});
		clients.push(client);
		const { tools } = await client.listTools();
		expect(tools.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
	});

	it('the older recipe, requestInit plus an eventSourceInit fetch that adds the header, works too', async () => {
		const authorization = `Bearer ${AUTH_TOKEN}`;
		const client = await connectSseClient(authServer.url, {
			requestInit: { headers: { Authorization: authorization } },
			// The SDK wraps this fetch and hands it its own Headers object (Accept and requestInit's).
			eventSourceInit: {
				fetch: (url, init) => {
					const headers = new Headers(init?.headers);
					headers.set('Authorization', authorization);
					return fetch(url, { ...init, headers });
				},
			},
		});
		clients.push(client);
		expect(await client.ping()).toEqual({});
		expect((await client.listTools()).tools).toHaveLength(EXPECTED_TOOLS.length);
	});

	it('connect rejects with 401 without the header, and with a wrong token', async () => {
		const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }];
		for (const headers of attempts) {
			const attempt = connectSseClient(authServer.url, { requestInit: { headers } });
			await expect(attempt, JSON.stringify(headers)).rejects.toMatchObject({ code: 401 });
		}
	});
});

describe('raw HTTP, as curl does it', () => {
	const readers: SseReader[] = [];

	afterEach(async () => {
		await Promise.all(readers.splice(0).map((reader) => reader.close()));
	});

	async function openStream(url: string, headers: Record<string, string> = {}) {
		const response = await fetch(`${url}/sse`, { headers });
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/event-stream');
		const reader = new SseReader(response);
		readers.push(reader);
		const first = await within(5_000, 'the endpoint event', reader.next());
		expect(first.event).toBe('endpoint');
		expect(first.data).toMatch(ENDPOINT_PATTERN);
		return { reader, endpoint: new URL(first.data, url).href };
	}

	/** Reads `event: message`s until the JSON-RPC response with `id`, returning it and what came before. */
	async function responseTo(reader: SseReader, id: number, ms = 10_000) {
		const before: SseEvent[] = [];
		return within(
			ms,
			`the response with id ${id}`,
			(async () => {
				for (;;) {
					const event = await reader.next();
					expect(event.event).toBe('message');
					const message = JSON.parse(event.data);
					if (message.id === id) return { message, before };
					before.push(event);
				}
			})(),
		);
	}

	function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
		return send(url, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', ...headers },
			body: JSON.stringify(body),
		});
	}

	describe.each(servers)('%s', (_label, server) => {
		it('GET /sse names the endpoint; a tools/list POSTed there is answered 202 and its response arrives on the stream', async () => {
			const { reader, endpoint } = await openStream(server().url);
			const posted = await postJson(endpoint, { jsonrpc: '2.0', id: 41, method: 'tools/list' });
			expect(posted.status).toBe(202);
			const { message } = await responseTo(reader, 41);
			expect(message).toMatchObject({ jsonrpc: '2.0', id: 41 });
			expect(message.result.tools.map((tool: { name: string }) => tool.name)).toEqual([...EXPECTED_TOOLS]);
		});
	});

	it('a tool call is answered 202 before its job finishes, and its progress and result follow on the stream (D1 outbox, slow job)', async () => {
		const { reader, endpoint } = await openStream(outboxServer.url);
		const prompt = `raw sse ${randomUUID()}`;
		const posted = await postJson(endpoint, {
			jsonrpc: '2.0',
			id: 7,
			method: 'tools/call',
			params: { name: 'generate_image_and_wait', arguments: { prompt }, _meta: { progressToken: 'p7' } },
		});
		expect(posted.status).toBe(202);
		// Answered at once: the job it started is not finished yet (it takes SLOW_LATENCY_MS).
		const listed = await postMcp(outboxServer.url, toolCallRequest('list_jobs', {}));
		const jobs = (listed.json as { result: { structuredContent: { jobs: { prompt: string; status: string }[] } } })
			.result.structuredContent.jobs;
		expect(['pending', 'processing']).toContain(jobs.find((entry) => entry.prompt === prompt)?.status);

		const { message, before } = await responseTo(reader, 7, 30_000);
		const outcome = JSON.parse(message.result.content[0].text);
		expect(outcome).toMatchObject({ status: 'completed', done: true, prompt });
		const progress = before.map((event) => JSON.parse(event.data));
		expect(progress.length).toBeGreaterThanOrEqual(1);
		for (const notification of progress) {
			expect(notification).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'p7' } });
		}
	});

	it('POST to /messages with an unknown session id answers 404 JSON, and with none 400', async () => {
		const unknown = await postJson(`${memoryServer.url}/messages?sessionId=${'0'.repeat(32)}`, {
			jsonrpc: '2.0',
			id: 1,
			method: 'tools/list',
		});
		expect(unknown.status).toBe(404);
		expect(unknown.headers.get('content-type')).toContain('application/json');
		expect(unknown.json.error).toMatch(/Unknown or expired session/);

		const missing = await postJson(`${memoryServer.url}/messages`, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
		expect(missing.status).toBe(400);
		expect(missing.json.error).toMatch(/sessionId/);
	});

	it('POST /sse with a JSON-RPC tools/list and no Accept is answered as Streamable HTTP, in JSON', async () => {
		const response = await postJson(`${memoryServer.url}/sse`, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('application/json');
		expect(response.json).toMatchObject({ jsonrpc: '2.0', id: 3 });
		expect(response.json.result.tools.map((tool: { name: string }) => tool.name)).toEqual([...EXPECTED_TOOLS]);
	});

	it('GET /sse needs the bearer token when one is set: 401 with a challenge, then a working stream with it', async () => {
		const refused = await fetch(`${authServer.url}/sse`);
		expect(refused.status).toBe(401);
		expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
		await refused.body?.cancel();

		const authorization = { Authorization: `Bearer ${AUTH_TOKEN}` };
		const { reader, endpoint } = await openStream(authServer.url, authorization);
		expect((await postJson(endpoint, { jsonrpc: '2.0', id: 9, method: 'ping' })).status).toBe(401);
		expect((await postJson(endpoint, { jsonrpc: '2.0', id: 9, method: 'ping' }, authorization)).status).toBe(202);
		expect((await responseTo(reader, 9)).message).toMatchObject({ id: 9, result: {} });
	});
});
