/**
 * D1 side of the web app's sessions and sign-ins in flight (`web_sessions`, `web_logins`;
 * src/worker/web/session.ts makes the secrets and keeps only their digests here).
 */
import { eq, lt } from 'drizzle-orm';
import type { Db } from './client';
import { webLogins, webSessions } from './schema';

export type WebSessionRow = typeof webSessions.$inferSelect;

export async function insertWebSession(db: Db, row: WebSessionRow): Promise<void> {
	await db.insert(webSessions).values(row);
}

export async function findWebSession(db: Db, idHash: string): Promise<WebSessionRow | undefined> {
	const [row] = await db.select().from(webSessions).where(eq(webSessions.idHash, idHash)).limit(1);
	return row;
}

export async function deleteWebSession(db: Db, idHash: string): Promise<void> {
	await db.delete(webSessions).where(eq(webSessions.idHash, idHash));
}

export async function insertWebLogin(db: Db, row: typeof webLogins.$inferInsert): Promise<void> {
	await db.insert(webLogins).values(row);
}

/** Deletes and returns the sign-in of a state digest: each is used once. */
export async function takeWebLogin(db: Db, stateHash: string): Promise<typeof webLogins.$inferSelect | undefined> {
	const [row] = await db.delete(webLogins).where(eq(webLogins.stateHash, stateHash)).returning();
	return row;
}

/** Sweeper: expired sessions and sign-ins. */
export async function purgeWebState(db: Db, now: number): Promise<void> {
	await db.batch([
		db.delete(webSessions).where(lt(webSessions.expiresAt, now)),
		db.delete(webLogins).where(lt(webLogins.expiresAt, now)),
	]);
}
