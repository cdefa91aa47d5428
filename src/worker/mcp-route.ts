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
import { readJsonRpcBody } from './json-rpc';

function wantsProgress(message: unknown): boolean {
	const messages = Array.isArray(message) ? message : [message];
	return messages.some((item) => {
		const meta = (item as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
		return meta?.progressToken !== undefined;
	});
}

export async function handleMcpPost(request: Request, scope: RequestScope): Promise<Response> {
	const read = await readJsonRpcBody(request);
	if (!read.ok) return read.response;
	const body = read.body;

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
