/** The `log_levels` table: the MCP logging level each principal last set (src/mcp/logging.ts). */
import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { logLevels } from './schema';

export async function readStoredLogLevel(db: Db, owner: string): Promise<string | undefined> {
	const row = await db.select({ level: logLevels.level }).from(logLevels).where(eq(logLevels.owner, owner)).get();
	return row?.level;
}

export async function storeLogLevel(db: Db, owner: string, level: string, now: number): Promise<void> {
	await db
		.insert(logLevels)
		.values({ owner, level, updatedAt: now })
		.onConflictDoUpdate({ target: logLevels.owner, set: { level, updatedAt: now } });
}
