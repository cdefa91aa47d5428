/**
 * The rate limit on generate calls (docs/limits.md), with the Workers Rate Limiting binding
 * `JOB_RATE_LIMITER`. The binding only answers yes or no, so a refusal is explained from D1:
 * the caller's creation calls in the last period, and when the oldest of them leaves it.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs } from '../db/schema';
import { err, ok, type Result } from '../result';

/**
 * The limit and period of the `JOB_RATE_LIMITER` binding in wrangler.jsonc, which the binding
 * enforces and the messages quote; test/config.test.ts fails if the two disagree.
 */
export const JOB_RATE_LIMIT = { limit: 30, periodSeconds: 60 } as const;

// Said once per isolate, not on every call.
let warnedMissingBinding = false;

/** Why a call was refused: the limit, and the caller's figures that explain it. */
export interface RateLimitRefusal {
	limit: number;
	periodSeconds: number;
	recentCalls: number;
	resetsAt: number;
}

export type RateLimitOutcome = Result<undefined, RateLimitRefusal>;

/**
 * Counts one generate call of `owner` against the limit. A deployment without the binding
 * (deployed before it existed) is not limited, with a warning; nor is a call when the binding
 * fails, since refusing every generation for a broken counter would be worse than a burst.
 */
export async function checkJobRateLimit(
	limiter: RateLimit | undefined,
	db: Db,
	owner: string,
	now = Date.now(),
): Promise<RateLimitOutcome> {
	if (!limiter) {
		if (!warnedMissingBinding) {
			warnedMissingBinding = true;
			console.warn('[image-mcp] JOB_RATE_LIMITER binding missing: generate calls are not rate limited');
		}
		return ok();
	}
	let success: boolean;
	try {
		({ success } = await limiter.limit({ key: owner }));
	} catch (error) {
		console.error('rate limiter failed; letting the call through', error);
		return ok();
	}
	if (success) return ok();
	const { calls, oldest } = await recentCreationCalls(db, owner, now);
	const periodMs = JOB_RATE_LIMIT.periodSeconds * 1000;
	return err({
		limit: JOB_RATE_LIMIT.limit,
		periodSeconds: JOB_RATE_LIMIT.periodSeconds,
		recentCalls: calls,
		// The binding counts in its own windows; this is when the caller's oldest call in the
		// last period leaves it, or a whole period when D1 has none (refused calls count too).
		resetsAt: oldest === null ? now + periodMs : Math.max(oldest + periodMs, now),
	});
}

/** Generate calls (a count batch is one) `owner` made in the last rate-limit period. */
export async function recentCreationCalls(
	db: Db,
	owner: string,
	now: number,
): Promise<{ calls: number; oldest: number | null }> {
	const [row] = await db
		.select({
			calls: sql<number>`count(DISTINCT coalesce(${jobs.batchId}, ${jobs.id}))`,
			oldest: sql<number | null>`min(${jobs.createdAt})`,
		})
		.from(jobs)
		.where(and(eq(jobs.owner, owner), gt(jobs.createdAt, now - JOB_RATE_LIMIT.periodSeconds * 1000)));
	return { calls: row?.calls ?? 0, oldest: row?.oldest ?? null };
}
