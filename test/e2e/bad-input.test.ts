/**
 * Bad input over the wire: a named corpus of malformed, mistyped, oversized and hostile
 * requests sent with plain fetch (and, for paths fetch would normalise, raw node:http) to one
 * real `wrangler dev`, as curl would send them. Each must get a 4xx, or a JSON-RPC error with
 * the right code, or an `isError` tool result; never a 5xx, never a stack trace or an internal
 * path, always a message that says what was wrong. Afterwards the server is healthy, no
 * invalid request has created a job, and one valid call still creates exactly one.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { printServerLogsOnFailure, type RawResponse, send } from './helpers';

/** The server's limit (src/worker/json-body.ts MAX_BODY_BYTES), restated: the test pins it. */
const MAX_BODY_BYTES = 1024 * 1024;
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const A_UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

let server: DevServer;

beforeAll(async () => {
	server = await startDevServer();
});

afterAll(async () => {
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

function parsed(status: number, headers: Headers, text: string): RawResponse {
	let json: unknown;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status, headers, text, json };
}

/** POST /mcp with a raw body (string or bytes) and curl's JSON headers unless told otherwise. */
function postRaw(body: string | Uint8Array, headers: Record<string, string> = JSON_HEADERS, path = '/mcp') {
	return send(`${server.url}${path}`, { method: 'POST', headers, body });
}

const postJson = (message: unknown, path = '/mcp') => postRaw(JSON.stringify(message), JSON_HEADERS, path);

let nextId = 1;
const call = (name: string, args: unknown) =>
	postJson({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } });

