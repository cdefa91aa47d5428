/**
 * Confirmation before spending (issue 21): a quote's one-time token, kept as its SHA-256 with
 * the hash of the exact call it confirms, for CONFIRMATION_TTL_MS. Using it is one UPDATE that
 * succeeds once, for the same owner and call, before it expires.
 */
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { confirmations } from '../db/schema';

/** How long a quote can be confirmed: long enough to ask a person, short enough that prices hold. */
export const CONFIRMATION_TTL_MS = 10 * 60 * 1000;

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A stable hash of a call's arguments: keys sorted at every level, so the same call hashes the same. */
export function requestHash(args: unknown): Promise<string> {
	const canonical = (value: unknown): unknown => {
		if (Array.isArray(value)) return value.map(canonical);
		if (value && typeof value === 'object') {
			return Object.fromEntries(
				Object.entries(value as Record<string, unknown>)
					.filter(([, item]) => item !== undefined)
					.sort(([a], [b]) => a.localeCompare(b))
					.map(([key, item]) => [key, canonical(item)]),
			);
		}
		return value;
	};
	return sha256Hex(JSON.stringify(canonical(args)));
}

/** Issues a token for this owner and call; also drops expired ones (at most a few, by index). */
export async function issueConfirmation(
	db: Db,
	owner: string,
	hash: string,
	estimatedCostUsd: number,
	now: number,
): Promise<{ token: string; expiresAt: number }> {
	const bytes = crypto.getRandomValues(new Uint8Array(18));
	const token = `cf_${btoa(String.fromCharCode(...bytes))
		.replaceAll('+', '-')
		.replaceAll('/', '_')}`;
	const expiresAt = now + CONFIRMATION_TTL_MS;
	await db.batch([
		db.insert(confirmations).values({
			tokenHash: await sha256Hex(token),
			owner,
			requestHash: hash,
			estimatedCostUsd,
			expiresAt,
		}),
		db.delete(confirmations).where(lt(confirmations.expiresAt, now - CONFIRMATION_TTL_MS)),
	]);
	return { token, expiresAt };
}

export type ConfirmationUse = 'ok' | 'unknown' | 'expired' | 'used' | 'other_request';

/** Uses a token once: `ok` only for this owner's unexpired, unused token issued for this very call. */
export async function useConfirmation(
	db: Db,
	owner: string,
	token: string,
	hash: string,
	now: number,
): Promise<ConfirmationUse> {
	const tokenHash = await sha256Hex(token);
	const [used] = await db
		.update(confirmations)
		.set({ usedAt: now })
		.where(
			and(
				eq(confirmations.tokenHash, tokenHash),
				eq(confirmations.owner, owner),
				eq(confirmations.requestHash, hash),
				isNull(confirmations.usedAt),
				gt(confirmations.expiresAt, now),
			),
		)
		.returning({ tokenHash: confirmations.tokenHash });
	if (used) return 'ok';
	const row = await db
		.select()
		.from(confirmations)
		.where(and(eq(confirmations.tokenHash, tokenHash), eq(confirmations.owner, owner)))
		.get();
	if (!row) return 'unknown';
	if (row.usedAt !== null) return 'used';
	if (row.expiresAt <= now) return 'expired';
	return 'other_request';
}
