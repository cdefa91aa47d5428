/**
 * In-isolate wake-ups for the wait tools. D1 is the truth and waits always poll it; when the
 * consumer that finishes a job runs in the same isolate as a waiter (always so in
 * `wrangler dev`, sometimes on Cloudflare), this lets the waiter re-read D1 at once instead
 * of at its next poll. It holds no job state, only listeners of requests in flight.
 */
const listeners = new Map<string, Set<() => void>>();

/** Calls `wake` when `notifyJobSettled(jobId)` runs in this isolate; returns the unsubscribe. */
export function onJobSettled(jobIds: readonly string[], wake: () => void): () => void {
	for (const id of jobIds) {
		let set = listeners.get(id);
		if (!set) {
			set = new Set();
			listeners.set(id, set);
		}
		set.add(wake);
	}
	return () => {
		for (const id of jobIds) {
			const set = listeners.get(id);
			set?.delete(wake);
			if (set?.size === 0) listeners.delete(id);
		}
	};
}

/** Tells same-isolate waiters that a job reached a terminal state (after the D1 write). */
export function notifyJobSettled(jobId: string): void {
	for (const wake of listeners.get(jobId) ?? []) wake();
}
