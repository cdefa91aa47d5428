/**
 * Waiting for jobs by polling D1 (the truth, whichever isolate finishes the job) on an
 * adaptive schedule: 20 ms at first, growing by half each time up to 300 ms. A job that
 * finishes quickly is seen within tens of milliseconds; a long wait costs about
 * 3.3 reads a second. A same-isolate completion hint (src/jobs/events.ts) cuts the sleep short.
 *
 * When the consumer runs in another isolate (often so on Cloudflare) no hint comes, and a job
 * finishing between two polls 300 ms apart is seen up to 300 ms late. So once a job has
 * started, the waiter also polls at the moment it is expected to finish (its start plus the
 * model's typical time) and then densely again (20 ms, 30 ms, 45 ms, …): a few extra reads
 * where the completion is most likely, instead of more reads everywhere.
 */

import type { Db } from '../db/client';
import { type JobRow, TERMINAL_STATUSES } from '../db/schema';
import { settledSince } from './events';
import { readOwnedJobs } from './queries';

export const FIRST_POLL_MS = 20;
/** Steady-state poll interval: about 3.3 reads a second over a long wait, leaving room for the polls at an expected completion. */
export const MAX_POLL_MS = 300;

/** The delay before poll number `n` (0-based). */
export function pollDelay(n: number): number {
	return Math.min(MAX_POLL_MS, Math.round(FIRST_POLL_MS * 1.5 ** n));
}

export interface WaitOptions {
	timeoutMs: number;
	/** Aborted when the client goes away: stop polling. */
	signal?: AbortSignal;
	/** Whether a same-isolate completion hint may cut a sleep short (default true). */
	hints?: boolean;
	/** How long a started job is expected to run (ms), e.g. its model's typical time; undefined: unknown. */
	expectedRunMs?: (job: JobRow) => number | undefined;
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

/** Sleeps up to `ms`, less when a hint (if `since` is given) says one of the jobs settled since then, or on abort. */
async function sleep(ms: number, jobIds: readonly string[], since: number | null, signal?: AbortSignal): Promise<void> {
	const until = Date.now() + ms;
	while (Date.now() < until && !signal?.aborted && !(since !== null && settledSince(jobIds, since))) {
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
	/** The expected completions already polled for (each restarts the dense schedule once). */
	const expectedSeen = new Set<number>();
	for (let poll = 0; ; poll++) {
		const readAt = Date.now();
		const rows = await readOwnedJobs(db, owner, jobIds);
		const elapsed = Date.now() - started;
		if (rows.length < jobIds.length || rows.every(isTerminal)) return { rows, settled: true };
		const remaining = options.timeoutMs - elapsed;
		if (remaining <= 0 || options.signal?.aborted) return { rows, settled: false };
		await options.onPoll?.(rows, elapsed);
		const expected = nextExpectedCompletion(rows, options.expectedRunMs, expectedSeen, readAt);
		let delay = pollDelay(poll);
		if (expected !== undefined && expected - readAt <= delay) {
			// Poll when it should be done, then start the fast schedule over from there.
			delay = Math.max(0, expected - readAt);
			expectedSeen.add(expected);
			poll = -1;
		}
		const hintsSince = options.hints === false ? null : readAt;
		await sleep(Math.min(delay, remaining), jobIds, hintsSince, options.signal);
	}
}

/** The earliest expected completion of a started, unfinished job not yet polled for, if any is still ahead or due now. */
export function nextExpectedCompletion(
	rows: readonly JobRow[],
	expectedRunMs: WaitOptions['expectedRunMs'],
	seen: ReadonlySet<number>,
	now: number,
): number | undefined {
	if (!expectedRunMs) return undefined;
	let earliest: number | undefined;
	for (const job of rows) {
		if (isTerminal(job) || job.startedAt === null) continue;
		const run = expectedRunMs(job);
		if (run === undefined) continue;
		const at = job.startedAt + run;
		// One that passed more than a poll ago has had its dense polls (or the job was retried).
		if (seen.has(at) || at < now - MAX_POLL_MS) continue;
		if (earliest === undefined || at < earliest) earliest = at;
	}
	return earliest;
}
