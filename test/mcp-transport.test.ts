import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/worker/app';
import { DEFAULT_PRINCIPAL } from '../src/worker/auth';
import { lookupToken, sha256 } from '../src/worker/tokens';
import { EXPECTED_TOOLS } from './helpers/expected-tools';
import { BASE, post, postWithEnv, rpcBody } from './helpers/mcp';

type JsonObject = { type: string; properties?: Record<string, { description?: string }> };

describe('POST /mcp: stateless Streamable HTTP, curl-compatible', () => {
	it('answers tools/list with JSON to a POST with only Content-Type and no initialize', async () => {
		const response = await post(rpcBody('tools/list'));
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('application/json');
		const body = (await response.json()) as { result: { tools: { name: string }[] } };
		expect(body.result.tools.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
	});

	it("keeps the schemas' real integer bounds and drops zod's safe-integer ones, which say nothing", async () => {
		const text = await (await post(rpcBody('tools/list'))).text();
		expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
		const { result } = JSON.parse(text) as { result: { tools: { name: string; inputSchema: JsonObject }[] } };
		const generate = result.tools.find((tool) => tool.name === 'generate_image')!;
		const properties = generate.inputSchema.properties as Record<string, { minimum?: number; maximum?: number }>;
		expect(properties.count).toMatchObject({ minimum: 1, maximum: 20 });
	});

	it('describes every tool fully: title, annotations, described inputs, an object outputSchema', async () => {
		const body = (await (await post(rpcBody('tools/list'))).json()) as {
			result: {
				tools: {
					title: string;
					annotations: object;
					inputSchema: JsonObject;
					outputSchema: JsonObject;
					description: string;
				}[];
			};
		};
		for (const tool of body.result.tools) {
			expect(tool.title).toBeTruthy();
			expect(tool.description.length).toBeGreaterThan(40);
			expect(tool.annotations).toHaveProperty('readOnlyHint');
			expect(tool.inputSchema.type).toBe('object');
			expect(tool.outputSchema.type).toBe('object');
			for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) {
				expect(property.description, `${name} is described`).toBeTruthy();
			}
		}
	});

	it('negotiates the protocol version: echoes a supported one, offers its latest otherwise', async () => {
		const init = (protocolVersion: string) =>
			post(rpcBody('initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 't', version: '1' } })).then(
				(response) => response.json() as Promise<{ result: { protocolVersion: string } }>,
			);
		expect((await init('2025-06-18')).result.protocolVersion).toBe('2025-06-18');
		expect((await init('2024-11-05')).result.protocolVersion).toBe('2024-11-05');
		expect((await init('1999-01-01')).result.protocolVersion).toBe('2025-11-25');
	});

	it('answers a plain tools/list from the cache exactly as the SDK answers it', async () => {
		// With `_meta` in params the request goes through the SDK's server; without, it does not.
		const viaSdk = await post(rpcBody('tools/list', { _meta: { trace: 'x' } }));
		const cached = await post(JSON.stringify({ jsonrpc: '2.0', id: 'abc', method: 'tools/list' }));
		const withCursor = await post(
			JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { cursor: 'c' } }),
		);
		for (const response of [viaSdk, cached, withCursor]) {
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('application/json');
		}
		const sdkBody = (await viaSdk.json()) as { result: unknown };
		expect(await cached.json()).toEqual({ jsonrpc: '2.0', id: 'abc', result: sdkBody.result });
		expect(await withCursor.json()).toEqual({ jsonrpc: '2.0', id: 7, result: sdkBody.result });
		// A supported version header keeps it on the fast path; an unsupported one is the SDK's 400 (below).
		const versioned = await post(rpcBody('tools/list'), { 'mcp-protocol-version': '2025-06-18' });
		expect(((await versioned.json()) as { result: unknown }).result).toEqual(sdkBody.result);
	});

	it('refuses an unsupported MCP-Protocol-Version header with 400', async () => {
		const response = await post(rpcBody('tools/list'), { 'mcp-protocol-version': '1999-01-01' });
		expect(response.status).toBe(400);
	});

	it('answers notifications with 202 and no body', async () => {
		const response = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
		expect(response.status).toBe(202);
		expect(await response.text()).toBe('');
	});

	it('answers GET and DELETE with 405', async () => {
		for (const method of ['GET', 'DELETE']) {
			const response = await exports.default.fetch(new Request(`${BASE}/mcp`, { method }));
			expect(response.status).toBe(405);
			expect(response.headers.get('allow')).toBe('POST');
		}
	});

	it('answers malformed JSON with a JSON-RPC parse error', async () => {
		const response = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual({
			jsonrpc: '2.0',
			error: {
				code: -32700,
				message: 'Parse error: the request body is not valid JSON (Unexpected end of JSON input).',
			},
			id: null,
		});
	});

	it.each([
		['"hello"', -32600, 'expected a JSON-RPC 2.0 object'],
		['[]', -32600, 'empty batch'],
		['{"id":1,"method":"tools/list"}', -32600, 'expected a JSON-RPC 2.0 object'],
		['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}', -32602, 'needs params.name'],
		[
			'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_jobs","arguments":"oops"}}',
			-32602,
			'must be an object',
		],
	])('answers the malformed message %s with %i and says what is wrong', async (body, code, message) => {
		const response = await post(body);
		expect(response.status).toBe(400);
		const json = (await response.json()) as { error: { code: number; message: string } };
		expect(json.error.code).toBe(code);
		expect(json.error.message).toContain(message);
	});

	it('answers an unknown method with -32601 and an unknown tool with -32602 naming the tools', async () => {
		const method = (await (await post(rpcBody('images/teleport'))).json()) as { error: { code: number } };
		expect(method.error.code).toBe(-32601);
		const tool = (await (await post(rpcBody('tools/call', { name: 'make_art', arguments: {} }))).json()) as {
			error: { code: number; message: string };
		};
		expect(tool.error.code).toBe(-32602);
		expect(tool.error.message).toContain('Unknown tool "make_art"');
		expect(tool.error.message).toContain('generate_image_and_wait');
	});

	it('refuses a body over 1 MiB with 413 before parsing it', async () => {
		const prompt = 'x'.repeat(1024 * 1024 + 10);
		const response = await post(rpcBody('tools/call', { name: 'generate_image', arguments: { prompt } }));
		expect(response.status).toBe(413);
		expect(((await response.json()) as { error: { message: string } }).error.message).toContain('1048576 bytes');
		expect(await env.DB.prepare('SELECT count(*) AS n FROM jobs').first('n')).toBe(0);
	});

	it('refuses a foreign Origin (DNS rebinding) and accepts a loopback one in local dev', async () => {
		const foreign = await post(rpcBody('tools/list'), { origin: 'https://evil.example' });
		expect(foreign.status).toBe(403);
		const local = await post(rpcBody('tools/list'), { origin: 'http://localhost:6274' });
		expect(local.status).toBe(200);
		expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
	});

	it('accepts a configured extra Origin', async () => {
		const response = await postWithEnv({ ALLOWED_ORIGINS: 'https://chat.example.com' }, rpcBody('tools/list'), {
			origin: 'https://chat.example.com',
		});
		expect(response.status).toBe(200);
	});

	it('serves POST /sse as Streamable HTTP for clients that try it first', async () => {
		const response = await post(rpcBody('tools/list'), {}, '/sse');
		expect(response.status).toBe(200);
		expect(((await response.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(
			EXPECTED_TOOLS.length,
		);
	});
});

describe('auth', () => {
	const withToken = { AUTH_TOKEN: 'correct horse battery staple' };

	it('answers a missing token with 401, a Bearer challenge and a JSON-RPC error body', async () => {
		const response = await postWithEnv(withToken, rpcBody('tools/list'));
		expect(response.status).toBe(401);
		expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
		const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string } };
		expect(body.jsonrpc).toBe('2.0');
		expect(body.error.message).toContain('Authorization: Bearer');
	});

	it('answers a wrong token with 401 and the right one with 200', async () => {
		const wrong = await postWithEnv(withToken, rpcBody('tools/list'), { authorization: 'Bearer correct horse' });
		expect(wrong.status).toBe(401);
		const right = await postWithEnv(withToken, rpcBody('tools/list'), {
			authorization: 'Bearer correct horse battery staple',
		});
		expect(right.status).toBe(200);
	});

	it('refuses every MCP request on a deployed Worker with no token, and says why in /health', async () => {
		const deployed = { LOCAL_DEV: '', AUTH_TOKEN: undefined };
		const response = await postWithEnv(deployed, rpcBody('tools/list'));
		expect(response.status).toBe(503);
		expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
			'wrangler secret put AUTH_TOKEN',
		);
		const { createApp } = await import('../src/worker/app');
		const health = await createApp().fetch(new Request(`${BASE}/health`), { ...env, ...deployed });
		expect(health.status).toBe(503);
		expect(((await health.json()) as { auth: { serving: boolean; reason: string } }).auth).toMatchObject({
			serving: false,
		});
	});

	it('serves a token-less local dev server to loopback clients only', async () => {
		const remote = await postWithEnv({}, rpcBody('tools/list'), {}, 'http://203.0.113.9:8787/mcp');
		expect(remote.status).toBe(403);
		const viaProxy = await postWithEnv({}, rpcBody('tools/list'), { 'cf-connecting-ip': '198.51.100.7' });
		expect(viaProxy.status).toBe(403);
		const loopback = await postWithEnv({}, rpcBody('tools/list'), { 'cf-connecting-ip': '127.0.0.1' });
		expect(loopback.status).toBe(200);
	});

	it('compares tokens by content only', async () => {
		// AUTH_TOKEN "abc" as the auth setup holds it: one entry of the bearer-token table.
		const table = { entries: [{ principal: DEFAULT_PRINCIPAL, hash: await sha256('abc') }] };
		const tokensMatch = async (given: string) => (await lookupToken(table, given)) !== undefined;
		expect(await tokensMatch('abc')).toBe(true);
		expect(await tokensMatch('abd')).toBe(false);
		expect(await tokensMatch('abcd')).toBe(false);
		expect(await tokensMatch('')).toBe(false);
	});
});

