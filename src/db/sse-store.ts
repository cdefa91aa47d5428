/**
 * D1 side of the legacy HTTP+SSE transport: sessions and their outbox (DESIGN.md §4).
 * Every statement is scoped by session id; the session row binds it to one principal.
 */
import { and, asc, count, eq, gt, inArray, lt, lte, or, sql } from 'drizzle-orm';
import { err, ok, type Result } from '../result';
import type { Db } from './client';
import { purgeExpiredElicitations } from './elicitations';
import { sseOutbox, sseSessions } from './schema';

export type SseSessionRow = typeof sseSessions.$inferSelect;

export interface OutboxMessage {
	seq: number;
	payload: string;
}

/**
 * Opens a session unless the principal already has `maxOpen` live ones. The count and the
 * insert are one statement, so concurrent opens cannot all see room and all get in.
 */
export async function openSseSession(
	db: Db,
	owner: string,
	now: number,
	limits: { maxOpen: number; liveWindowMs: number },
): Promise<Result<string, { open: number }>> {
	// 128 random bits, hex: unguessable, and bound to the owner on every use anyway.
	const id = [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
	const liveSince = now - limits.liveWindowMs;
	const inserted = await db.run(sql`
		INSERT INTO sse_sessions (id, owner, created_at, seen_at)
		SELECT ${id}, ${owner}, ${now}, ${now}
		WHERE (SELECT count(*) FROM sse_sessions WHERE owner = ${owner} AND seen_at > ${liveSince}) < ${limits.maxOpen}`);
	if ((inserted.meta.changes ?? 0) === 1) return ok(id);
	const [live] = await db
		.select({ open: count() })
		.from(sseSessions)
		.where(and(eq(sseSessions.owner, owner), gt(sseSessions.seenAt, liveSince)));
	return err({ open: live?.open ?? 0 });
}

/** A live session, or null when unknown or not seen within the live window (its stream died). */
export async function findLiveSseSession(
	db: Db,
	id: string,
	now: number,
	liveWindowMs: number,
): Promise<SseSessionRow | null> {
	const row = await db.query.sseSessions.findFirst({ where: eq(sseSessions.id, id) });
	return row && row.seenAt > now - liveWindowMs ? row : null;
}

export async function touchSseSession(db: Db, id: string, now: number): Promise<void> {
	await db.update(sseSessions).set({ seenAt: now }).where(eq(sseSessions.id, id));
}

/** Ends a session: the row and anything still undelivered. */
export async function closeSseSession(db: Db, id: string): Promise<void> {
	await db.batch([
		db.delete(sseOutbox).where(eq(sseOutbox.sessionId, id)),
		db.delete(sseSessions).where(eq(sseSessions.id, id)),
	]);
}

/** What a session's outbox may hold before appends are refused (a stream that stopped reading). */
export interface OutboxLimits {
	maxMessages: number;
	/** Bytes of payload (UTF-8) waiting, this message included. */
	maxBytes: number;
}

/** UTF-8 bytes of a payload, as SQLite counts `length(CAST(payload AS BLOB))`. */
export function payloadBytes(payload: string): number {
	return new TextEncoder().encode(payload).byteLength;
}

/**
 * Appends one message unless the session's outbox would then hold more than `limits` allow.
 * The check and the insert are one statement. Returns false when it was refused.
 */
export async function appendToOutbox(
	db: Db,
	sessionId: string,
	payload: string,
	expiresAt: number,
	limits: OutboxLimits,
): Promise<boolean> {
	const result = await db.run(sql`
		INSERT INTO sse_outbox (session_id, payload, expires_at)
		SELECT ${sessionId}, ${payload}, ${expiresAt}
		WHERE (SELECT count(*) FROM sse_outbox WHERE session_id = ${sessionId}) < ${limits.maxMessages}
		AND (SELECT coalesce(sum(length(CAST(payload AS BLOB))), 0) FROM sse_outbox WHERE session_id = ${sessionId})
			+ ${payloadBytes(payload)} <= ${limits.maxBytes}`);
	return (result.meta.changes ?? 0) === 1;
}

/** How many messages, and how many bytes of payload, wait in a session's outbox. */
export async function outboxSize(db: Db, sessionId: string): Promise<{ messages: number; bytes: number }> {
	const [row] = await db
		.select({
			messages: count(),
			bytes: sql<number>`coalesce(sum(length(CAST(${sseOutbox.payload} AS BLOB))), 0)`,
		})
		.from(sseOutbox)
		.where(eq(sseOutbox.sessionId, sessionId));
	return { messages: row?.messages ?? 0, bytes: Number(row?.bytes ?? 0) };
}

/** The oldest waiting messages of a session, in order (a read: cheap to poll). */
export async function peekOutbox(db: Db, sessionId: string, limit = 100): Promise<OutboxMessage[]> {
	return db
		.select({ seq: sseOutbox.seq, payload: sseOutbox.payload })
		.from(sseOutbox)
		.where(eq(sseOutbox.sessionId, sessionId))
		.orderBy(asc(sseOutbox.seq))
		.limit(limit);
}

/** Deletes what the stream delivered. */
export async function deleteDelivered(db: Db, sessionId: string, upToSeq: number): Promise<void> {
	await db.delete(sseOutbox).where(and(eq(sseOutbox.sessionId, sessionId), lte(sseOutbox.seq, upToSeq)));
}

/**
 * Sweeper: expired messages, sessions (with their messages) not seen since `deadBefore`, and
 * expired elicitation rendezvous (src/db/elicitations.ts).
 */
export async function purgeSseState(db: Db, now: number, deadBefore: number): Promise<void> {
	const dead = db.select({ id: sseSessions.id }).from(sseSessions).where(lt(sseSessions.seenAt, deadBefore));
	await db.batch([
		db.delete(sseOutbox).where(or(lt(sseOutbox.expiresAt, now), inArray(sseOutbox.sessionId, dead))),
		db.delete(sseSessions).where(lt(sseSessions.seenAt, deadBefore)),
		purgeExpiredElicitations(db, now),
	]);
}
