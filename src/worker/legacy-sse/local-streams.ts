/**
 * Same-isolate delivery for legacy SSE streams. When the `POST /messages` that produced a
 * message runs in the isolate holding the session's stream, the message goes straight into
 * this in-memory mailbox and skips D1. Plain data only: workerd forbids one request from
 * writing another request's stream, so the stream's own loop drains the mailbox on a short
 * timer. A stream whose loop has not ticked recently is treated as absent, so a message is
 * never left in a mailbox nobody reads: it goes to the D1 outbox instead.
 */

/** A stream that has not ticked for this long is not trusted with a message. */
const STALE_AFTER_MS = 1000;

interface Mailbox {
	pending: string[];
	tickedAt: number;
}

const mailboxes = new Map<string, Mailbox>();

/** Called by the stream: registers its mailbox, returned for the loop to drain and tick. */
export function registerLocalStream(sessionId: string): Mailbox {
	const mailbox: Mailbox = { pending: [], tickedAt: Date.now() };
	mailboxes.set(sessionId, mailbox);
	return mailbox;
}

export function unregisterLocalStream(sessionId: string, mailbox: Mailbox): void {
	if (mailboxes.get(sessionId) === mailbox) mailboxes.delete(sessionId);
}

/** Hands a message to a live stream in this isolate; false when there is none. */
export function deliverLocally(sessionId: string, payload: string): boolean {
	const mailbox = mailboxes.get(sessionId);
	if (!mailbox || Date.now() - mailbox.tickedAt > STALE_AFTER_MS) return false;
	mailbox.pending.push(payload);
	return true;
}
