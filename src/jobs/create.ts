/**
 * Job creation (DESIGN.md §3 "Create"): insert the jobs, then enqueue their ids. If the
 * queue send fails the jobs are marked failed with a clear reason, so nothing is left
 * half-made: no job sits in `pending` that no consumer will ever see.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type JobRow, jobs } from '../db/schema';
import type { JobMessage, JobParams } from './types';

export interface NewJobsInput {
	owner: string;
	model: string;
	prompt: string;
	params: JobParams;
	/** Seed of the first image; image i gets seed + i so a batch gives distinct images. Null: the model takes none. */
	seed: number | null;
	count: number;
	estimatedCostPerImageUsd: number;
	idempotencyKey?: string;
}

export type CreateJobsResult =
	| { ok: true; jobs: JobRow[]; reused: boolean }
	| { ok: false; reason: 'queue_unavailable'; jobs: JobRow[] };

/** Largest seed every provider accepts (int32). */
export const MAX_SEED = 2_147_483_647;

export function randomSeed(): number {
	return crypto.getRandomValues(new Uint32Array(1))[0]! % (MAX_SEED + 1);
}

async function findByIdempotencyKey(db: Db, owner: string, key: string): Promise<JobRow[] | undefined> {
	const first = await db.query.jobs.findFirst({ where: and(eq(jobs.owner, owner), eq(jobs.idempotencyKey, key)) });
	if (!first) return undefined;
	if (!first.batchId) return [first];
	return db.query.jobs.findMany({
		where: and(eq(jobs.owner, owner), eq(jobs.batchId, first.batchId)),
		orderBy: asc(jobs.createdAt),
	});
}

function isUniqueViolation(error: unknown): boolean {
	return error instanceof Error && /UNIQUE constraint failed/i.test(`${error.message} ${String(error.cause ?? '')}`);
}

export async function createJobs(db: Db, queue: Queue<JobMessage>, input: NewJobsInput): Promise<CreateJobsResult> {
	if (input.idempotencyKey) {
		const existing = await findByIdempotencyKey(db, input.owner, input.idempotencyKey);
		if (existing) return { ok: true, jobs: existing, reused: true };
	}

	const now = Date.now();
	const batchId = input.count > 1 ? crypto.randomUUID() : null;
	const rows: (typeof jobs.$inferInsert)[] = Array.from({ length: input.count }, (_, index) => ({
		id: crypto.randomUUID(),
		owner: input.owner,
		status: 'pending',
		prompt: input.prompt,
		model: input.model,
		params: JSON.stringify(input.params),
		seed: input.seed === null ? null : (input.seed + index) % (MAX_SEED + 1),
		batchId,
		// Only the first job carries the key (the unique index is per owner); the rest share its batch.
		idempotencyKey: index === 0 ? (input.idempotencyKey ?? null) : null,
		estimatedCostUsd: input.estimatedCostPerImageUsd,
		// Strictly increasing so a batch lists in order.
		createdAt: now + index,
		updatedAt: now,
	}));

	let created: JobRow[];
	try {
		created = await db.insert(jobs).values(rows).returning();
	} catch (error) {
		// Two concurrent calls with one idempotency key: the loser returns the winner's jobs.
		if (input.idempotencyKey && isUniqueViolation(error)) {
			const existing = await findByIdempotencyKey(db, input.owner, input.idempotencyKey);
			if (existing) return { ok: true, jobs: existing, reused: true };
		}
		throw error;
	}

	try {
		if (created.length === 1) await queue.send({ jobId: created[0]!.id });
		else await queue.sendBatch(created.map((job) => ({ body: { jobId: job.id } })));
	} catch (error) {
		console.error('queue send failed; marking jobs failed', error);
		const failed = await db
			.update(jobs)
			.set({
				status: 'failed',
				errorCode: 'queue_unavailable',
				error: 'The job could not be queued, so it will not run. Nothing was generated or charged; try again.',
				updatedAt: Date.now(),
				completedAt: Date.now(),
			})
			.where(
				inArray(
					jobs.id,
					created.map((job) => job.id),
				),
			)
			.returning();
		return { ok: false, reason: 'queue_unavailable', jobs: failed };
	}
	return { ok: true, jobs: created, reused: false };
}
