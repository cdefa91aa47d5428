/**
 * GET /sse: the legacy HTTP+SSE stream (MCP 2024-11-05 transports). The first event names
 * the endpoint for POSTs; JSON-RPC messages then arrive as `event: message`, from the
 * same-isolate mailbox at once or from the D1 outbox on an adaptive poll; idle streams get
 * `: keepalive` comments so proxies keep them open.
 */
import type { Db } from '../../db/client';
import { closeSseSession, deleteDelivered, peekOutbox, touchSseSession } from '../../db/sse-store';
import type { SseSettings } from '../../env';
import { registerLocalStream, unregisterLocalStream } from './local-streams';
import { MAILBOX_CHECK_MS, OUTBOX_POLL_MAX_MS, OUTBOX_POLL_MIN_MS, SESSION_TOUCH_MS } from './session-limits';

const encoder = new TextEncoder();

function sseFrame(event: string, data: string): string {
	return `event: ${event}\ndata: ${data}\n\n`;
}

/** Runs the stream's loop until the client goes away; then removes the session. */
async function pump(
	writer: WritableStreamDefaultWriter<Uint8Array>,
	db: Db,
	sessionId: string,
	settings: SseSettings,
): Promise<void> {
	const write = (text: string) => writer.write(encoder.encode(text));
	const mailbox = settings.inMemory ? registerLocalStream(sessionId) : undefined;
	// The client going away cancels the response body, which errors our side: stop at once
	// rather than at the next write.
	let clientGone = false;
	const gone = writer.closed.then(
		() => {
			clientGone = true;
		},
		() => {
			clientGone = true;
		},
	);
	try {
		await write(sseFrame('endpoint', `/messages?sessionId=${sessionId}`));
		let pollInterval = OUTBOX_POLL_MIN_MS;
		let nextPollAt = Date.now();
		let lastWriteAt = Date.now();
		let lastTouchAt = Date.now();
		while (!clientGone) {
			let now = Date.now();
			if (mailbox) {
				mailbox.tickedAt = now;
				if (mailbox.pending.length > 0) {
					const batch = mailbox.pending.splice(0);
					await write(batch.map((payload) => sseFrame('message', payload)).join(''));
					lastWriteAt = now;
				}
			}
			if (now >= nextPollAt) {
				const waiting = await peekOutbox(db, sessionId);
				if (waiting.length > 0) {
					await write(waiting.map((row) => sseFrame('message', row.payload)).join(''));
					await deleteDelivered(db, sessionId, waiting[waiting.length - 1]!.seq);
					lastWriteAt = Date.now();
					pollInterval = OUTBOX_POLL_MIN_MS;
				} else {
					pollInterval = Math.min(OUTBOX_POLL_MAX_MS, Math.ceil(pollInterval * 1.5));
				}
				now = Date.now();
				nextPollAt = now + pollInterval;
			}
			if (now - lastWriteAt >= settings.keepaliveMs) {
				await write(': keepalive\n\n');
				lastWriteAt = now;
			}
			if (now - lastTouchAt >= SESSION_TOUCH_MS) {
				await touchSseSession(db, sessionId, now);
				lastTouchAt = now;
			}
			const untilNextPoll = Math.max(1, nextPollAt - Date.now());
			await Promise.race([scheduler.wait(mailbox ? Math.min(MAILBOX_CHECK_MS, untilNextPoll) : untilNextPoll), gone]);
		}
	} catch {
		// A write failed: the client went away. Fall through to clean up.
	} finally {
		if (mailbox) unregisterLocalStream(sessionId, mailbox);
		await closeSseSession(db, sessionId).catch((error) => console.error('closing SSE session failed', error));
		await writer.close().catch(() => {});
	}
}

/** Starts the stream for an opened session and returns the response that carries it. */
export function openSseStream(db: Db, sessionId: string, settings: SseSettings): Response {
	const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
	// Not awaited: the loop runs while the response body streams, which keeps the request alive.
	void pump(writable.getWriter(), db, sessionId, settings);
	return new Response(readable, {
		headers: {
			'content-type': 'text/event-stream',
			'cache-control': 'no-cache, no-transform',
			connection: 'keep-alive',
			'x-accel-buffering': 'no',
		},
	});
}
