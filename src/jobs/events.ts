/**
 * In-isolate completion hints for the wait tools. D1 is the truth and waits always poll
 * it; when the consumer that finishes a job runs in the same isolate as a waiter (always so
 * in `wrangler dev`, sometimes on Cloudflare), the waiter sees the hint within a few
 * milliseconds and re-reads D1 at once instead of at its next poll.
 *
 * Plain data only: workerd does not let one request resolve a promise that another
 * request is awaiting (the awaiting request is cancelled as hung), so waiters look at this
 * map on a short timer instead of being called back.
 */
const MAX_REMEMBERED = 1000;
const settledAt = new Map<string, number>();

/** Records that a job reached a terminal state (call after the D1 write). */
export function notifyJobSettled(jobId: string): void {
	settledAt.delete(jobId);
	settledAt.set(jobId, Date.now());
	// Maps iterate in insertion order: drop the oldest hints.
	for (const id of settledAt.keys()) {
		if (settledAt.size <= MAX_REMEMBERED) break;
		settledAt.delete(id);
	}
}

/** Whether any of the jobs settled in this isolate at or after `since` (ms). */
export function settledSince(jobIds: readonly string[], since: number): boolean {
	return jobIds.some((id) => (settledAt.get(id) ?? -1) >= since);
}
