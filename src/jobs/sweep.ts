/**
 * The sweeper (cron, every 5 minutes): nothing accepted is left behind.
 * - `pending` jobs untouched for SWEEP_PENDING_AFTER_MS were never picked up (the queue
 *   send was lost between insert and send): enqueue them again.
 * - `processing` jobs whose lease (the consumer's wall-clock limit) ran out more than
 *   SWEEP_STALE_LEASE_MS ago, with nothing written since, have lost their message (a consumer
 *   died and the redelivery never came): enqueue them again, or fail them once their
 *   attempts are spent.
 *
 * Safe to run concurrently with itself and with consumers. Every step is one conditional
 * UPDATE that re-checks the condition it selected on, so two sweeps never both take a job,
 * and a job a consumer claimed meanwhile (fresh lease) is no longer stale. A duplicate
 * message would be harmless anyway: claiming a job is conditional too.
 */
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { type Db, getDb } from '../db/client';
import { jobs } from '../db/schema';
import { MAX_ATTEMPTS } from './attempts';
import { notifyJobSettled } from './events';

export const SWEEP_PENDING_AFTER_MS = 2 * 60_000;
export const SWEEP_STALE_LEASE_MS = 5 * 60_000;
/** Jobs re-enqueued per kind and run; Queues take at most 100 messages per sendBatch. */
const SWEEP_BATCH = 100;

export interface SweepReport {
	requeued: number;
	failed: number;
}

export async function sweepJobs(env: Pick<Env, 'DB' | 'JOBS'>, now: number): Promise<SweepReport> {
	const db = getDb(env);
	const pendingCutoff = now - SWEEP_PENDING_AFTER_MS;
	const staleCutoff = now - SWEEP_STALE_LEASE_MS;
	const lostPending = and(eq(jobs.status, 'pending'), lt(jobs.updatedAt, pendingCutoff));
	const stale = and(eq(jobs.status, 'processing'), lt(jobs.leaseUntil, staleCutoff), lt(jobs.updatedAt, staleCutoff));
	const [failed, pending, processing] = await db.batch([
		db
			.update(jobs)
			.set({
				status: 'failed',
				errorCode: 'abandoned',
				error: sql`'The job was abandoned after ' || ${jobs.attempts} || ' attempts: its consumer stopped answering. Last error: ' || coalesce(${jobs.error}, 'none recorded')`,
				leaseUntil: 0,
				completedAt: now,
				updatedAt: now,
			})
			.where(and(stale, gte(jobs.attempts, MAX_ATTEMPTS)))
			.returning({ id: jobs.id }),
		takeForRequeue(db, lostPending, now),
		takeForRequeue(db, and(stale, lt(jobs.attempts, MAX_ATTEMPTS)), now),
	]);
	for (const job of failed) notifyJobSettled(job.id);

	const requeue = [...pending, ...processing].map((row) => row.id);
	for (let start = 0; start < requeue.length; start += SWEEP_BATCH) {
		// If this send fails, the jobs were touched and are found again by a later sweep.
		await env.JOBS.sendBatch(requeue.slice(start, start + SWEEP_BATCH).map((jobId) => ({ body: { jobId } })));
	}
	return { requeued: requeue.length, failed: failed.length };
}

/**
 * Touches up to SWEEP_BATCH jobs matching `condition` and returns their ids. The UPDATE
 * re-checks the condition, so of two sweeps running at once only one gets each job.
 */
function takeForRequeue(db: Db, condition: ReturnType<typeof and>, now: number) {
	const candidates = db.select({ id: jobs.id }).from(jobs).where(condition).limit(SWEEP_BATCH);
	return db
		.update(jobs)
		.set({ updatedAt: now })
		.where(and(inArray(jobs.id, candidates), condition))
		.returning({ id: jobs.id });
}
