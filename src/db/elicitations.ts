/**
 * D1 side of elicitation (src/mcp/elicitation.ts): the rendezvous between a call waiting for
 * the client's answer and the POST that brings it, and what each principal's Streamable HTTP
 * client declared at `initialize`. Every statement is scoped by owner.
 */
import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from './client';
import { clientCapabilities, elicitations, sseSessions } from './schema';

/** Opens the rendezvous for one `elicitation/create` before it is sent. */
export async function openElicitation(db: Db, id: string, owner: string, expiresAt: number): Promise<void> {
	await db.insert(elicitations).values({ id, owner, expiresAt });
}

/** Stores the client's response for a waiting call; false when no call of this owner waits for that id. */
export async function answerElicitation(db: Db, id: string, owner: string, answer: string): Promise<boolean> {
	const result = await db
		.update(elicitations)
		.set({ answer })
		.where(and(eq(elicitations.id, id), eq(elicitations.owner, owner), isNull(elicitations.answer)));
	return (result.meta.changes ?? 0) === 1;
}

/** The stored response, or null while none has come (a read: cheap to poll). */
export async function readElicitationAnswer(db: Db, id: string): Promise<string | null> {
	const row = await db.select({ answer: elicitations.answer }).from(elicitations).where(eq(elicitations.id, id)).get();
	return row?.answer ?? null;
}

export async function closeElicitation(db: Db, id: string): Promise<void> {
	await db.delete(elicitations).where(eq(elicitations.id, id));
}

/** Sweeper: rendezvous nobody closed (the waiting isolate went away). */
export function purgeExpiredElicitations(db: Db, now: number) {
	return db.delete(elicitations).where(lt(elicitations.expiresAt, now));
}

/** Records what the principal's client declared at its latest Streamable HTTP `initialize`. */
export async function storeClientElicitation(db: Db, owner: string, elicitation: boolean, now: number): Promise<void> {
	await db
		.insert(clientCapabilities)
		.values({ owner, elicitation, updatedAt: now })
		.onConflictDoUpdate({ target: clientCapabilities.owner, set: { elicitation, updatedAt: now } });
}

export async function readClientElicitation(db: Db, owner: string): Promise<boolean> {
	const row = await db
		.select({ elicitation: clientCapabilities.elicitation })
		.from(clientCapabilities)
		.where(eq(clientCapabilities.owner, owner))
		.get();
	return row?.elicitation ?? false;
}

/** Records whether a legacy SSE session's client declared `elicitation` in its initialize. */
export async function setSessionElicitation(db: Db, sessionId: string, elicitation: boolean): Promise<void> {
	await db.update(sseSessions).set({ elicitation }).where(eq(sseSessions.id, sessionId));
}
