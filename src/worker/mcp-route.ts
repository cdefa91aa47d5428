/**
 * POST /mcp: stateless Streamable HTTP (DESIGN.md §4) with a fresh MCP server per request.
 *
 * Made lenient where the seed's curl scripts need it, strict where the spec says so:
 * - a POST with only `Content-Type: application/json` (no Accept) gets a JSON answer;
 * - no prior `initialize` is needed (stateless: there is no session to initialize);
 * - an SSE response stream only when the client accepts one and asked for progress, set a
 *   logging level for a long call, or may be asked to confirm a spend (elicitation);
 * - a POST of only responses to our elicitation requests is stored for the waiting call, 202.
 * - malformed JSON is a JSON-RPC parse error, an oversized body a 413.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { readClientElicitation, storeClientElicitation } from '../db/elicitations';
import {
	callsSpendingTool,
	ELICITATION_TIMEOUT_MS,
	type ElicitationChannel,
	initializeDeclaresElicitation,
	storeElicitationResponses,
} from '../mcp/elicitation';
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

	// A client's answer to our elicitation goes to the call waiting for it (src/mcp/elicitation.ts).
	const messages = await storeElicitationResponses(scope.db, scope.principal.id, post.messages);
	if (messages.length === 0) return new Response(null, { status: 202 });
	// Stateless: what the client declared at initialize is kept per principal for later calls.
	const declared = initializeDeclaresElicitation(messages);
	if (declared !== undefined) await storeClientElicitation(scope.db, scope.principal.id, declared, Date.now());

	const accept = request.headers.get('accept') ?? '';
	const acceptsStream = accept.includes('text/event-stream');
	// Log messages need a stream: for a long call from a client that set a logging level, open one.
	const logLevel = acceptsStream && post.longCall ? await readLogLevel(scope.db, scope.principal.id) : null;
	// So does a question to the user: for a call that may spend, from a client that can answer one.
	const canElicit =
		acceptsStream && callsSpendingTool(messages) && (await readClientElicitation(scope.db, scope.principal.id));
	const streaming = acceptsStream && (post.wantsProgress || logLevel !== null || canElicit);
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
	const elicitation: ElicitationChannel | undefined = canElicit
		? {
				// On this POST's SSE stream, beside the call it belongs to; the answer comes as another POST.
				send: (question, relatedRequestId) =>
					transport.send(question, { relatedRequestId }).then(
						() => true,
						() => false,
					),
				timeoutMs: ELICITATION_TIMEOUT_MS,
			}
		: undefined;
	const server = createMcpServer(scope, {
		logLevel: streaming ? logLevel : null,
		...(elicitation ? { elicitation } : {}),
	});
	await server.connect(transport);
	const body = messages.length === post.messages.length ? post.body : messages;
	return transport.handleRequest(normalised, { parsedBody: body });
}