describe('GET /health and GET /', () => {
	it('reports the bindings and the local auth mode', async () => {
		const response = await exports.default.fetch(`${BASE}/health`);
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({
			status: 'ok',
			bindings: { DB: 'ok', IMAGES: 'ok', JOBS: 'bound' },
			default_model: 'offline',
			providers: {
				offline: 'configured',
				'workers-ai': 'not configured (set the AI binding (wrangler.jsonc "ai"))',
				openai: 'not configured (set OPENAI_API_KEY)',
			},
		});
		const { models } = (await (await exports.default.fetch(`${BASE}/health`)).json()) as { models: string[] };
		expect(models.slice(0, 4)).toEqual(['offline', 'flux-schnell', 'sdxl-lightning', 'sdxl-base']);
		expect(models).not.toContain('dall-e-3');
	});

	it('says locally which models are offline stand-ins, and that no token is needed on loopback', async () => {
		const health = (await (await exports.default.fetch(`${BASE}/health`)).json()) as {
			bindings: { AI: string };
			local_stand_ins: string[];
		};
		expect(health.bindings.AI).toContain('drawn by the offline provider');
		expect(health.local_stand_ins).toEqual(expect.arrayContaining(['flux-schnell', 'sdxl-base']));
		expect(health.local_stand_ins).not.toContain('offline');

		const entry = (await (await exports.default.fetch(`${BASE}/`)).json()) as { auth: string };
		expect(entry.auth).toMatch(/^none needed/);
		const deployed = (await (
			await createApp().fetch(new Request(`${BASE}/`), { ...env, AUTH_TOKEN: 'x', LOCAL_DEV: 'false' })
		).json()) as { auth: string };
		expect(deployed.auth).toBe('Authorization: Bearer <token>');
	});

	it('answers unknown paths with a JSON 404', async () => {
		const response = await exports.default.fetch(`${BASE}/nope`);
		expect(response.status).toBe(404);
		expect(await response.json()).toEqual({ error: 'Not found: GET /nope' });
	});
});

describe('GET /health for anonymous callers', () => {
	const withToken = { AUTH_TOKEN: 'health-secret' };

	it('gives status, bindings and the names of settings to fix, not counts, providers, models or values', async () => {
		const app = createApp();
		const bindings = { ...env, ...withToken, DAILY_BUDGET_USD: '$5' };
		const anonymous = await app.fetch(new Request(`${BASE}/health`), bindings);
		const body = (await anonymous.json()) as Record<string, unknown>;
		expect(Object.keys(body).sort()).toEqual(['bindings', 'details', 'settings_to_fix', 'status']);
		expect(body.settings_to_fix).toEqual(['DAILY_BUDGET_USD']);
		expect(JSON.stringify(body)).not.toMatch(/\$5|AUTH_TOKEN\)|offline/);

		const withCredential = await app.fetch(
			new Request(`${BASE}/health`, { headers: { authorization: 'Bearer health-secret' } }),
			bindings,
		);
		const full = (await withCredential.json()) as Record<string, unknown>;
		expect(full).toMatchObject({ default_model: 'offline', auth: { serving: true } });
		expect(JSON.stringify(full.config_warnings)).toContain('$5');
		expect(JSON.stringify(full.auth)).toContain('bearer token (AUTH_TOKEN)');
	});
});