/** A request whose path goes out byte for byte: fetch would resolve `..` and `\` before sending. */
function rawHttp(method: string, path: string): Promise<RawResponse> {
	const { hostname, port } = new URL(server.url);
	return new Promise((resolve, reject) => {
		const req = httpRequest({ host: hostname, port, method, path }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => {
				const headers = new Headers();
				for (const [key, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(key, value);
				resolve(parsed(res.statusCode ?? 0, headers, Buffer.concat(chunks).toString('utf8')));
			});
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end();
	});
}

/** Opens a legacy SSE stream, returns the POST endpoint its first event names and a way to close it. */
async function openSseSession(): Promise<{ endpoint: string; close: () => void }> {
	const controller = new AbortController();
	const response = await fetch(`${server.url}/sse`, { signal: controller.signal });
	expect(response.status).toBe(200);
	const reader = response.body!.getReader();
	const decoder = new TextDecoder();
	let buffered = '';
	while (!buffered.includes('\n\n')) {
		const { value, done } = await reader.read();
		if (done) throw new Error('SSE stream ended before its endpoint event');
		buffered += decoder.decode(value, { stream: true });
	}
	const endpoint = /event: endpoint\ndata: (.+)\n/.exec(buffered)?.[1];
	if (!endpoint) throw new Error(`No endpoint event in ${JSON.stringify(buffered)}`);
	return { endpoint, close: () => controller.abort() };
}

/** What a case expects beyond the checks every case gets. */
interface Expectation {
	/** Exact HTTP status. */
	status: number;
	/** A JSON-RPC error with this code… */
	rpcCode?: number;
	/** …or a tool result with isError: true. */
	toolError?: boolean;
	/** Substrings the message must contain: what was wrong and, for arguments, what is allowed. */
	says: (string | RegExp)[];
}

interface Case extends Expectation {
	name: string;
	send: () => Promise<RawResponse>;
}

const bigPrompt = (chars: number) => ({ prompt: 'a'.repeat(chars) });
const generateBody = (prompt: string) =>
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"generate_image","arguments":{"prompt":"${prompt}"}}}`;

const ALLOWED_GENERATE = 'Allowed arguments: prompt, model, count';
const INVALID_JSON = 'Parse error: the request body is not valid JSON';
const NOT_JSON_RPC = 'expected a JSON-RPC 2.0 object like {"jsonrpc":"2.0","id":1,"method":"tools/list"}';

const mcpCorpus: Case[] = [
	// Malformed JSON.
	{
		name: 'truncated JSON',
		send: () => postRaw('{"jsonrpc":"2.0","id":1,"method":'),
		status: 400,
		rpcCode: -32700,
		says: [INVALID_JSON, 'Unexpected end of JSON input'],
	},
	{
		name: 'not JSON at all',
		send: () => postRaw('generate a cat please'),
		status: 400,
		rpcCode: -32700,
		says: [INVALID_JSON],
	},
	{
		name: 'empty body',
		send: () => postRaw(''),
		status: 400,
		rpcCode: -32700,
		says: ['the request body is empty', '"method":"tools/list"'],
	},
	{
		name: 'whitespace-only body',
		send: () => postRaw(' \n\t '),
		status: 400,
		rpcCode: -32700,
		says: ['the request body is empty'],
	},
	{
		name: 'a JSON string',
		send: () => postRaw('"tools/list"'),
		status: 400,
		rpcCode: -32600,
		says: [NOT_JSON_RPC, 'got a string'],
	},
	{
		name: 'a JSON number',
		send: () => postRaw('42'),
		status: 400,
		rpcCode: -32600,
		says: [NOT_JSON_RPC, 'got a number'],
	},
	{ name: 'JSON null', send: () => postRaw('null'), status: 400, rpcCode: -32600, says: [NOT_JSON_RPC, 'got null'] },
	{
		name: 'trailing garbage after the object',
		send: () => postRaw('{"jsonrpc":"2.0","id":1,"method":"ping"} x'),
		status: 400,
		rpcCode: -32700,
		says: [INVALID_JSON],
	},

	// Batches: served as JSON-RPC 2.0 batches (MCP 2025-03-26 clients send them); empty or bad items are refused whole.
	{
		name: 'empty batch',
		send: () => postRaw('[]'),
		status: 400,
		rpcCode: -32600,
		says: ['Invalid Request: empty batch'],
	},
	{
		name: 'batch of non-objects',
		send: () => postRaw('[1, 2]'),
		status: 400,
		rpcCode: -32600,
		says: ['Batch item 0', NOT_JSON_RPC],
	},
	{
		name: 'batch with one item missing its method',
		send: () =>
			postJson([
				{ jsonrpc: '2.0', id: 1, method: 'ping' },
				{ jsonrpc: '2.0', id: 2 },
			]),
		status: 400,
		rpcCode: -32600,
		says: ['Batch item 1', '"method" member is missing'],
	},
	{
		name: 'batch with tools/call arguments that are not an object',
		send: () =>
			postJson([
				{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'generate_image', arguments: 'a cat' } },
			]),
		status: 400,
		rpcCode: -32602,
		says: ['Batch item 0', 'params.arguments must be an object'],
	},

	// JSON-RPC envelope.
	{
		name: 'missing jsonrpc',
		send: () => postJson({ id: 1, method: 'tools/list' }),
		status: 400,
		rpcCode: -32600,
		says: [NOT_JSON_RPC, 'the "jsonrpc" member is missing'],
	},
	{
		name: 'wrong jsonrpc version',
		send: () => postJson({ jsonrpc: '1.0', id: 1, method: 'tools/list' }),
		status: 400,
		rpcCode: -32600,
		says: ['"jsonrpc" is "1.0", not "2.0"'],
	},
	{
		name: 'jsonrpc as a number',
		send: () => postJson({ jsonrpc: 2, id: 1, method: 'tools/list' }),
		status: 400,
		rpcCode: -32600,
		says: ['"jsonrpc" is 2, not "2.0"'],
	},
	{
		name: 'missing method',
		send: () => postJson({ jsonrpc: '2.0', id: 1 }),
		status: 400,
		rpcCode: -32600,
		says: ['the "method" member is missing'],
	},
	{
		name: 'method of wrong type',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 42 }),
		status: 400,
		rpcCode: -32600,
		says: ['"method" must be a method name such as "tools/list", not a number'],
	},
	{
		name: 'empty method',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: '' }),
		status: 400,
		rpcCode: -32600,
		says: ['not an empty string'],
	},
	{
		name: 'id of wrong type',
		send: () => postJson({ jsonrpc: '2.0', id: { n: 1 }, method: 'ping' }),
		status: 400,
		rpcCode: -32600,
		says: ['"id" must be a string or an integer, not an object'],
	},
	{
		name: 'unknown envelope member',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'ping', extra: true }),
		status: 400,
		rpcCode: -32600,
		says: ['unknown member(s) "extra"', 'Allowed: jsonrpc, id, method, params'],
	},
	{
		name: 'params as an array',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: [] }),
		status: 400,
		rpcCode: -32602,
		says: ['"params" must be an object, not an array'],
	},
	{
		name: 'initialize without params',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'initialize' }),
		status: 400,
		rpcCode: -32602,
		says: ['Invalid params for initialize', 'params: Invalid input: expected object'],
	},
	{
		name: 'initialize with a numeric protocolVersion',
		send: () =>
			postJson({
				jsonrpc: '2.0',
				id: 1,
				method: 'initialize',
				params: { protocolVersion: 2025, capabilities: {}, clientInfo: { name: 'curl', version: '8' } },
			}),
		status: 400,
		rpcCode: -32602,
		says: ['params.protocolVersion: Invalid input: expected string'],
	},
	{
		name: 'unknown method',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'images/teleport' }),
		status: 200,
		rpcCode: -32601,
		says: ['Method not found'],
	},

	// Tool arguments.
	{
		name: 'width: "big"',
		send: () => call('generate_image', { prompt: 'a cat', width: 'big', height: 512 }),
		status: 200,
		toolError: true,
		says: ['width: Invalid input: expected number, received string', 'Expected: Image width in pixels'],
	},
	{
		name: 'count: "3"',
		send: () => call('generate_image', { prompt: 'a cat', count: '3' }),
		status: 200,
		toolError: true,
		says: ['count: Invalid input: expected number, received string', '1–20'],
	},
	{
		name: 'prompt: 42',
		send: () => call('generate_image', { prompt: 42 }),
		status: 200,
		toolError: true,
		says: ['prompt: Invalid input: expected string, received number', '1–4000 characters'],
	},
	{
		name: 'no prompt',
		send: () => call('generate_image', {}),
		status: 200,
		toolError: true,
		says: ['prompt: Invalid input: expected string, received undefined', 'What the image should show'],
	},
	{
		name: 'no arguments at all',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'generate_image_and_wait' } }),
		status: 200,
		toolError: true,
		says: ['Invalid arguments for generate_image_and_wait', 'prompt:'],
	},
	{
		name: 'unknown argument',
		send: () => call('generate_image', { prompt: 'a cat', colour: 'red' }),
		status: 200,
		toolError: true,
		says: ['unknown argument(s) "colour"', ALLOWED_GENERATE],
	},
	{
		name: 'arguments as an array',
		send: () => call('generate_image', ['a cat']),
		status: 400,
		rpcCode: -32602,
		says: ['params.arguments must be an object of named arguments'],
	},
	{
		name: 'arguments as a string',
		send: () => call('generate_image', 'a cat'),
		status: 400,
		rpcCode: -32602,
		says: ['params.arguments must be an object of named arguments'],
	},
	{
		name: 'tools/call without a name',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { arguments: {} } }),
		status: 400,
		rpcCode: -32602,
		says: ['tools/call needs params.name'],
	},
	{
		name: 'unknown tool name',
		send: () => call('make_art', { prompt: 'a cat' }),
		status: 200,
		rpcCode: -32602,
		says: [/^Unknown tool "make_art"\. Available tools: generate_image, /],
	},
	{
		name: 'tool name of wrong case',
		send: () => call('Generate_Image', { prompt: 'a cat' }),
		status: 200,
		rpcCode: -32602,
		says: ['Unknown tool "Generate_Image"', 'generate_image_and_wait'],
	},

	// Prompt length.
	{
		name: 'prompt of 4001 characters',
		send: () => call('generate_image', bigPrompt(4001)),
		status: 200,
		toolError: true,
		says: ['prompt: is longer than 4000 characters', '1–4000 characters'],
	},
	{
		name: '1 MB prompt (body just under the limit)',
		send: () => call('generate_image', bigPrompt(1_000_000)),
		status: 200,
		toolError: true,
		says: ['prompt: is longer than 4000 characters'],
	},

	// Control characters and bytes.
	{
		name: 'NUL in the prompt (JSON escape)',
		send: () => postRaw(generateBody('a\\u0000b')),
		status: 200,
		toolError: true,
		says: ['prompt: contains control characters'],
	},
	{
		name: 'terminal escape in the prompt',
		send: () => postRaw(generateBody('\\u001b[31mred\\u001b[0m')),
		status: 200,
		toolError: true,
		says: ['prompt: contains control characters'],
	},
	{
		name: 'control character in negative_prompt',
		send: () => call('generate_image', { prompt: 'a cat', negative_prompt: 'dogs\u0007' }),
		status: 200,
		toolError: true,
		says: ['negative_prompt: contains control characters'],
	},
	{
		name: 'raw NUL byte inside a JSON string',
		send: () => postRaw(generateBody('a\u0000b')),
		status: 400,
		rpcCode: -32700,
		says: [INVALID_JSON, 'Bad control character'],
	},
	{
		name: 'invalid UTF-8 bytes in the prompt',
		send: () => {
			const bytes = Buffer.from(generateBody('caf__ cat'), 'utf8');
			bytes.set([0xff, 0xfe], bytes.indexOf('__'));
			return postRaw(new Uint8Array(bytes));
		},
		status: 400,
		rpcCode: -32700,
		says: ['not valid UTF-8'],
	},
	{
		name: 'lone surrogate escape in the prompt',
		send: () => postRaw(generateBody('\\ud800')),
		status: 400,
		rpcCode: -32700,
		says: ['unpaired UTF-16 surrogate'],
	},
	{
		name: 'a long flat array with a surrogate escape at the end',
		send: () => postRaw(generateBody('a cat').replace('"prompt"', `"x":[${'0,'.repeat(300_000)}"\\udfff"],"prompt"`)),
		status: 400,
		rpcCode: -32700,
		says: ['unpaired UTF-16 surrogate'],
	},
	{
		name: 'a surrogate pair escape in the prompt is fine text, not an error',
		send: () => postRaw(generateBody('a cat \\ud83d\\ude00').replace('"prompt"', '"count":0,"prompt"')),
		status: 200,
		toolError: true,
		says: ['count: Too small'],
	},
	{
		name: 'deeply nested arrays in an argument',
		send: () =>
			postRaw(generateBody('a cat').replace('"prompt"', `"x":${'['.repeat(200_000)}${']'.repeat(200_000)},"prompt"`)),
		status: 200,
		toolError: true,
		says: ['unknown argument(s) "x"'],
	},
	{
		name: 'deeply nested arrays with a surrogate escape',
		send: () =>
			postRaw(
				generateBody('a cat').replace('"prompt"', `"x":${'['.repeat(200_000)}"\\ud800"${']'.repeat(200_000)},"prompt"`),
			),
		status: 400,
		rpcCode: -32700,
		says: ['unpaired UTF-16 surrogate'],
	},
	{
		name: 'deeply nested params of an unknown method',
		send: () =>
			postRaw(
				`{"jsonrpc":"2.0","id":1,"method":"images/teleport","params":{"_meta":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}}`,
			),
		status: 200,
		rpcCode: -32601,
		says: ['Method not found'],
	},

	// Numbers.
	{
		name: 'count: 1e9',
		send: () => call('generate_image', { prompt: 'a cat', count: 1e9 }),
		status: 200,
		toolError: true,
		says: ['count: Too big', '1–20'],
	},
	{
		name: 'count: -1',
		send: () => call('generate_image', { prompt: 'a cat', count: -1 }),
		status: 200,
		toolError: true,
		says: ['count: Too small', '1–20'],
	},
	{
		name: 'count: 2.5',
		send: () => call('generate_image', { prompt: 'a cat', count: 2.5 }),
		status: 200,
		toolError: true,
		says: ['count: Invalid input: expected int', '1–20'],
	},
	{
		name: 'count: 1e400 (Infinity)',
		send: () => postRaw(generateBody('a cat').replace('"prompt"', '"count":1e400,"prompt"')),
		status: 200,
		toolError: true,
		says: ['count:', '1–20'],
	},
	{
		name: 'list_jobs limit -1, offset -5',
		send: () => call('list_jobs', { limit: -1, offset: -5 }),
		status: 200,
		toolError: true,
		says: ['limit: Too small', 'How many to return, 1–50', 'offset: Too small', 'How many to skip'],
	},
	{
		name: 'list_jobs limit 0',
		send: () => call('list_jobs', { limit: 0 }),
		status: 200,
		toolError: true,
		says: ['limit: Too small', '1–50'],
	},
	{
		name: 'list_jobs limit huge',
		send: () => call('list_jobs', { limit: 1e12 }),
		status: 200,
		toolError: true,
		says: ['limit: Too big', '1–50'],
	},
	{
		name: 'list_jobs status unknown',
		send: () => call('list_jobs', { status: 'done' }),
		status: 200,
		toolError: true,
		says: ['status: Invalid option', 'all (default), pending'],
	},
	{
		name: 'list_generations limit 0',
		send: () => call('list_generations', { limit: 0 }),
		status: 200,
		toolError: true,
		says: ['limit: Too small', '1–50'],
	},
	{
		name: 'list_generations offset -1',
		send: () => call('list_generations', { offset: -1 }),
		status: 200,
		toolError: true,
		says: ['offset: Too small', 'How many to skip'],
	},
	{
		name: 'list_generations limit and offset huge',
		send: () => call('list_generations', { limit: 1e6, offset: 1e12 }),
		status: 200,
		toolError: true,
		says: ['limit: Too big', 'offset: Too big'],
	},
	{
		// An empty list is "not given" (form-filling clients send one), so no job is named.
		name: 'wait_for_completion with an empty job_ids',
		send: () => call('wait_for_completion', { job_ids: [] }),
		status: 200,
		toolError: true,
		says: ['give exactly one of job_id or job_ids'],
	},
	{
		name: 'get_job_status with a path for a job id',
		send: () => call('get_job_status', { job_id: '../../wrangler.jsonc' }),
		status: 200,
		toolError: true,
		says: ['job_id: no job "../../wrangler.jsonc" found for you', 'list_jobs'],
	},

	// Body size.
	{
		name: 'body over the limit',
		send: () => call('generate_image', bigPrompt(MAX_BODY_BYTES)),
		status: 413,
		rpcCode: -32600,
		says: [`the limit is ${MAX_BODY_BYTES} bytes`],
	},
	{
		name: 'body over the limit in bytes, under it in characters',
		send: () => call('generate_image', { prompt: 'é'.repeat(600_000) }),
		status: 413,
		rpcCode: -32600,
		says: [`the limit is ${MAX_BODY_BYTES} bytes`],
	},
	{
		name: 'chunked body over the limit, no Content-Length',
		send: () => {
			let sent = 0;
			const chunk = new Uint8Array(64 * 1024).fill(0x20);
			const body = new ReadableStream<Uint8Array>({
				pull(controller) {
					if (sent > MAX_BODY_BYTES + chunk.byteLength) return controller.close();
					sent += chunk.byteLength;
					controller.enqueue(chunk);
				},
			});
			return send(`${server.url}/mcp`, { method: 'POST', headers: JSON_HEADERS, body, duplex: 'half' } as RequestInit);
		},
		status: 413,
		rpcCode: -32600,
		says: [`the limit is ${MAX_BODY_BYTES} bytes`],
	},

	// Content types.
	{
		name: 'Content-Type multipart/form-data',
		send: () => postRaw(generateBody('a cat'), { 'Content-Type': 'multipart/form-data; boundary=x' }),
		status: 415,
		rpcCode: -32600,
		says: ['Unsupported Media Type: "multipart/form-data; boundary=x"', 'Content-Type: application/json'],
	},
	{
		name: 'form-encoded fields (curl -d with a form, not JSON)',
		send: () =>
			postRaw('jsonrpc=2.0&id=1&method=tools%2Flist', { 'Content-Type': 'application/x-www-form-urlencoded' }),
		status: 400,
		rpcCode: -32700,
		says: ['not valid JSON', 'send JSON with the header "Content-Type: application/json"'],
	},
	{
		name: 'no Content-Type and not JSON',
		send: () => postRaw(new TextEncoder().encode('prompt=a cat'), {}),
		status: 400,
		rpcCode: -32700,
		says: ['without a Content-Type', 'Content-Type: application/json'],
	},

	// HTTP methods.
	{
		name: 'GET /mcp',
		send: () => send(`${server.url}/mcp`, { headers: { Accept: 'text/event-stream' } }),
		status: 405,
		rpcCode: -32600,
		says: ['Method not allowed', 'POST'],
	},
	{
		name: 'PUT /mcp',
		send: () => send(`${server.url}/mcp`, { method: 'PUT', headers: JSON_HEADERS, body: generateBody('a cat') }),
		status: 405,
		rpcCode: -32600,
		says: ['Method not allowed', 'POST'],
	},
	{
		name: 'PATCH /mcp',
		send: () => send(`${server.url}/mcp`, { method: 'PATCH', headers: JSON_HEADERS, body: '{}' }),
		status: 405,
		rpcCode: -32600,
		says: ['Method not allowed'],
	},
	{
		name: 'DELETE /mcp',
		send: () => send(`${server.url}/mcp`, { method: 'DELETE' }),
		status: 405,
		rpcCode: -32600,
		says: ['Method not allowed'],
	},
	{
		name: 'GET /messages',
		send: () => send(`${server.url}/messages?sessionId=x`),
		status: 405,
		rpcCode: -32600,
		says: ['Method not allowed: GET /messages takes POST'],
	},
	{
		name: 'POST /health',
		send: () => send(`${server.url}/health`, { method: 'POST' }),
		status: 405,
		says: ['Method not allowed: POST /health takes GET, HEAD'],
	},
	{
		name: 'POST /messages without a session id',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'ping' }, '/messages'),
		status: 400,
		says: ['Missing sessionId'],
	},
	{
		name: 'POST /messages with an unknown session',
		send: () => postJson({ jsonrpc: '2.0', id: 1, method: 'ping' }, '/messages?sessionId=nope'),
		status: 404,
		says: ['Unknown or expired session'],
	},
];

/** GET /images/… paths, sent byte for byte. None may serve a file or fail. */
const imagePaths = [
	'/images/../../wrangler.jsonc',
	'/images/%2e%2e/%2e%2e/wrangler.jsonc',
	'/images/..%2F..%2Fwrangler.jsonc',
	'/images/%2e%2e%2f%2e%2e%2fwrangler.jsonc',
	'/images/..%252F..%252Fwrangler.jsonc',
	'/images/..\\..\\wrangler.jsonc',
	'/images/..%5C..%5Cwrangler.jsonc',
	`/images/${A_UUID}%2F0.png`,
	`/images/${A_UUID}/999.png`,
	`/images/${A_UUID}/-1.png`,
	`/images/${A_UUID}/0.exe`,
	`/images/${A_UUID}/0.png%00.txt`,
	`/images/${A_UUID.toUpperCase()}/0.png`,
	'/images/not-a-uuid/0.png',
	'/images/%ff%fe/0',
	'/images/a/b/c',
	'/images',
	'/%2e%2e/wrangler.jsonc',
	'/wrangler.jsonc',
	'/src/index.ts',
];

function messageOf(response: RawResponse, expectation: Expectation): string {
	const json = response.json;
	if (expectation.toolError) {
		const text = json?.result?.content?.[0]?.text;
		return typeof text === 'string' ? (JSON.parse(text).error ?? text) : '';
	}
	if (typeof json?.error === 'string') return json.error;
	return json?.error?.message ?? response.text;
}

/** What every answer to bad input must be, whatever the input. */
function expectSafeAnswer(label: string, response: RawResponse): void {
	expect(response.status, `${label}: never a 5xx`).toBeLessThan(500);
	expect(response.text, `${label}: no stack trace`).not.toMatch(/\n\s+at /);
	expect(response.text, `${label}: no source paths`).not.toMatch(/\.ts:\d|node_modules|file:\/\/|\/work\//);
	expect(response.text, `${label}: no internal error`).not.toMatch(/Internal error|-32603/);
}

function expectAnswer(label: string, response: RawResponse, expectation: Expectation): void {
	expectSafeAnswer(label, response);
	expect(response.status, `${label}: status (body ${response.text.slice(0, 300)})`).toBe(expectation.status);
	expect(response.headers.get('content-type'), `${label}: JSON`).toContain('application/json');
	if (expectation.rpcCode !== undefined) {
		expect(response.json, label).toMatchObject({ jsonrpc: '2.0', error: { code: expectation.rpcCode } });
	}
	if (expectation.toolError) {
		expect(response.json?.result?.isError, `${label}: isError result (${response.text.slice(0, 300)})`).toBe(true);
		expect(response.json?.result?.structuredContent, `${label}: no structuredContent on an error`).toBeUndefined();
	}
	if (expectation.status < 400 && expectation.rpcCode === undefined && !expectation.toolError) {
		throw new Error(`${label}: a case must expect a 4xx, a JSON-RPC error or an isError result`);
	}
	const message = messageOf(response, expectation);
	for (const part of expectation.says) {
		if (typeof part === 'string') expect(message, `${label}: message`).toContain(part);
		else expect(message, `${label}: message`).toMatch(part);
	}
}

describe('bad input over the wire', () => {
	it('answers every case of the /mcp corpus with a 4xx, a JSON-RPC error or an isError result that says what was wrong', async () => {
		for (const entry of mcpCorpus) expectAnswer(entry.name, await entry.send(), entry);
	});

	it('answers a valid batch with one response per request, and a batch of bad calls with isError results', async () => {
		const batch = await postJson([
			{ jsonrpc: '2.0', id: 'a', method: 'ping' },
			{ jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'generate_image', arguments: { count: '3' } } },
			{ jsonrpc: '2.0', method: 'notifications/initialized' },
		]);
		expectSafeAnswer('batch', batch);
		expect(batch.status).toBe(200);
		expect(batch.json).toHaveLength(2);
		const byId = Object.fromEntries(batch.json.map((item: { id: string }) => [item.id, item]));
		expect(byId.a).toMatchObject({ jsonrpc: '2.0', result: {} });
		expect(byId.b.result.isError).toBe(true);
		expect(JSON.parse(byId.b.result.content[0].text).error).toContain('count: Invalid input: expected number');
	});

	it('answers bad bodies on a live legacy SSE session the same way on POST /messages', async () => {
		const session = await openSseSession();
		try {
			const cases: Case[] = [
				{
					name: '/messages: body over the limit',
					send: () =>
						postRaw(
							JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(MAX_BODY_BYTES) } }),
							JSON_HEADERS,
							session.endpoint,
						),
					status: 413,
					rpcCode: -32600,
					says: [`the limit is ${MAX_BODY_BYTES} bytes`],
				},
				{
					name: '/messages: truncated JSON',
					send: () => postRaw('{"jsonrpc":"2.0",', JSON_HEADERS, session.endpoint),
					status: 400,
					rpcCode: -32700,
					says: [INVALID_JSON],
				},
				{
					name: '/messages: missing method',
					send: () => postRaw('{"jsonrpc":"2.0","id":1}', JSON_HEADERS, session.endpoint),
					status: 400,
					rpcCode: -32600,
					says: ['"method" member is missing'],
				},
				{
					name: '/messages: application/xml',
					send: () =>
						postRaw(
							'{"jsonrpc":"2.0","id":1,"method":"ping"}',
							{ 'Content-Type': 'application/xml' },
							session.endpoint,
						),
					status: 415,
					rpcCode: -32600,
					says: ['Unsupported Media Type'],
				},
				{
					name: '/messages: invalid UTF-8',
					send: () => postRaw(new Uint8Array([0x7b, 0xff, 0x7d]), JSON_HEADERS, session.endpoint),
					status: 400,
					rpcCode: -32700,
					says: ['not valid UTF-8'],
				},
			];
			for (const entry of cases) expectAnswer(entry.name, await entry.send(), entry);
		} finally {
			session.close();
		}
	});

	it('answers path traversal and malformed /images paths with a JSON 404, never a file and never a 500', async () => {
		for (const path of imagePaths) {
			for (const method of ['GET', 'HEAD']) {
				const response = await rawHttp(method, path);
				const label = `${method} ${path}`;
				expectSafeAnswer(label, response);
				expect([400, 404], `${label}: status`).toContain(response.status);
				expect(response.headers.get('content-type'), label).toContain('application/json');
				expect(response.text, `${label}: no file contents`).not.toMatch(/compatibility_date|"main"|export default/);
				// An unknown extension (.exe) is refused as such (400), naming the formats served.
				if (method === 'GET')
					expect(response.json?.error, label).toMatch(/No such image|Not found|not an image format/);
			}
		}
	});

	it('is still healthy afterwards, no invalid request created a job, and one valid call creates exactly one', async () => {
		const health = await send(`${server.url}/health`);
		expect(health.status).toBe(200);
		expect(health.json.status).toBe('ok');

		const listJobs = async () => {
			const response = await call('list_jobs', { status: 'all' });
			expect(response.status).toBe(200);
			expect(response.json.result.isError, response.text).toBeFalsy();
			return response.json.result.structuredContent as { total_count: number; jobs: { job_id: string }[] };
		};
		expect((await listJobs()).total_count).toBe(0);

		const created = await call('generate_image', { prompt: 'a lighthouse at dusk' });
		expect(created.status).toBe(200);
		expect(created.json.result.isError, created.text).toBeFalsy();
		const jobId = created.json.result.structuredContent.job_id;

		const after = await listJobs();
		expect(after.total_count).toBe(1);
		expect(after.jobs.map((job) => job.job_id)).toEqual([jobId]);
	});
});
