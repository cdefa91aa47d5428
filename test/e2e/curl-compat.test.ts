/**
 * End to end with raw fetch, exactly as the seed's curl scripts talk to the server: a POST to
 * /mcp with only `Content-Type: application/json`, no Accept (beyond fetch's and curl's own
 * `*\/*`), no initialize and no session. Also the HTTP edge around it: methods, malformed
 * bodies, Origin and protocol-version checks, /health, image paths, and bearer-token auth.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import {
	callTool,
	connectClient,
	connectSseClient,
	EXPECTED_TOOLS,
	postMcp,
	printServerLogsOnFailure,
	send,
	toolCallRequest,
	UUID_PATTERN,
} from './helpers';

const AUTH_TOKEN = 'e2e-secret';
/** Two users with their own tokens, next to AUTH_TOKEN; the secret holds only the hashes. */
const USERS = { alice: 'imcp_alice-e2e-token', bob: 'imcp_bob-e2e-token' };
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const AUTH_TOKENS = JSON.stringify([
	{ id: 'alice@example.com', name: 'Alice', sha256: sha256(USERS.alice) },
	{ id: 'bob', sha256: sha256(USERS.bob) },
]);
const TOOLS_LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

let openServer: DevServer;
let authServer: DevServer;

beforeAll(async () => {
	[openServer, authServer] = await Promise.all([
		startDevServer(),
		startDevServer({ vars: { AUTH_TOKEN, AUTH_TOKENS } }),
	]);
});

afterAll(async () => {
	await Promise.all([openServer?.stop(), authServer?.stop()]);
});

printServerLogsOnFailure(() => [openServer, authServer]);

/** `jq '.result.content[0].text | fromjson'`, as the seed's scripts do. */
function textJson(body: { result: { content: Array<{ text: string }> } }) {
	return JSON.parse(body.result.content[0]!.text);
}

