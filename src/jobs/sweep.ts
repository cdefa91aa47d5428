/**
 * The sweeper (cron): nothing accepted is left behind.
 * - `pending` jobs untouched for SWEEP_PENDING_AFTER_MS were never picked up (the queue
 *   send was lost between insert and send): enqueue them again.
 * - `processing` jobs whose lease ran out long ago have lost their message (a consumer died
 *   and the redelivery never came): enqueue again, or fail them once attempts are spent.
 * Safe to run concurrently with itself and the consumers: a duplicate message is harmless
 * because claiming is conditional.
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { MAX_ATTEMPTS } from '../consumer/retry-policy';
import { getDb } from '../db/client';
import { jobs } from '../db/schema';
import { notifyJobSettled } from './events';
import { failJob } from './lifecycle';

export const SWEEP_PENDING_AFTER_MS = 2 * 60_000;
export const SWEEP_STALE_LEASE_MS = 5 * 60_000;
const SWEEP_BATCH = 100;

export interface SweepReport {
	requeued: number;
	failed: number;
}

export async function sweepJobs(env: Pick<Env, 'DB' | 'JOBS'>, now: number): Promise<SweepReport> {
	const db = getDb(env);
	const [lostPending, staleProcessing] = await db.batch([
		db
			.select({ id: jobs.id })
			.from(jobs)
			.where(and(eq(jobs.status, 'pending'), lt(jobs.updatedAt, now - SWEEP_PENDING_AFTER_MS)))
			.limit(SWEEP_BATCH),
		db
			.select({ id: jobs.id, attempts: jobs.attempts })
			.from(jobs)
			.where(
				and(
					eq(jobs.status, 'processing'),
					lt(jobs.leaseUntil, now - SWEEP_STALE_LEASE_MS),
					lt(jobs.updatedAt, now - SWEEP_STALE_LEASE_MS),
				),
			)
			.limit(SWEEP_BATCH),
	]);

	let failed = 0;
	for (const job of staleProcessing.filter((row) => row.attempts >= MAX_ATTEMPTS)) {
		const message = `The job was abandoned after ${job.attempts} attempts (the consumer stopped answering).`;
		if (await failJob(db, job.id, 'abandoned', message, now)) {
			failed++;
			notifyJobSettled(job.id);
		}
	}
	const requeue = [...lostPending, ...staleProcessing.filter((row) => row.attempts < MAX_ATTEMPTS)].map(
		(row) => row.id,
	);
	if (requeue.length > 0) {
		// Touch them first so a concurrent sweep does not enqueue the same jobs again.
		await db
			.update(jobs)
			.set({ updatedAt: now })
			.where(and(sql`${jobs.id} IN ${requeue}`, gte(jobs.updatedAt, 0)));
		await env.JOBS.sendBatch(requeue.map((jobId) => ({ body: { jobId } })));
	}
	return { requeued: requeue.length, failed };
}
