/**
 * Consumer-side state transitions (DESIGN.md §3), each one conditional so that redelivery,
 * concurrent duplicates and cancellation cannot move a job backwards:
 *
 *   pending ──claim──► processing ──complete──► completed
 *      │                  │  ▲ └───fail──────► failed
 *      │                  └──┘ retry (transient error, lease released)
 *      └──────────────(cancel_job, any non-terminal)──► cancelled   (terminal; src/jobs/cancel.ts)
 */
import { and, eq, lt, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type JobRow, jobs, TERMINAL_STATUSES } from '../db/schema';

/** One stored image, ready for its row. */
export interface StoredImage {
	index: number;
	r2Key: string;
	contentType: string;
	width: number;
	height: number;
	bytes: number;
	seed: number | null;
	/** The prompt the provider says it used (dall-e-3 rewrites prompts). */
	revisedPrompt: string | null;
}

/**
 * Claims a job for one delivery: `pending`, or `processing` whose lease has run out (a
 * consumer died, or released it to retry). Returns null when the job is terminal, unknown,
 * or leased by another delivery right now.
 */
export async function claimJob(db: Db, jobId: string, now: number, leaseMs: number): Promise<JobRow | null> {
	const [claimed] = await db
		.update(jobs)
		.set({
			status: 'processing',
			attempts: sql`${jobs.attempts} + 1`,
			leaseUntil: now + leaseMs,
			startedAt: sql`coalesce(${jobs.startedAt}, ${now})`,
			updatedAt: now,
		})
		.where(
			and(
				eq(jobs.id, jobId),
				or(eq(jobs.status, 'pending'), and(eq(jobs.status, 'processing'), lt(jobs.leaseUntil, now))),
			),
		)
		.returning();
	return claimed ?? null;
}

export async function readJob(db: Db, jobId: string): Promise<JobRow | undefined> {
	return db.query.jobs.findFirst({ where: eq(jobs.id, jobId) });
}

/**
 * Records the images and completes the job in one atomic batch. The image rows are only
 * inserted while the job is still `processing` (a job cancelled meanwhile gets none), and
 * their ids are deterministic, so a redelivery adds nothing. Returns false when the job
 * was no longer ours to complete (cancelled or already finished).
 */
export async function completeJob(db: Db, job: JobRow, stored: StoredImage[], now: number): Promise<boolean> {
	// Plain D1 statements: drizzle cannot batch an INSERT … SELECT … WHERE EXISTS.
	const d1 = db.$client;
	const inserts = stored.map((image) =>
		d1
			.prepare(
				`INSERT INTO images (id, job_id, idx, owner, r2_key, content_type, width, height, bytes, seed, revised_prompt, created_at)
				SELECT ?1, ?2, ?3, ?4, ?1, ?5, ?6, ?7, ?8, ?9, ?11, ?10
				WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?2 AND status = 'processing')
				ON CONFLICT (id) DO NOTHING`,
			)
			.bind(
				image.r2Key,
				job.id,
				image.index,
				job.owner,
				image.contentType,
				image.width,
				image.height,
				image.bytes,
				image.seed,
				now,
				image.revisedPrompt,
			),
	);
	// RETURNING, not `meta.changes`: the metrics triggers (docs/metrics.md) write counter rows
	// within this statement, and local D1 counts those in `changes` too.
	const complete = d1
		.prepare(
			`UPDATE jobs SET status = 'completed', completed_at = ?2, updated_at = ?2, lease_until = 0, error_code = NULL, error = NULL
			WHERE id = ?1 AND status = 'processing' RETURNING id`,
		)
		.bind(job.id, now);
	const results = await d1.batch([...inserts, complete]);
	return (results[results.length - 1]?.results.length ?? 0) === 1;
}

/** Keeps the job `processing`, notes the error, and releases the lease for the retry. */
export async function recordRetry(db: Db, jobId: string, code: string, message: string, now: number): Promise<void> {
	await db
		.update(jobs)
		.set({ errorCode: code, error: message, leaseUntil: 0, updatedAt: now })
		.where(and(eq(jobs.id, jobId), eq(jobs.status, 'processing')));
}

/** Gives back the lease `job` was claimed with, unless another delivery holds the job now. */
export async function releaseLease(db: Db, job: JobRow): Promise<boolean> {
	const rows = await db
		.update(jobs)
		.set({ leaseUntil: 0 })
		.where(and(eq(jobs.id, job.id), eq(jobs.status, 'processing'), eq(jobs.leaseUntil, job.leaseUntil)))
		.returning({ id: jobs.id });
	return rows.length === 1;
}

/** Marks a non-terminal job failed. Returns false when it was already terminal. */
export async function failJob(db: Db, jobId: string, code: string, message: string, now: number): Promise<boolean> {
	const rows = await db
		.update(jobs)
		.set({ status: 'failed', errorCode: code, error: message, completedAt: now, updatedAt: now, leaseUntil: 0 })
		.where(and(eq(jobs.id, jobId), notInArray(jobs.status, [...TERMINAL_STATUSES])))
		.returning({ id: jobs.id });
	return rows.length === 1;
}
