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
import { readLogLevel } from '../mcp/logging';
import { createMcpServer } from '../mcp/server';
import { toolListResultJson } from '../mcp/tools';
import type { RequestScope } from '../tools/context';
import { readJsonRpcBody } from './mcp-post';

export async function handleMcpPost(request: Request, scope: RequestScope): Promise<Response> {
	const read = await readJsonRpcBody(request);
	if (!read.ok) return read.error;
	const post = read.value;

	// tools/list is the commonest request and its answer only changes with the configuration:
	// answered from the cached JSON, without building a server (docs/benchmarks.md, bench:cost).
	if (post.plainToolsListId !== undefined) {
		const id = JSON.stringify(post.plainToolsListId);
		return new Response(`{"result":${toolListResultJson(scope)},"jsonrpc":"2.0","id":${id}}`, {
			status: 200,
			headers: { 'content-type': 'application/json' },
		});
	}

	const accept = request.headers.get('accept') ?? '';
	const acceptsStream = accept.includes('text/event-stream');
	// Log messages need a stream: for a long call from a client that set a logging level, open one.
	const logLevel = acceptsStream && post.longCall ? await readLogLevel(scope.db, scope.principal.id) : null;
	const streaming = acceptsStream && (post.wantsProgress || logLevel !== null);
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
	// A JSON answer cannot carry log messages: no level, no D1 read for one.
	const server = createMcpServer(scope, { logLevel: streaming ? logLevel : null });
	await server.connect(transport);
	return transport.handleRequest(normalised, { parsedBody: post.body });
}
