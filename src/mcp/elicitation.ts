/**
 * Confirmation by elicitation (issue 21): where the client declared `elicitation` and the
 * transport can carry a request to it during a tools/call, a spend above the threshold is
 * asked with `elicitation/create` (a yes/no `confirm` field) instead of answered as a quote.
 *
 * The server is stateless, so the SDK's own request/response pairing cannot be used: the
 * client's response comes back as a separate POST (/messages or /mcp), maybe in another
 * isolate, to a server built for that POST. So the request gets a random id of ours
 * (`elicit-…`), a row in D1's `elicitations` waits for the answer, the POST that brings it
 * stores it there (storeElicitationResponses), and the waiting call polls the row.
 */
import {
	ElicitResultSchema,
	type JSONRPCMessage,
	type JSONRPCRequest,
	type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { Db } from '../db/client';
import { answerElicitation, closeElicitation, openElicitation, readElicitationAnswer } from '../db/elicitations';
import type { SpendAnswer, SpendQuestion } from '../tools/context';

/** Our elicitation requests' ids start with this; responses to them are stored, not handed to the SDK. */
export const ELICITATION_ID_PREFIX = 'elicit-';

/** The longest a call waits for the user's answer, unless its transport allows less. */
export const ELICITATION_TIMEOUT_MS = 60_000;

/** Polling for the answer: fast at first (a client that answers by itself), then at most this. */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

/** How a transport carries an elicitation request to the client during a call. */
export interface ElicitationChannel {
	/** Sends the request on the stream the call's answer will take; false when it could not. */
	send: (request: JSONRPCRequest, relatedRequestId: RequestId) => Promise<boolean>;
	/** Longest wait for the answer, in ms. */
	timeoutMs: number;
}

/** The tools whose calls may spend and so may ask (the callers of src/tools/generate.tools.ts startGeneration). */
const ASKING_TOOLS = new Set(['generate_image', 'generate_image_and_wait', 'generate_variations']);

/** Whether a POST calls a tool that may ask to confirm a spend. */
export function callsSpendingTool(messages: readonly JSONRPCMessage[]): boolean {
	return messages.some((message) => {
		if (!('method' in message) || message.method !== 'tools/call') return false;
		const name = (message.params as { name?: unknown } | undefined)?.name;
		return typeof name === 'string' && ASKING_TOOLS.has(name);
	});
}

/** Whether initialize's client capabilities include form elicitation (`{}` means form). */
export function declaresElicitation(capabilities: unknown): boolean {
	const elicitation = (capabilities as { elicitation?: unknown } | undefined)?.elicitation;
	if (typeof elicitation !== 'object' || elicitation === null || Array.isArray(elicitation)) return false;
	return Object.keys(elicitation).length === 0 || 'form' in elicitation;
}

/** For an `initialize` among the messages: whether that client declared elicitation; undefined when none is. */
export function initializeDeclaresElicitation(messages: readonly JSONRPCMessage[]): boolean | undefined {
	const initialize = messages.find((message) => 'method' in message && message.method === 'initialize');
	if (!initialize || !('params' in initialize)) return undefined;
	return declaresElicitation((initialize.params as { capabilities?: unknown } | undefined)?.capabilities);
}

function isOurResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: string } {
	return (
		!('method' in message) &&
		'id' in message &&
		typeof message.id === 'string' &&
		message.id.startsWith(ELICITATION_ID_PREFIX)
	);
}

/**
 * Stores the responses to our elicitation requests among a POST's messages for the calls that
 * wait for them (an owner answers only its own), and returns the other messages.
 */
export async function storeElicitationResponses(
	db: Db,
	owner: string,
	messages: readonly JSONRPCMessage[],
): Promise<JSONRPCMessage[]> {
	const ours = messages.filter(isOurResponse);
	await Promise.all(ours.map((message) => answerElicitation(db, message.id, owner, JSON.stringify(message))));
	return messages.filter((message) => !isOurResponse(message));
}

/** The `elicitation/create` request for a spend question. */
export function confirmRequest(id: string, question: SpendQuestion): JSONRPCRequest {
	return {
		jsonrpc: '2.0',
		id,
		method: 'elicitation/create',
		params: {
			message: question.message,
			requestedSchema: {
				type: 'object',
				properties: {
					confirm: {
						type: 'boolean',
						title: 'Go ahead',
						description: `Spend about $${question.estimatedCostUsd} on ${question.count} image${question.count === 1 ? '' : 's'} with ${question.model}.`,
						default: false,
					},
				},
				required: ['confirm'],
			},
		},
	};
}

/** The user's answer from the client's stored JSON-RPC response. */
export function answerOf(stored: string): SpendAnswer {
	let message: unknown;
	try {
		message = JSON.parse(stored);
	} catch {
		return 'unavailable';
	}
	const parsed = ElicitResultSchema.safeParse((message as { result?: unknown }).result);
	// A JSON-RPC error (say, a client that cannot show forms after all): answer the quote.
	if (!parsed.success) return 'unavailable';
	const { action, content } = parsed.data;
	if (action === 'accept') return content?.confirm === true ? 'accept' : 'decline';
	return action;
}

/**
 * Asks the question on the channel and waits for the answer in D1: `timeout` when none comes
 * within the channel's time, `cancel` when the client goes away, `unavailable` when the
 * request could not be sent.
 */
export async function askToConfirm(
	db: Db,
	owner: string,
	channel: ElicitationChannel,
	relatedRequestId: RequestId,
	question: SpendQuestion,
	signal: AbortSignal,
): Promise<SpendAnswer> {
	const id = `${ELICITATION_ID_PREFIX}${crypto.randomUUID()}`;
	const started = Date.now();
	const deadline = started + channel.timeoutMs;
	await openElicitation(db, id, owner, deadline + 60_000);
	try {
		if (!(await channel.send(confirmRequest(id, question), relatedRequestId))) return 'unavailable';
		for (let delay = FIRST_POLL_MS; ; delay = Math.min(MAX_POLL_MS, Math.round(delay * 1.5))) {
			const stored = await readElicitationAnswer(db, id);
			if (stored !== null) return answerOf(stored);
			if (signal.aborted) return 'cancel';
			const remaining = deadline - Date.now();
			if (remaining <= 0) return 'timeout';
			await scheduler.wait(Math.min(delay, remaining));
		}
	} finally {
		await closeElicitation(db, id).catch((error) => console.error('closing an elicitation failed', error));
	}
}
