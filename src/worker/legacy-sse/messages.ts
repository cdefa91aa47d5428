/**
 * POST /messages?sessionId=…: legacy HTTP+SSE requests (MCP 2024-11-05 transports). The
 * message is handled by a fresh stateless MCP server, like /mcp, and whatever the server
 * sends (the response, progress notifications) goes to the session's stream: straight into
 * its mailbox when this isolate holds the stream, else through the D1 outbox. The POST is
 * answered 202. Tool calls, which may wait for jobs, run after the answer on `waitUntil`, so
 * one long call never holds up the next message; other requests are handled before the 202,
 * which keeps a client's handshake in order. The route passes a scope whose `maxWaitSeconds`
 * is SSE_MAX_WAIT_SECONDS, since `waitUntil` work stops 30 s after the answer. A session whose
 * client declared elicitation may be asked to confirm a spend on its stream; the client's
 * response, a POST here too, is stored for the waiting call (src/mcp/elicitation.ts).
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Db } from '../../db/client';
import { setSessionElicitation } from '../../db/elicitations';
import { appendToOutbox, findLiveSseSession, outboxSize } from '../../db/sse-store';
import type { SseSettings } from '../../env';
import {
	ELICITATION_TIMEOUT_MS,
	type ElicitationChannel,
	initializeDeclaresElicitation,
	storeElicitationResponses,
} from '../../mcp/elicitation';
import { createMcpServer } from '../../mcp/server';
import type { RequestScope } from '../../tools/context';
import { readJsonRpcBody } from '../mcp-post';
import { deliverLocally } from './local-streams';
import { OUTBOX_TTL_MS, SESSION_LIVE_WINDOW_MS } from './session-limits';

function jsonError(status: number, error: string): Response {
	return Response.json({ error }, { status });
}

/** Delivers one message to a session's stream. Returns false when the outbox was full. */
export async function deliverToSession(
	db: Db,
	sessionId: string,
	message: JSONRPCMessage,
	settings: SseSettings,
): Promise<boolean> {
	const payload = JSON.stringify(message);
	if (settings.inMemory && deliverLocally(sessionId, payload)) return true;
	return appendToOutbox(db, sessionId, payload, Date.now() + OUTBOX_TTL_MS, {
		maxMessages: settings.maxOutboxMessages,
		maxBytes: settings.maxOutboxBytes,
	});
}

/**
 * The server side of one POST: receives the messages, and resolves once every request
 * among them has been answered. Everything the server sends goes to `deliver`.
 */
class SessionOutboxTransport implements Transport {
	onclose?: () => void;
	onerror?: (error: Error) => void;
	onmessage?: Transport['onmessage'];
	private readonly waiting = new Map<string | number, () => void>();

	constructor(private readonly deliver: (message: JSONRPCMessage) => Promise<boolean>) {}

	async start(): Promise<void> {}

	async close(): Promise<void> {
		this.onclose?.();
	}

	async send(message: JSONRPCMessage): Promise<void> {
		if (!(await this.deliver(message))) console.error('SSE outbox full: a message was dropped');
		const id = 'id' in message && ('result' in message || 'error' in message) ? message.id : undefined;
		if (id !== undefined && id !== null) {
			this.waiting.get(id)?.();
			this.waiting.delete(id);
		}
	}

	/** Feeds the messages to the server; resolves when each request has its response. */
	async handle(messages: JSONRPCMessage[]): Promise<void> {
		const answered: Promise<void>[] = [];
		for (const message of messages) {
			if ('method' in message && 'id' in message) {
				answered.push(new Promise((resolve) => this.waiting.set(message.id, resolve)));
			}
			this.onmessage?.(message);
		}
		await Promise.all(answered);
	}
}

async function runMessages(
	scope: RequestScope,
	messages: JSONRPCMessage[],
	sessionId: string,
	settings: SseSettings,
	canElicit: boolean,
) {
	const deliver = (message: JSONRPCMessage) => deliverToSession(scope.db, sessionId, message, settings);
	const transport = new SessionOutboxTransport(deliver);
	// The session's stream carries the question; the answer comes as a POST like this one.
	const elicitation: ElicitationChannel | undefined = canElicit
		? { send: deliver, timeoutMs: Math.min(ELICITATION_TIMEOUT_MS, scope.maxWaitSeconds * 1000) }
		: undefined;
	const server = createMcpServer(scope, elicitation ? { elicitation } : {});
	await server.connect(transport);
	try {
		await transport.handle(messages);
	} finally {
		await server.close();
	}
}

export async function handleSseMessagePost(
	request: Request,
	scope: RequestScope,
	settings: SseSettings,
	ctx: Pick<ExecutionContext, 'waitUntil'>,
): Promise<Response> {
	const sessionId = new URL(request.url).searchParams.get('sessionId');
	if (!sessionId) {
		return jsonError(400, 'Missing sessionId: POST to the URL from the stream\'s "endpoint" event.');
	}
	const session = await findLiveSseSession(scope.db, sessionId, Date.now(), SESSION_LIVE_WINDOW_MS);
	if (!session) {
		return jsonError(404, 'Unknown or expired session: open a new stream with GET /sse and use its endpoint.');
	}
	if (session.owner !== scope.principal.id) {
		return jsonError(403, 'This session belongs to another user: open your own stream with GET /sse.');
	}
	const read = await readJsonRpcBody(request);
	if (!read.ok) return read.error;
	const waiting = await outboxSize(scope.db, sessionId);
	if (waiting.messages >= settings.maxOutboxMessages || waiting.bytes >= settings.maxOutboxBytes) {
		return jsonError(
			429,
			`Session outbox full: ${waiting.messages} messages (${waiting.bytes} bytes) are waiting for the stream to read them; a session may hold ${settings.maxOutboxMessages} messages or ${settings.maxOutboxBytes} bytes. Read the stream, or reconnect with GET /sse.`,
		);
	}

	const { callsTool } = read.value;
	// Answers to our elicitation requests go to the calls waiting for them (src/mcp/elicitation.ts).
	const messages = await storeElicitationResponses(scope.db, scope.principal.id, read.value.messages);
	if (messages.length === 0) return accepted();
	const declared = initializeDeclaresElicitation(messages);
	if (declared !== undefined && declared !== session.elicitation) {
		await setSessionElicitation(scope.db, sessionId, declared);
	}
	const canElicit = declared ?? session.elicitation;
	const run = runMessages(scope, messages, sessionId, settings, canElicit).catch((error) =>
		console.error(`SSE session ${sessionId}: handling a message failed`, error),
	);
	if (callsTool) ctx.waitUntil(run);
	else await run;
	return accepted();
}

function accepted(): Response {
	return new Response('Accepted', { status: 202, headers: { 'content-type': 'text/plain' } });
}
