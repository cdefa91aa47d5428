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
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { readLogLevel } from '../mcp/logging';
import { createMcpServer } from '../mcp/server';
import { toolListResultJson } from '../mcp/tools';
import type { RequestScope } from '../tools/context';
import { readJsonRpcBody } from './json-rpc';

/** Calls that can run for many seconds, whose log messages (src/tools/logging.ts) are worth a stream. */
const LONG_TOOLS = new Set(['wait_for_completion', 'generate_image_and_wait']);

function isLongCall(message: unknown): boolean {
	if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
	const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
	if (method === 'tasks/result') return true;
	return method === 'tools/call' && typeof params?.name === 'string' && LONG_TOOLS.has(params.name);
}

function wantsProgress(message: unknown): boolean {
	const messages = Array.isArray(message) ? message : [message];
	return messages.some((item) => {
		const meta = (item as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
		return meta?.progressToken !== undefined;
	});
}

/**
 * A single tools/list with nothing the SDK would need to judge: a JSON-RPC request with an id,
 * no params or only a cursor (ignored: the list is one page), and a supported or absent
 * protocol-version header. Anything else goes through the SDK, which also answers the errors.
 */
function plainToolsListId(body: unknown, request: Request): string | number | undefined {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
	const message = body as { jsonrpc?: unknown; method?: unknown; id?: unknown; params?: unknown };
	if (message.jsonrpc !== '2.0' || message.method !== 'tools/list') return undefined;
	if (typeof message.id !== 'string' && (typeof message.id !== 'number' || !Number.isInteger(message.id))) {
		return undefined;
	}
	if (message.params !== undefined) {
		if (typeof message.params !== 'object' || message.params === null || Array.isArray(message.params))
			return undefined;
		const { cursor, ...rest } = message.params as { cursor?: unknown };
		if (Object.keys(rest).length > 0 || (cursor !== undefined && typeof cursor !== 'string')) return undefined;
	}
	const version = request.headers.get('mcp-protocol-version');
	if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
	return message.id;
}

export async function handleMcpPost(request: Request, scope: RequestScope): Promise<Response> {
	const read = await readJsonRpcBody(request);
	if (!read.ok) return read.response;
	const body = read.body;

	// tools/list is the commonest request and its answer only changes with the configuration:
	// answered from the cached JSON, without building a server (docs/benchmarks.md, bench:cost).
	const toolsListId = plainToolsListId(body, request);
	if (toolsListId !== undefined) {
		return new Response(`{"result":${toolListResultJson(scope)},"jsonrpc":"2.0","id":${JSON.stringify(toolsListId)}}`, {
			status: 200,
			headers: { 'content-type': 'application/json' },
		});
	}

	const accept = request.headers.get('accept') ?? '';
	const acceptsStream = accept.includes('text/event-stream');
	// Log messages need a stream: for a long call from a client that set a logging level, open one.
	const logLevel = acceptsStream && isLongCall(body) ? await readLogLevel(scope.db, scope.principal.id) : null;
	const streaming = acceptsStream && (wantsProgress(body) || logLevel !== null);
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
	return transport.handleRequest(normalised, { parsedBody: body });
}
