/**
 * A JSON-RPC POST body (POST /mcp, POST /messages), read and checked once into a typed view:
 * its messages, and what the transports decide on (a long call, progress wanted, a plain
 * tools/list answered from the cache). Nothing after this re-reads the raw body.
 */
import { type JSONRPCMessage, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { err, ok, type Result } from '../result';
import { readJsonBody } from './json-body';
import { checkJsonRpcShape, EXAMPLE, isRecord, JSON_RPC, jsonRpcError } from './json-rpc';

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

/**
 * Reads, size-checks, decodes, parses and shape-checks a JSON-RPC POST body once, into the
 * view the transports work from; or the error response that says what is wrong.
 */
export async function readJsonRpcBody(request: Request): Promise<Result<JsonRpcPost, Response>> {
	const read = await readJsonBody(request, `a JSON-RPC request such as ${EXAMPLE}`);
	if (!read.ok) {
		const { status, reason, message, parsed } = read.error;
		const code =
			reason === 'parse' ? JSON_RPC.parseError : reason === 'proto' ? JSON_RPC.invalidParams : JSON_RPC.invalidRequest;
		const id = isRecord(parsed) && (typeof parsed.id === 'string' || typeof parsed.id === 'number') ? parsed.id : null;
		return err(jsonRpcError(status, code, message, {}, id));
	}
	const body = read.value;
	const shapeError = checkJsonRpcShape(body);
	if (shapeError) return err(jsonRpcError(400, shapeError.code, shapeError.message, {}, shapeError.id ?? null));
	return ok(viewOf(body as JSONRPCMessage | JSONRPCMessage[], request));
}
