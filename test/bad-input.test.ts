/**
 * Bad input at the HTTP edge, fast and inside workerd: what the e2e corpus
 * (test/e2e/bad-input.test.ts) found the SDK answering badly, and how the edge answers instead.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/worker/app';
import { MAX_BODY_BYTES } from '../src/worker/json-body';
import { BASE, post, rpcBody } from './helpers/mcp';

type RpcError = { jsonrpc: string; id: unknown; error: { code: number; message: string } };

async function jobCount(): Promise<number> {
	return (await env.DB.prepare('SELECT count(*) AS n FROM jobs').first<number>('n')) ?? 0;
}

const generate = (prompt: string) =>
	`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"generate_image","arguments":{"prompt":"${prompt}"}}}`;

describe('JSON-RPC envelope errors are invalid requests that say what is wrong, not parse errors', () => {
	it.each([
		['no method', '{"jsonrpc":"2.0","id":1}', -32600, 1, '"method" member is missing'],
		['a numeric method', '{"jsonrpc":"2.0","id":2,"method":5}', -32600, 2, '"method" must be a method name'],
		[
			'an object id',
			'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}',
			-32600,
			null,
			'"id" must be a string or an integer',
		],
		['a null id', '{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, null, '"id" must be a string or an integer'],
		[
			'a fractional id',
			'{"jsonrpc":"2.0","id":1.5,"method":"ping"}',
			-32600,
			null,
			'"id" must be a string or an integer',
		],
		['an unknown member', '{"jsonrpc":"2.0","id":3,"method":"ping","extra":1}', -32600, 3, 'unknown member(s) "extra"'],
		[
			'array params',
			'{"jsonrpc":"2.0","id":4,"method":"tools/list","params":[1]}',
			-32602,
			4,
			'"params" must be an object',
		],
		['null params', '{"jsonrpc":"2.0","id":5,"method":"tools/list","params":null}', -32602, 5, 'not null'],
		['a numeric _meta', '{"jsonrpc":"2.0","id":6,"method":"ping","params":{"_meta":5}}', -32602, 6, 'params._meta'],
		['a non-object result', '{"jsonrpc":"2.0","id":8,"result":5}', -32600, 8, 'object "result"'],
		['wrong jsonrpc version', '{"jsonrpc":"1.0","id":9,"method":"ping"}', -32600, null, '"jsonrpc" is "1.0"'],
		[
			'a bad batch item',
			'[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2}]',
			-32600,
			null,
			'Batch item 1',
		],
	])('%s: 400 with code %i, the request id and the reason', async (_name, body, code, id, message) => {
		const response = await post(body);
		expect(response.status).toBe(400);
		const json = (await response.json()) as RpcError;
		expect(json).toMatchObject({ jsonrpc: '2.0', id, error: { code } });
		expect(json.error.message).toContain(message);
	});

	it('answers bad params of initialize and tools/list with -32602 naming the field, not -32603 and a schema dump', async () => {
		for (const [body, field] of [
			[rpcBody('initialize'), 'params: Invalid input: expected object'],
			[rpcBody('initialize', {}), 'params.protocolVersion: Invalid input: expected string'],
			[rpcBody('tools/list', { cursor: 5 }), 'params.cursor: Invalid input: expected string'],
		] as const) {
			const response = await post(body);
			expect(response.status, body).toBe(400);
			const json = (await response.json()) as RpcError;
			expect(json.error.code, body).toBe(-32602);
			expect(json.error.message, body).toContain(field);
			expect(json.error.message, body).not.toContain('"code": "invalid_type"');
		}
	});

	it.each([
		['tasks/get', { taskId: 5 }, 'params.taskId: Invalid input: expected string'],
		['tasks/get', {}, 'params.taskId'],
		['tasks/result', { taskId: null }, 'params.taskId'],
		['tasks/cancel', { taskId: ['x'] }, 'params.taskId'],
		['tasks/list', { cursor: {} }, 'params.cursor'],
		['resources/read', {}, 'params.uri'],
		['resources/read', { uri: 7 }, 'params.uri'],
		['resources/list', { cursor: 1 }, 'params.cursor'],
		['resources/templates/list', { cursor: false }, 'params.cursor'],
		['prompts/list', { cursor: [] }, 'params.cursor'],
	])('answers %s with bad params %j with -32602 naming the field', async (method, params, field) => {
		const response = await post(rpcBody(method, params));
		expect(response.status).toBe(400);
		const json = (await response.json()) as RpcError;
		expect(json.error.code).toBe(-32602);
		expect(json.error.message).toContain(`Invalid params for ${method}`);
		expect(json.error.message).toContain(field);
		expect(json.error.message).not.toContain('"code":');
	});

	it('names an unknown tool without the SDK\'s "MCP error -32602:" prefix', async () => {
		const json = (await (await post(rpcBody('tools/call', { name: 'nope', arguments: {} }))).json()) as RpcError;
		expect(json.error.code).toBe(-32602);
		expect(json.error.message).toMatch(/^Unknown tool "nope"\. Available tools: generate_image, /);
	});
});

describe('bodies that are not UTF-8 JSON', () => {
	it('refuses invalid UTF-8 with a parse error instead of creating a job with a mangled prompt', async () => {
		const before = await jobCount();
		const bytes = new TextEncoder().encode(generate('caf__ cat'));
		const at = bytes.indexOf(0x5f);
		bytes.set([0xff, 0xfe], at);
		const response = await exports.default.fetch(
			new Request(`${BASE}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes }),
		);
		expect(response.status).toBe(400);
		const json = (await response.json()) as RpcError;
		expect(json.error).toEqual({
			code: -32700,
			message: 'Parse error: the request body is not valid UTF-8; JSON must be sent as UTF-8.',
		});
		expect(await jobCount()).toBe(before);
	});

	it('refuses an unpaired surrogate escape (valid JSON, not text) instead of storing a mangled prompt', async () => {
		const before = await jobCount();
		for (const prompt of ['a \\ud800 cat', 'a cat \\udfff']) {
			const response = await post(generate(prompt));
			expect(response.status, prompt).toBe(400);
			const json = (await response.json()) as RpcError;
			expect(json.error.code, prompt).toBe(-32700);
			expect(json.error.message, prompt).toContain('unpaired UTF-16 surrogate');
		}
		expect(await jobCount()).toBe(before);
		// A proper pair (an emoji) is text.
		const pair = (await (await post(generate('a cat \\ud83d\\ude00'))).json()) as { result: { isError?: boolean } };
		expect(pair.result.isError).toBeFalsy();
		expect(await jobCount()).toBe(before + 1);
	});

	it('looks for surrogates without recursion: 200,000 nested arrays are a tool error, not a stack overflow', async () => {
		const deep = `${'['.repeat(200_000)}"\\ud800"${']'.repeat(200_000)}`;
		const response = await post(generate('a cat').replace('"prompt"', `"x":${deep},"prompt"`));
		expect(response.status).toBe(400);
		expect(((await response.json()) as RpcError).error.message).toContain('unpaired UTF-16 surrogate');
	});

	it('says an empty body is empty, and passes on where the JSON parser stopped', async () => {
		const empty = (await (await post('')).json()) as RpcError;
		expect(empty.error.code).toBe(-32700);
		expect(empty.error.message).toContain('the request body is empty');
		const control = (await (await post(generate('raw\u0001ctl'))).json()) as RpcError;
		expect(control.error.code).toBe(-32700);
		expect(control.error.message).toMatch(/not valid JSON \(Bad control character in string literal .*position \d+/);
	});

	it.each([
		['multipart/form-data; boundary=x', '"multipart/form-data; boundary=x"'],
		['application/xml', '"application/xml"'],
	])('refuses Content-Type %s with 415 and says to send application/json', async (contentType, named) => {
		const before = await jobCount();
		const response = await post(generate('a cat'), { 'content-type': contentType });
		expect(response.status).toBe(415);
		const json = (await response.json()) as RpcError;
		expect(json.error.code).toBe(-32600);
		expect(json.error.message).toContain(named);
		expect(json.error.message).toContain('Content-Type: application/json');
		expect(await jobCount()).toBe(before);
	});

	it.each([
		['no Content-Type', undefined],
		['text/plain', 'text/plain'],
		['curl -d without -H (a form type)', 'application/x-www-form-urlencoded'],
	])('takes a JSON body sent with %s, as a hand-typed curl sends it', async (_name, contentType) => {
		const response = await exports.default.fetch(
			new Request('http://localhost/mcp', {
				method: 'POST',
				headers: contentType ? { 'content-type': contentType } : {},
				body: rpcBody('tools/list'),
			}),
		);
		expect(response.status).toBe(200);
		expect(((await response.json()) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
	});

	it('says to send Content-Type: application/json when a form-typed body is not JSON', async () => {
		const response = await post('jsonrpc=2.0&id=1&method=tools%2Flist', {
			'content-type': 'application/x-www-form-urlencoded',
		});
		expect(response.status).toBe(400);
		const json = (await response.json()) as RpcError;
		expect(json.error.code).toBe(-32700);
		expect(json.error.message).toContain(
			'It was sent as application/x-www-form-urlencoded; send JSON with the header "Content-Type: application/json".',
		);
	});

	it('takes application/json with a charset', async () => {
		const response = await post(rpcBody('ping'), { 'content-type': 'application/json; charset=utf-8' });
		expect(response.status).toBe(200);
	});
});

describe('the body limit counts bytes, whether or not Content-Length is sent', () => {
	it('refuses a chunked body over the limit (no Content-Length to trust)', async () => {
		const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent > MAX_BODY_BYTES + chunk.byteLength) return controller.close();
				sent += chunk.byteLength;
				controller.enqueue(chunk);
			},
		});
		const request = new Request(`${BASE}/mcp`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body,
		});
		expect(request.headers.get('content-length')).toBeNull();
		const response = await exports.default.fetch(request);
		expect(response.status).toBe(413);
		expect(((await response.json()) as RpcError).error.message).toContain(`${MAX_BODY_BYTES} bytes`);
	});

	it('refuses a body under the limit in characters but over it in UTF-8 bytes', async () => {
		const prompt = 'é'.repeat(600_000);
		const response = await post(rpcBody('tools/call', { name: 'generate_image', arguments: { prompt } }));
		expect(response.status).toBe(413);
	});
});

describe('known paths with the wrong method answer 405 with Allow, not 404', () => {
	it.each([
		['PUT', '/mcp', 'POST'],
		['PATCH', '/mcp', 'POST'],
		['GET', '/messages', 'POST'],
		['PUT', '/sse', 'GET, POST'],
		['POST', '/health', 'GET, HEAD'],
		['POST', '/', 'GET, HEAD'],
		['DELETE', '/images/00000000-0000-4000-8000-000000000000/0.png', 'GET, HEAD'],
	])('%s %s', async (method, path, allow) => {
		const response = await exports.default.fetch(new Request(`${BASE}${path}`, { method }));
		expect(response.status).toBe(405);
		expect(response.headers.get('allow')).toBe(allow);
		const json = (await response.json()) as { error: string | { message: string } };
		const message = typeof json.error === 'string' ? json.error : json.error.message;
		expect(message).toContain('Method not allowed');
	});
});

describe('tool arguments: ranges, invisible text and keys JSON gives special meaning', () => {
	const callRaw = async (name: string, args: string) => {
		const response = await post(
			`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"${name}","arguments":${args}}}`,
		);
		return (await response.json()) as { result: { isError?: boolean; content: { text: string }[] } };
	};

	it.each([
		['generate_image', '{"prompt":"a boat","count":1e308}', 'count: Too big; allowed: 1–20.'],
		['generate_image', '{"prompt":"a boat","count":-1e308}', 'count: Too small; allowed: 1–20.'],
		['generate_image', '{"prompt":"a boat","seed":1e300}', 'seed: Too big; allowed: 0–2147483647.'],
		['list_jobs', '{"limit":1e20}', 'limit: Too big; allowed: 1–50.'],
		['wait_for_completion', '{"job_id":"x","timeout_seconds":1e99}', 'timeout_seconds: Too big; allowed: 1–55.'],
	])('%s with %s names the real range', async (name, args, message) => {
		const before = await jobCount();
		const { result } = await callRaw(name, args);
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain(message);
		expect(result.content[0]?.text).not.toContain('9007199254740991');
		expect(await jobCount()).toBe(before);
	});

	it.each([
		['only zero-width spaces', '\\u200b\\u200b', 'has no visible characters'],
		['a word joiner and a BOM', '\\u2060\\ufeff ', 'has no visible characters'],
		['a C1 control character', 'a boat\\u0085at sea', 'contains control characters'],
		['the C1 range end', 'a boat\\u009f', 'contains control characters'],
	])('refuses a prompt of %s', async (_, prompt, message) => {
		const before = await jobCount();
		const { result } = await callRaw('generate_image', `{"prompt":"${prompt}"}`);
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain(`prompt: ${message}`);
		expect(await jobCount()).toBe(before);
	});

	it('still takes a prompt with a zero-width joiner inside visible text (emoji sequences use it)', async () => {
		const { result } = await callRaw(
			'generate_image',
			'{"prompt":"a family \\ud83d\\udc68\\u200d\\ud83d\\udc69 at sea"}',
		);
		expect(result.isError).toBeUndefined();
	});

	it.each([
		['generate_image', '{"prompt":"a boat","__proto__":{"admin":true}}'],
		['list_jobs', '{"__proto__":{"all_users":true}}'],
		['get_usage', '{"days":1,"nested":{"__proto__":1}}'],
	])('%s: a "__proto__" key is refused with -32602, not silently dropped', async (name, args) => {
		const before = await jobCount();
		const response = await post(
			`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"${name}","arguments":${args}}}`,
		);
		expect(response.status).toBe(400);
		const body = (await response.json()) as RpcError;
		expect(body.id).toBe(9);
		expect(body.error.code).toBe(-32602);
		expect(body.error.message).toContain('"__proto__" is not allowed');
		expect(await jobCount()).toBe(before);
	});

	it('takes "__proto__" inside a prompt: only the key is refused', async () => {
		const { result } = await callRaw('generate_image', '{"prompt":"a sign reading __proto__"}');
		expect(result.isError).toBeUndefined();
	});
});

describe('a client that disconnects while sending the body', () => {
	it('is logged as one line saying so, not an unhandled error with a stack, and creates nothing', async () => {
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
		const error = vi.spyOn(console, 'error').mockImplementation(() => {});
		const before = await jobCount();
		const encoder = new TextEncoder();
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(encoder.encode('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"generate_'));
				controller.error(new Error('Network connection lost.'));
			},
		});
		// Straight to the app: the runtime's own fetch would end such a stream before the Worker saw it.
		const response = await createApp().fetch(
			new Request(`${BASE}/mcp`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body,
				duplex: 'half',
			} as RequestInit),
			env,
			createExecutionContext(),
		);
		expect(response.status).toBe(400);
		expect(((await response.json()) as RpcError).error.message).toContain('connection closed while it was being sent');
		expect(warn.mock.calls.map((call) => call.join(' '))).toEqual([
			expect.stringContaining('the client disconnected while sending it (Error: Network connection lost.)'),
		]);
		expect(error).not.toHaveBeenCalled();
		expect(await jobCount()).toBe(before);
		warn.mockRestore();
		error.mockRestore();
	});
});
