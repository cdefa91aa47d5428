/**
 * A JSON-RPC POST body (POST /mcp, POST /messages), read and checked once into a typed view:
 * its messages, and what the transports decide on (a long call, progress wanted, a plain
 * tools/list answered from the cache). Nothing after this re-reads the raw body.
 */
import { type JSONRPCMessage, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { concatBytes } from '../bytes';
import { err, ok, type Result } from '../result';
import { oneLine } from '../text';
import { checkJsonRpcShape, EXAMPLE, isRecord, JSON_RPC, type JsonRpcId, jsonRpcError } from './json-rpc';

export interface JsonRpcPost {
	/** The body as parsed: one message or a batch, for the SDK's transport. */
	body: JSONRPCMessage | JSONRPCMessage[];
	/** The body's messages, one for a single message. */
	messages: JSONRPCMessage[];
	/** A call that can run for many seconds (a wait tool, tasks/result), whose log messages are worth a stream. */
	longCall: boolean;
	/** Some message carries a progress token. */
	wantsProgress: boolean;
	/** Some message calls a tool. */
	callsTool: boolean;
	/**
	 * The id of a single tools/list with nothing the SDK would need to judge (no params or only
	 * a cursor, a supported or absent protocol-version header), answered from the cached list.
	 */
	plainToolsListId?: string | number;
}

/** Tools whose calls can run for many seconds. */
const LONG_TOOLS = new Set(['wait_for_completion', 'generate_image_and_wait']);

function viewOf(body: JSONRPCMessage | JSONRPCMessage[], request: Request): JsonRpcPost {
	const messages = Array.isArray(body) ? body : [body];
	const view: JsonRpcPost = {
		body,
		messages,
		longCall: !Array.isArray(body) && isLongCall(body),
		wantsProgress: messages.some((message) => {
			const meta = (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta;
			return meta?.progressToken !== undefined;
		}),
		callsTool: messages.some((message) => 'method' in message && message.method === 'tools/call'),
	};
	const toolsListId = Array.isArray(body) ? undefined : plainToolsListId(body, request);
	if (toolsListId !== undefined) view.plainToolsListId = toolsListId;
	return view;
}

function isLongCall(message: JSONRPCMessage): boolean {
	if (!('method' in message)) return false;
	if (message.method === 'tasks/result') return true;
	const name = (message.params as { name?: unknown } | undefined)?.name;
	return message.method === 'tools/call' && typeof name === 'string' && LONG_TOOLS.has(name);
}

function plainToolsListId(message: JSONRPCMessage, request: Request): string | number | undefined {
	if (!('method' in message) || message.method !== 'tools/list' || !('id' in message)) return undefined;
	const { id } = message;
	if (typeof id !== 'string' && (typeof id !== 'number' || !Number.isInteger(id))) return undefined;
	if (message.params !== undefined) {
		if (!isRecord(message.params)) return undefined;
		const { cursor, ...rest } = message.params as { cursor?: unknown };
		if (Object.keys(rest).length > 0 || (cursor !== undefined && typeof cursor !== 'string')) return undefined;
	}
	const version = request.headers.get('mcp-protocol-version');
	if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
	return id;
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

/** The body's bytes, stopping as soon as they pass `limit` (a chunked body has no Content-Length to trust). */
async function readBytes(request: Request, limit: number): Promise<Uint8Array | undefined> {
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel().catch(() => {});
			return undefined;
		}
		chunks.push(value);
	}
	return concatBytes(chunks, size);
}

/** A `\uD800`–`\uDFFF` escape: only these can put a lone surrogate in a string decoded from valid UTF-8. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether any string (or key) in a parsed JSON value holds an unpaired surrogate. A loop, not
 * recursion: a 1 MiB body can nest arrays 500,000 deep.
 */
function hasLoneSurrogate(root: unknown): boolean {
	return someJsonValue(root, (value) => LONE_SURROGATE.test(value));
}

/**
 * Whether any object in a parsed JSON value has the key `"__proto__"`. JSON.parse keeps it as
 * an own key, but the SDK's and zod's copies of an object set it as the prototype instead, so
 * such an argument would vanish silently instead of being refused as unknown.
 */
function hasProtoKey(root: unknown): boolean {
	return someJsonValue(
		root,
		() => false,
		(key) => key === '__proto__',
	);
}

/**
 * Whether a string (or a key) in a parsed JSON value matches. A loop, not recursion: a 1 MiB
 * body can nest arrays 500,000 deep.
 */
function someJsonValue(
	root: unknown,
	matchString: (value: string) => boolean,
	matchKey: (key: string) => boolean = matchString,
): boolean {
	const pending: unknown[] = [root];
	while (pending.length > 0) {
		const value = pending.pop();
		if (typeof value === 'string') {
			if (matchString(value)) return true;
		} else if (Array.isArray(value)) {
			for (const item of value) pending.push(item);
		} else if (isRecord(value)) {
			for (const key of Object.keys(value)) {
				if (matchKey(key)) return true;
				pending.push(value[key]);
			}
		}
	}
	return false;
}

/**
 * Reads, size-checks, decodes, parses and shape-checks a JSON-RPC POST body once, into the
 * view the transports work from; or the error response that says what is wrong.
 */
export async function readJsonRpcBody(request: Request): Promise<Result<JsonRpcPost, Response>> {
	const fail = (status: number, code: number, message: string, id: JsonRpcId = null) =>
		err(jsonRpcError(status, code, message, {}, id));
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
	let bytes: Uint8Array | undefined;
	try {
		bytes = await readBytes(request, MAX_BODY_BYTES);
	} catch (error) {
		// The client went away (or its connection broke) while sending: not a server fault, and
		// nobody is left to read the answer. One line, no stack.
		console.warn(
			`request body not received: the client disconnected while sending it (${oneLine(String(error), 200)})`,
		);
		return fail(
			400,
			JSON_RPC.invalidRequest,
			'The request body could not be read: the connection closed while it was being sent.',
		);
	}
	if (!bytes) return tooLarge();
	let text: string;
	try {
		text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
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
	if (text.includes('"__proto__"') && hasProtoKey(body)) {
		const id = isRecord(body) && (typeof body.id === 'string' || typeof body.id === 'number') ? body.id : null;
		return fail(
			400,
			JSON_RPC.invalidParams,
			'Invalid params: the key "__proto__" is not allowed anywhere in a request; it names no argument of any tool.',
			id,
		);
	}
	const shapeError = checkJsonRpcShape(body);
	if (shapeError) return fail(400, shapeError.code, shapeError.message, shapeError.id ?? null);
	return ok(viewOf(body as JSONRPCMessage | JSONRPCMessage[], request));
}
