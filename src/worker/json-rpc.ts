/** JSON-RPC error responses for the HTTP edge (before any MCP server is involved). */
import {
	CallToolRequestSchema,
	InitializeRequestSchema,
	JSONRPCMessageSchema,
	ListToolsRequestSchema,
	PingRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** Codes: JSON-RPC 2.0 §5.1, plus -32001 for authentication as the MCP SDKs use it. */
export const JSON_RPC = {
	parseError: -32700,
	invalidRequest: -32600,
	invalidParams: -32602,
	unauthorized: -32001,
} as const;

export type JsonRpcId = string | number | null;

export function jsonRpcError(
	status: number,
	code: number,
	message: string,
	headers: HeadersInit = {},
	id: JsonRpcId = null,
): Response {
	return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }), {
		status,
		headers: { 'content-type': 'application/json', ...headers },
	});
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is string | number {
	return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** "a number", "an array", "null": what a wrong value was, for messages. */
function kindOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	const type = typeof value;
	return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/** Echoed input, cut short: an error message never carries a megabyte back. */
export function clip(text: string, max = 60): string {
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The SDK's own schemas for the requests this server answers, to check params before the SDK does. */
const REQUEST_SCHEMAS = {
	initialize: InitializeRequestSchema,
	ping: PingRequestSchema,
	'tools/list': ListToolsRequestSchema,
	'tools/call': CallToolRequestSchema,
} as const;

const MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params', 'result', 'error']);

export interface ShapeError {
	code: number;
	message: string;
	/** The offending request's id, when it has a usable one (JSON-RPC 2.0 §5: else null). */
	id?: JsonRpcId;
}

const EXAMPLE = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';

/** Zod issues as "params.protocolVersion: Invalid input: expected string, received undefined". */
function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
	return issues
		.slice(0, 5)
		.map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : 'message'}: ${issue.message}`)
		.join('; ');
}

/** A request or notification: its method, params, and for the methods we serve, the params' shape. */
function checkRequest(
	message: Record<string, unknown>,
	invalid: (text: string, code?: number) => ShapeError,
): ShapeError | null {
	if (typeof message.method !== 'string' || message.method === '') {
		return invalid(
			`Invalid Request: "method" must be a method name such as "tools/list", not ${typeof message.method === 'string' ? 'an empty string' : kindOf(message.method)}.`,
		);
	}
	if ('params' in message && !isRecord(message.params)) {
		return invalid(
			`Invalid params: "params" must be an object, not ${kindOf(message.params)}.`,
			JSON_RPC.invalidParams,
		);
	}
	const params = message.params as Record<string, unknown> | undefined;
	if (params?._meta !== undefined && !isRecord(params._meta)) {
		return invalid(
			`Invalid params: params._meta must be an object, not ${kindOf(params._meta)}.`,
			JSON_RPC.invalidParams,
		);
	}
	if (message.method === 'tools/call') {
		if (!params || typeof params.name !== 'string') {
			return invalid('Invalid params: tools/call needs params.name, the tool name.', JSON_RPC.invalidParams);
		}
		if (params.arguments !== undefined && !isRecord(params.arguments)) {
			return invalid('Invalid params: params.arguments must be an object of named arguments.', JSON_RPC.invalidParams);
		}
	}
	// The SDK answers a request whose params fail its schema with -32603 and a raw schema dump.
	const schema = REQUEST_SCHEMAS[message.method as keyof typeof REQUEST_SCHEMAS];
	if (schema && 'id' in message) {
		const parsed = schema.safeParse({ method: message.method, params: message.params });
		if (!parsed.success) {
			return invalid(
				`Invalid params for ${message.method}: ${describeIssues(parsed.error.issues)}.`,
				JSON_RPC.invalidParams,
			);
		}
	}
	return null;
}

/** One message of a POST: the envelope, then the params of the methods we serve. */
function checkMessage(message: unknown): ShapeError | null {
	if (!isRecord(message) || message.jsonrpc !== '2.0') {
		const why = !isRecord(message)
			? `got ${kindOf(message)}`
			: message.jsonrpc === undefined
				? 'the "jsonrpc" member is missing'
				: `"jsonrpc" is ${clip(JSON.stringify(message.jsonrpc) ?? kindOf(message.jsonrpc))}, not "2.0"`;
		return {
			code: JSON_RPC.invalidRequest,
			message: `Invalid Request: expected a JSON-RPC 2.0 object like ${EXAMPLE} (${why}).`,
		};
	}
	const id = isRequestId(message.id) ? message.id : null;
	const invalid = (text: string, code: number = JSON_RPC.invalidRequest): ShapeError => ({ code, message: text, id });
	if ('id' in message && !isRequestId(message.id)) {
		return invalid(
			`Invalid Request: "id" must be a string or an integer, not ${kindOf(message.id)} (leave it out for a notification).`,
		);
	}
	const unknown = Object.keys(message).filter((key) => !MEMBERS.has(key));
	if (unknown.length) {
		return invalid(
			`Invalid Request: unknown member(s) ${clip(unknown.map((key) => `"${key}"`).join(', '))}. Allowed: jsonrpc, id, method, params.`,
		);
	}
	if (!('method' in message)) {
		// A response to a server request, which the SDK takes; only its shape is checked, below.
		if (!('result' in message || 'error' in message)) {
			return invalid(`Invalid Request: the "method" member is missing; it names the call, as in ${EXAMPLE}.`);
		}
	} else {
		const error = checkRequest(message, invalid);
		if (error) return error;
	}
	// Anything else the SDK's transport would call a parse error (-32700): say what it is.
	const whole = JSONRPCMessageSchema.safeParse(message);
	if (!whole.success) {
		return invalid(
			'method' in message
				? `Invalid Request: not a valid JSON-RPC request or notification; see ${EXAMPLE}.`
				: 'Invalid Request: a JSON-RPC response needs an "id" and either an object "result" or an "error" object with "code" and "message".',
		);
	}
	return null;
}

/**
 * Structural checks the SDK would answer with a misleading parse error (-32700) or a generic
 * internal error (-32603) and a raw schema dump: say instead what is wrong. Returns an error,
 * or null when the message (or every message of a batch) is well-formed enough for the SDK.
 */
export function checkJsonRpcShape(body: unknown): ShapeError | null {
	const batch = Array.isArray(body);
	const messages = batch ? body : [body];
	if (messages.length === 0) return { code: JSON_RPC.invalidRequest, message: 'Invalid Request: empty batch.' };
	for (const [index, message] of messages.entries()) {
		const error = checkMessage(message);
		if (!error) continue;
		// In a batch the error answers the whole POST, so it says which message and carries no id.
		return batch ? { code: error.code, message: `Batch item ${index}: ${error.message}`, id: null } : error;
	}
	return null;
}

/** Larger than any valid request (prompts are ≤ 4,000 characters, 20 job ids per wait). */
export const MAX_BODY_BYTES = 1024 * 1024;

function mediaType(contentType: string | null): string {
	return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** `application/json` or a `+json` type, with any parameters (charset). */
function isJsonMediaType(type: string): boolean {
	return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * What a JSON body arrives as from a client that forgot the header: none, `text/plain`, or
 * `application/x-www-form-urlencoded` (what `curl -d` sends without `-H`). Taken when the body
 * parses as JSON, so a hand-typed curl works the first time; anything else declared is refused.
 */
const FORGIVEN_TYPES = new Set(['', 'text/plain', 'application/x-www-form-urlencoded']);

type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false };

/** The body's bytes, stopping as soon as they pass `limit` (a chunked body has no Content-Length to trust). */
async function readBytes(request: Request, limit: number): Promise<BodyRead> {
	if (!request.body) return { ok: true, bytes: new Uint8Array() };
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel().catch(() => {});
			return { ok: false };
		}
		chunks.push(value);
	}
	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return { ok: true, bytes };
}

/** A `\uD800`–`\uDFFF` escape: only these can put a lone surrogate in a string decoded from valid UTF-8. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether any string (or key) in a parsed JSON value holds an unpaired surrogate. A loop, not
 * recursion: a 1 MiB body can nest arrays 500,000 deep.
 */
function hasLoneSurrogate(root: unknown): boolean {
	const pending: unknown[] = [root];
	while (pending.length > 0) {
		const value = pending.pop();
		if (typeof value === 'string') {
			if (LONE_SURROGATE.test(value)) return true;
		} else if (Array.isArray(value)) {
			for (const item of value) pending.push(item);
		} else if (isRecord(value)) {
			for (const [key, item] of Object.entries(value)) {
				if (LONE_SURROGATE.test(key)) return true;
				pending.push(item);
			}
		}
	}
	return false;
}

/** Reads, size-checks, decodes, parses and shape-checks a JSON-RPC POST body, or says what is wrong. */
export async function readJsonRpcBody(
	request: Request,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
	const fail = (status: number, code: number, message: string, id: JsonRpcId = null) => ({
		ok: false as const,
		response: jsonRpcError(status, code, message, {}, id),
	});
	const contentType = request.headers.get('content-type');
	const type = mediaType(contentType);
	if (!isJsonMediaType(type) && !FORGIVEN_TYPES.has(type)) {
		return fail(
			415,
			JSON_RPC.invalidRequest,
			`Unsupported Media Type: "${(contentType ?? '').slice(0, 100)}". Send the JSON-RPC request as JSON with the header "Content-Type: application/json".`,
		);
	}
	const headerHint = isJsonMediaType(type)
		? ''
		: ` It was sent ${type ? `as ${type}` : 'without a Content-Type'}; send JSON with the header "Content-Type: application/json".`;
	const tooLarge = () =>
		fail(413, JSON_RPC.invalidRequest, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`);
	if (Number(request.headers.get('content-length') ?? '0') > MAX_BODY_BYTES) return tooLarge();
	const read = await readBytes(request, MAX_BODY_BYTES);
	if (!read.ok) return tooLarge();
	let text: string;
	try {
		text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(read.bytes);
	} catch {
		return fail(
			400,
			JSON_RPC.parseError,
			'Parse error: the request body is not valid UTF-8; JSON must be sent as UTF-8.',
		);
	}
	if (text.trim() === '') {
		return fail(
			400,
			JSON_RPC.parseError,
			`Parse error: the request body is empty. Send a JSON-RPC request such as ${EXAMPLE}.`,
		);
	}
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch (error) {
		// The parser's own words say where it went wrong ("Unexpected end of JSON input", "… at position 12").
		const detail = error instanceof SyntaxError ? ` (${error.message.slice(0, 200)})` : '';
		return fail(400, JSON_RPC.parseError, `Parse error: the request body is not valid JSON${detail}.${headerHint}`);
	}
	// `\ud800` is valid JSON but not text: D1 and providers would get a mangled string (U+FFFD).
	if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(body)) {
		return fail(
			400,
			JSON_RPC.parseError,
			'Parse error: the request body has a string with an unpaired UTF-16 surrogate escape (like "\\ud800"), which is not text.',
		);
	}
	const shapeError = checkJsonRpcShape(body);
	if (shapeError) return fail(400, shapeError.code, shapeError.message, shapeError.id ?? null);
	return { ok: true, body };
}
