/**
 * Reading a JSON request body once, for every HTTP face that takes JSON (POST /mcp and
 * /messages, the REST API, the OpenAI-compatible endpoint): size-checked while it streams,
 * strict UTF-8, parsed, and refused with a message that says what was wrong. Each face turns a
 * refusal into its own error shape (JSON-RPC, problem+json, OpenAI's `error`).
 */
import { concatBytes } from '../bytes';
import { err, ok, type Result } from '../result';
import { oneLine } from '../text';

/** Larger than any valid request (prompts are ≤ 4,000 characters, 20 job ids per wait). */
export const MAX_BODY_BYTES = 1024 * 1024;

export function mediaType(contentType: string | null): string {
	return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** `application/json` or a `+json` type, with any parameters (charset). */
export function isJsonMediaType(type: string): boolean {
	return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * What a JSON body arrives as from a client that forgot the header: none, `text/plain`, or
 * `application/x-www-form-urlencoded` (what `curl -d` sends without `-H`). Taken when the body
 * parses as JSON, so a hand-typed curl works the first time; anything else declared is refused.
 */
export const FORGIVEN_TYPES = new Set(['', 'text/plain', 'application/x-www-form-urlencoded']);

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
export function hasProtoKey(root: unknown): boolean {
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

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a body was refused: the status to answer and the words to say. */
export interface JsonBodyRefusal {
	status: 400 | 413 | 415;
	/** `media_type`, `too_large` and `unreadable` are about the request; `parse` about its text; `proto` a `__proto__` key. */
	reason: 'media_type' | 'too_large' | 'unreadable' | 'parse' | 'proto';
	message: string;
	/** For `proto`: the body as parsed, so a JSON-RPC face can answer with its id. */
	parsed?: unknown;
}

/**
 * The body as parsed JSON, or why not. `what` names what should have been sent ("a JSON-RPC
 * request such as …"), for the empty-body message.
 */
export async function readJsonBody(request: Request, what: string): Promise<Result<unknown, JsonBodyRefusal>> {
	const refuse = (status: JsonBodyRefusal['status'], reason: JsonBodyRefusal['reason'], message: string) =>
		err({ status, reason, message });
	const contentType = request.headers.get('content-type');
	const type = mediaType(contentType);
	if (!isJsonMediaType(type) && !FORGIVEN_TYPES.has(type)) {
		return refuse(
			415,
			'media_type',
			`Unsupported Media Type: "${(contentType ?? '').slice(0, 100)}". Send ${what} as JSON with the header "Content-Type: application/json".`,
		);
	}
	const headerHint = isJsonMediaType(type)
		? ''
		: ` It was sent ${type ? `as ${type}` : 'without a Content-Type'}; send JSON with the header "Content-Type: application/json".`;
	const tooLarge = () => refuse(413, 'too_large', `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`);
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
		return refuse(
			400,
			'unreadable',
			'The request body could not be read: the connection closed while it was being sent.',
		);
	}
	if (!bytes) return tooLarge();
	let text: string;
	try {
		text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
	} catch {
		return refuse(400, 'parse', 'Parse error: the request body is not valid UTF-8; JSON must be sent as UTF-8.');
	}
	if (text.trim() === '') return refuse(400, 'parse', `Parse error: the request body is empty. Send ${what}.`);
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch (error) {
		// The parser's own words say where it went wrong ("Unexpected end of JSON input", "… at position 12").
		const detail = error instanceof SyntaxError ? ` (${error.message.slice(0, 200)})` : '';
		return refuse(400, 'parse', `Parse error: the request body is not valid JSON${detail}.${headerHint}`);
	}
	// `\ud800` is valid JSON but not text: D1 and providers would get a mangled string (U+FFFD).
	if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(body)) {
		return refuse(
			400,
			'parse',
			'Parse error: the request body has a string with an unpaired UTF-16 surrogate escape (like "\\ud800"), which is not text.',
		);
	}
	if (text.includes('"__proto__"') && hasProtoKey(body)) {
		return err({
			status: 400,
			reason: 'proto',
			message:
				'Invalid params: the key "__proto__" is not allowed anywhere in a request; it names no argument of any tool.',
			parsed: body,
		});
	}
	return ok(body);
}
