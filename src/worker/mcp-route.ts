/**
 * POST /mcp: stateless Streamable HTTP (DESIGN.md §4) with a fresh MCP server per request.
 *
 * Made lenient where the seed's curl scripts need it, strict where the spec says so:
 * - a POST with only `Content-Type: application/json` (no Accept) gets a JSON answer;
 * - no prior `initialize` is needed (stateless: there is no session to initialize);
 * - an SSE response stream only when the client accepts one and asked for progress;
 * - malformed JSON is a JSON-RPC parse error, an oversized body a 413.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createMcpServer, type RequestScope } from '../tools/server';
import { checkJsonRpcShape, JSON_RPC, jsonRpcError } from './json-rpc';

/** Larger than any valid request (prompts are ≤ 4,000 characters, 20 job ids per wait). */
export const MAX_BODY_BYTES = 1024 * 1024;

function wantsProgress(message: unknown): boolean {
	const messages = Array.isArray(message) ? message : [message];
	return messages.some((item) => {
		const meta = (item as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
		return meta?.progressToken !== undefined;
	});
}

export async function handleMcpPost(request: Request, scope: RequestScope): Promise<Response> {
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > MAX_BODY_BYTES) {
		return jsonRpcError(413, JSON_RPC.invalidRequest, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`);
	}
	const text = await request.text();
	if (text.length > MAX_BODY_BYTES) {
		return jsonRpcError(413, JSON_RPC.invalidRequest, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`);
	}
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return jsonRpcError(400, JSON_RPC.parseError, 'Parse error: the request body is not valid JSON.');
	}
	const shapeError = checkJsonRpcShape(body);
	if (shapeError) return jsonRpcError(400, shapeError.code, shapeError.message);

	const accept = request.headers.get('accept') ?? '';
	const streaming = accept.includes('text/event-stream') && wantsProgress(body);
	// The transport insists on both media types in Accept and on a JSON content type; we have
	// parsed the body ourselves, so present it the headers it wants.
	const headers = new Headers(request.headers);
	headers.set('accept', 'application/json, text/event-stream');
	headers.set('content-type', 'application/json');
	const normalised = new Request(request.url, { method: 'POST', headers });

	const transport = new WebStandardStreamableHTTPServerTransport({
		sessionIdGenerator: undefined,
		enableJsonResponse: !streaming,
	});
	const server = createMcpServer(scope);
	await server.connect(transport);
	return transport.handleRequest(normalised, { parsedBody: body });
}
