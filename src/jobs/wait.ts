/**
 * Waiting for jobs by polling D1 (the truth, whichever isolate finishes the job) on an
 * adaptive schedule: 20 ms at first, growing by half each time up to 250 ms. A job that
 * finishes quickly is seen within tens of milliseconds; a long wait costs at most about
 * four reads a second. A same-isolate completion hint (src/jobs/events.ts) cuts the sleep short.
 */

import type { Db } from '../db/client';
import { type JobRow, TERMINAL_STATUSES } from '../db/schema';
import { settledSince } from './events';
import { readOwnedJobs } from './queries';

export const FIRST_POLL_MS = 20;
export const MAX_POLL_MS = 250;

/** The delay before poll number `n` (0-based). */
export function pollDelay(n: number): number {
	return Math.min(MAX_POLL_MS, Math.round(FIRST_POLL_MS * 1.5 ** n));
}

export interface WaitOptions {
	timeoutMs: number;
	/** Aborted when the client goes away: stop polling. */
	signal?: AbortSignal;
	/** Called after each poll that did not finish the wait, with the rows just read. */
	onPoll?: (rows: JobRow[], elapsedMs: number) => Promise<void> | void;
}

export interface WaitOutcome {
	rows: JobRow[];
	/** Whether every job reached a terminal state before the timeout. */
	settled: boolean;
}

export function isTerminal(job: JobRow): boolean {
	return TERMINAL_STATUSES.includes(job.status);
}

/** How often a sleeping waiter looks for an in-isolate completion hint. */
export const HINT_CHECK_MS = 5;

/** Sleeps up to `ms`, less when a hint says one of the jobs settled since `since`, or on abort. */
async function sleep(ms: number, jobIds: readonly string[], since: number, signal?: AbortSignal): Promise<void> {
	const until = Date.now() + ms;
	while (Date.now() < until && !signal?.aborted && !settledSince(jobIds, since)) {
		await scheduler.wait(Math.min(HINT_CHECK_MS, until - Date.now()));
	}
}

/**
 * Polls the owner's jobs until all are terminal or the timeout passes. Unknown ids (or
 * another owner's) are simply absent from `rows`; callers check that on the first read.
 */
export async function waitForJobs(
	db: Db,
	owner: string,
	jobIds: readonly string[],
	options: WaitOptions,
): Promise<WaitOutcome> {
	const started = Date.now();
	for (let poll = 0; ; poll++) {
		const readAt = Date.now();
		const rows = await readOwnedJobs(db, owner, jobIds);
		const elapsed = Date.now() - started;
		if (rows.length < jobIds.length || rows.every(isTerminal)) return { rows, settled: true };
		const remaining = options.timeoutMs - elapsed;
		if (remaining <= 0 || options.signal?.aborted) return { rows, settled: false };
		await options.onPoll?.(rows, elapsed);
		await sleep(Math.min(pollDelay(poll), remaining), jobIds, readAt, options.signal);
	}
}