describe('curl-style JSON-RPC on a token-less local server', () => {
	it('tools/list with no Accept header and no initialize answers JSON with every tool', async () => {
		const response = await postMcp(openServer.url, TOOLS_LIST);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('application/json');
		expect(response.json).toMatchObject({ jsonrpc: '2.0', id: 1 });
		expect(response.json.result.tools.map((tool: { name: string }) => tool.name)).toEqual([...EXPECTED_TOOLS]);
	});

	it('generate_image then wait_for_completion: the job id comes out of the text JSON and the wait gives an image URL', async () => {
		const started = await postMcp(
			openServer.url,
			toolCallRequest('generate_image', { prompt: 'a mountain landscape' }),
		);
		expect(started.status).toBe(200);
		expect(started.headers.get('content-type')).toContain('application/json');
		const jobId = textJson(started.json).job_id;
		expect(jobId).toMatch(UUID_PATTERN);

		const waited = await postMcp(openServer.url, toolCallRequest('wait_for_completion', { job_id: jobId }));
		expect(waited.status).toBe(200);
		expect(waited.json.result.isError).toBeFalsy();
		const outcome = textJson(waited.json);
		expect(outcome).toMatchObject({ job_id: jobId, status: 'completed', done: true });
		expect(outcome.image_url).toMatch(/^https?:\/\/.+\/images\//);
		expect(outcome.markdown).toContain(`(${outcome.image_url})`);

		const image = await fetch(outcome.image_url);
		expect(image.status).toBe(200);
		expect(image.headers.get('content-type')).toBe('image/png');
	});

	it('delete_image makes the URL answer 410 Gone; cancel_job on the finished job says so without error', async () => {
		const made = textJson(
			(await postMcp(openServer.url, toolCallRequest('generate_image_and_wait', { prompt: 'to be deleted' }))).json,
		);
		expect(made.status).toBe('completed');
		expect((await fetch(made.image_url)).status).toBe(200);

		const cancel = await postMcp(openServer.url, toolCallRequest('cancel_job', { job_id: made.job_id }));
		expect(cancel.json.result.isError).toBeFalsy();
		expect(textJson(cancel.json).results[0]).toMatchObject({ status: 'completed', cancelled: false });

		const deleted = await postMcp(openServer.url, toolCallRequest('delete_image', { image: made.image_url }));
		expect(textJson(deleted.json)).toMatchObject({ deleted: true, status: 'deleted' });
		const gone = await send(made.image_url);
		expect(gone.status).toBe(410);
		expect(gone.json).toMatchObject({ reason: 'deleted' });

		const status = textJson(
			(await postMcp(openServer.url, toolCallRequest('get_job_status', { job_id: made.job_id }))).json,
		);
		expect(status.image_url).toBeUndefined();
		expect(status.removed_images).toEqual([expect.objectContaining({ reason: 'deleted' })]);
	});

	it('runs the cron (sweeper, retention) when /cdn-cgi/local/scheduled is requested, as docs/reliability.md says', async () => {
		const response = await send(`${openServer.url}/cdn-cgi/local/scheduled`);
		expect(response.status).toBe(200);
		const health = await send(`${openServer.url}/health`);
		expect(health.status).toBe(200);
	});

	it('answers a progress token with plain JSON when the client does not accept an event stream', async () => {
		const request = toolCallRequest('generate_image_and_wait', { prompt: 'no stream for curl' });
		const response = await postMcp(openServer.url, {
			...request,
			params: { ...request.params, _meta: { progressToken: 7 } },
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('application/json');
		expect(textJson(response.json)).toMatchObject({ status: 'completed' });
	});

	it("runs the seed's generate_image_and_wait example (model flux-schnell) verbatim on the local stand-in", async () => {
		const response = await postMcp(
			openServer.url,
			toolCallRequest('generate_image_and_wait', { prompt: 'a golden sunset over the ocean', model: 'flux-schnell' }),
		);
		expect(response.status).toBe(200);
		expect(response.json.result.isError).toBeFalsy();
		const outcome = textJson(response.json);
		expect(outcome).toMatchObject({ status: 'completed', model: 'flux-schnell' });
		expect(outcome.image_url).toMatch(/^https?:\/\//);
	});

	it('answers a notification (no id) with 202 and an empty body', async () => {
		const response = await postMcp(openServer.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
		expect(response.status).toBe(202);
		expect(response.text).toBe('');
	});

	it('answers GET and DELETE /mcp with 405 and Allow: POST (stateless: no stream, no session)', async () => {
		for (const method of ['GET', 'DELETE']) {
			const response = await send(`${openServer.url}/mcp`, { method, headers: { Accept: 'text/event-stream' } });
			expect(response.status, method).toBe(405);
			expect(response.headers.get('allow'), method).toBe('POST');
			expect(response.json?.error?.code, method).toBe(-32600);
		}
	});

	it('answers malformed JSON with 400 and a JSON-RPC parse error (-32700)', async () => {
		const response = await postMcp(openServer.url, '{"jsonrpc":"2.0","id":1,"method":');
		expect(response.status).toBe(400);
		expect(response.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
	});

	it('answers JSON that is not JSON-RPC with 400 and an invalid-request error (-32600)', async () => {
		const response = await postMcp(openServer.url, { hello: 'world' });
		expect(response.status).toBe(400);
		expect(response.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
	});

	it('refuses a foreign Origin with 403 and serves a loopback one (DNS-rebinding protection)', async () => {
		const foreign = await postMcp(openServer.url, TOOLS_LIST, { Origin: 'https://evil.example' });
		expect(foreign.status).toBe(403);
		// Refused by the local-dev host guard (src/worker/host-guard.ts), before the CORS origin check.
		expect(foreign.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
		expect(foreign.json.error.message).toContain('Origin "https://evil.example"');

		const local = await postMcp(openServer.url, TOOLS_LIST, { Origin: 'http://localhost:6274' });
		expect(local.status).toBe(200);
		expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
	});

	it('answers an unsupported MCP-Protocol-Version header with 400', async () => {
		const response = await postMcp(openServer.url, TOOLS_LIST, { 'MCP-Protocol-Version': '1999-01-01' });
		expect(response.status).toBe(400);
		expect(response.json?.error?.message).toMatch(/protocol version/i);
	});

	it('initialize echoes a supported protocol version and offers its latest for an unknown one', async () => {
		const initialize = (protocolVersion: string) =>
			postMcp(openServer.url, {
				jsonrpc: '2.0',
				id: 1,
				method: 'initialize',
				params: { protocolVersion, capabilities: {}, clientInfo: { name: 'curl', version: '8' } },
			});
		const supported = await initialize('2025-06-18');
		expect(supported.status).toBe(200);
		expect(supported.json.result).toMatchObject({
			protocolVersion: '2025-06-18',
			serverInfo: { name: 'image-mcp' },
			capabilities: { tools: {} },
		});

		const unknown = await initialize('1999-01-01');
		expect(unknown.status).toBe(200);
		expect(unknown.json.result.protocolVersion).toBe('2025-11-25');
	});

	it('GET /health answers 200 with every binding ok', async () => {
		const response = await send(`${openServer.url}/health`);
		expect(response.status).toBe(200);
		expect(response.json).toMatchObject({
			status: 'ok',
			bindings: { DB: 'ok', IMAGES: 'ok', JOBS: 'bound' },
			default_model: 'offline',
		});
	});

	it('answers bad and path-traversal image paths with a JSON 404, never a 500', async () => {
		const paths = [
			'/images/not-a-job/0.png',
			`/images/${randomUUID()}/0.png`,
			`/images/${randomUUID()}/999.png`,
			'/images/..%2F..%2Fetc/passwd',
			'/images/..%2F..%2F..%2Fwrangler.jsonc',
			'/images/%2e%2e/%2e%2e/etc/passwd',
			'/images/only-one-segment',
		];
		for (const path of paths) {
			const response = await send(`${openServer.url}${path}`);
			expect(response.status, path).toBe(404);
			expect(response.headers.get('content-type'), path).toContain('application/json');
			expect(response.json?.error, path).toEqual(expect.any(String));
		}
		// An extension that names no format is refused before the image is looked up.
		const unknownFormat = await send(`${openServer.url}/images/${randomUUID()}/0.exe`);
		expect(unknownFormat.status).toBe(400);
		expect(unknownFormat.headers.get('content-type')).toContain('application/json');
		expect(unknownFormat.json?.error).toMatch(/png.*jpeg.*webp.*avif/);
	});
});

describe('bearer-token auth (AUTH_TOKEN set)', () => {
	it('refuses a request without a token: 401, a JSON-RPC error body and a WWW-Authenticate: Bearer challenge', async () => {
		const response = await postMcp(authServer.url, TOOLS_LIST);
		expect(response.status).toBe(401);
		expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
		expect(response.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001 } });
		expect(response.json.error.message).toContain('Authorization: Bearer');
	});

	it('refuses a wrong token with 401', async () => {
		const response = await postMcp(authServer.url, TOOLS_LIST, { Authorization: 'Bearer not-the-secret' });
		expect(response.status).toBe(401);
		expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
		expect(response.json?.error?.code).toBe(-32001);
	});

	it('serves tools/list to the right token, by curl and by the SDK client', async () => {
		const response = await postMcp(authServer.url, TOOLS_LIST, { Authorization: `Bearer ${AUTH_TOKEN}` });
		expect(response.status).toBe(200);
		expect(response.json.result.tools).toHaveLength(EXPECTED_TOOLS.length);

		const client = await connectClient(authServer.url, { Authorization: `Bearer ${AUTH_TOKEN}` });
		try {
			expect((await client.listTools()).tools).toHaveLength(EXPECTED_TOOLS.length);
		} finally {
			await client.close();
		}
	});

	it('keeps /health open, and reports bearer-token auth only to a caller with a token', async () => {
		const anonymous = await send(`${authServer.url}/health`);
		expect(anonymous.status).toBe(200);
		expect(anonymous.json).toMatchObject({ status: 'ok' });
		expect(anonymous.json.auth).toBeUndefined();
		const response = await send(`${authServer.url}/health`, { headers: { authorization: `Bearer ${AUTH_TOKEN}` } });
		expect(response.status).toBe(200);
		expect(response.json.auth).toEqual({
			mode: 'bearer token (AUTH_TOKEN), bearer tokens (AUTH_TOKENS: 2 tokens)',
			serving: true,
		});
	});
});

describe('per-user tokens (AUTH_TOKENS) on a real wrangler dev', () => {
	it("each user's SDK client sees only their own jobs, over Streamable HTTP and legacy SSE", async () => {
		const alice = await connectClient(authServer.url, { Authorization: `Bearer ${USERS.alice}` });
		const bob = await connectSseClient(authServer.url, {
			requestInit: { headers: { Authorization: `Bearer ${USERS.bob}` } },
		});
		try {
			const made = await callTool(alice, 'generate_image_and_wait', { prompt: 'a paper boat', model: 'offline' });
			const jobId = (made.structuredContent as { job_id: string }).job_id;
			expect((made.structuredContent as { status: string }).status).toBe('completed');

			const theirs = await callTool(bob, 'get_job_status', { job_id: jobId });
			const unknownId = randomUUID();
			const unknown = await callTool(bob, 'get_job_status', { job_id: unknownId });
			expect(theirs.isError).toBe(true);
			expect(JSON.stringify(theirs.content).replaceAll(jobId, '<id>')).toBe(
				JSON.stringify(unknown.content).replaceAll(unknownId, '<id>'),
			);
			const bobsJobs = await callTool(bob, 'list_jobs', {});
			expect(JSON.stringify(bobsJobs.structuredContent)).not.toContain(jobId);
			const alicesJobs = await callTool(alice, 'list_jobs', {});
			expect(JSON.stringify(alicesJobs.structuredContent)).toContain(jobId);
		} finally {
			await Promise.allSettled([alice.close(), bob.close()]);
		}
	});

	it('curl with a token that is not in the table gets 401', async () => {
		const response = await postMcp(authServer.url, TOOLS_LIST, { Authorization: 'Bearer imcp_not-listed' });
		expect(response.status).toBe(401);
	});
});
