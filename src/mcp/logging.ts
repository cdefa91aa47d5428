/**
 * MCP logging (`logging/setLevel`, `notifications/message`). The server keeps no session, so
 * the level a client sets is kept in D1 per principal and applies to that principal's later
 * requests, whichever isolate serves them. Until a client sets one, no log messages are sent
 * (the spec leaves the default to the server).
 *
 * Messages travel on the request's own response stream, so long calls only: on /mcp they need
 * an SSE response (src/worker/mcp-route.ts opens one when a level is set); on legacy SSE every
 * response goes over the stream anyway.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { type LoggingLevel, LoggingLevelSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Db } from '../db/client';
import { readStoredLogLevel, storeLogLevel } from '../db/log-levels';
import { invalidParams, lenientRequestSchema } from './protocol';

/** The spec's levels, least severe first (RFC 5424 order), as the SDK's schema lists them. */
export const LOG_LEVELS: readonly LoggingLevel[] = LoggingLevelSchema.options;

/** The logger name on every message. */
export const LOGGER = 'image-mcp';

/** The level this principal last set, or null when none was ever set. */
export async function readLogLevel(db: Db, owner: string): Promise<LoggingLevel | null> {
	const level = await readStoredLogLevel(db, owner);
	return level !== undefined && LOG_LEVELS.includes(level as LoggingLevel) ? (level as LoggingLevel) : null;
}

export function isLogged(level: LoggingLevel, threshold: LoggingLevel | null): boolean {
	return threshold !== null && LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** Replaces the SDK's per-session handler (a fresh server per request would forget the level at once). */
export function registerLogging(server: Server, db: Db, owner: string): void {
	// Parsed leniently so that a wrong level is our -32602 naming the allowed ones, not the SDK's -32603.
	server.setRequestHandler(lenientRequestSchema('logging/setLevel'), async (request) => {
		const given = (request.params as { level?: unknown } | undefined)?.level;
		const level = given as LoggingLevel;
		if (!LOG_LEVELS.includes(level)) {
			throw invalidParams(
				`level: ${JSON.stringify(given ?? null)?.slice(0, 50)} is not a logging level. Allowed: ${LOG_LEVELS.join(', ')}.`,
			);
		}
		await storeLogLevel(db, owner, level, Date.now());
		return {};
	});
}
