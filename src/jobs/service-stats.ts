/**
 * The whole service at a glance, for the admin endpoints (src/tools/admin.tools.ts): jobs by
 * status, images and bytes stored, and each owner's jobs, images, charged cost and last
 * activity. Aggregates over the tables, read in one D1 batch; "charged" follows the budgets
 * (every job except failed and cancelled ones, src/jobs/budget.ts).
 */
import { and, asc, count, isNull, lt, max, notInArray, sql, sum } from 'drizzle-orm';
import type { Db } from '../db/client';
import { images, type JobStatus, jobs } from '../db/schema';
import { roundUsd, UNCHARGED_STATUSES } from './budget';

export interface OwnerActivity {
	owner: string;
	jobs: number;
	images: number;
	chargedUsd: number;
	/** When the owner last created a job (ms). */
	lastActivity: number;
}

export interface ServiceStats {
	jobsByStatus: Partial<Record<JobStatus, number>>;
	storedImages: number;
	storedBytes: number;
	removedImages: number;
	owners: OwnerActivity[];
}

export async function readServiceStats(db: Db): Promise<ServiceStats> {
	const charged = notInArray(jobs.status, [...UNCHARGED_STATUSES]);
	const [byStatus, [stored], [removed], owners] = await db.batch([
		db.select({ status: jobs.status, n: count() }).from(jobs).groupBy(jobs.status),
		db
			.select({ n: count(), bytes: sum(images.bytes).mapWith(Number) })
			.from(images)
			.where(isNull(images.removedAt)),
		db.select({ n: count() }).from(images).where(sql`${images.removedAt} IS NOT NULL`),
		db
			.select({
				owner: jobs.owner,
				jobs: count(),
				images: sql<number>`sum(CASE WHEN ${jobs.status} = 'completed' THEN 1 ELSE 0 END)`,
				chargedUsd: sql<number>`coalesce(sum(CASE WHEN ${charged} THEN ${jobs.estimatedCostUsd} ELSE 0 END), 0)`,
				lastActivity: max(jobs.createdAt).mapWith(Number),
			})
			.from(jobs)
			.groupBy(jobs.owner)
			.orderBy(asc(jobs.owner)),
	]);
	return {
		jobsByStatus: Object.fromEntries(byStatus.map((row) => [row.status, row.n])),
		storedImages: stored?.n ?? 0,
		storedBytes: stored?.bytes ?? 0,
		removedImages: removed?.n ?? 0,
		owners: owners.map((row) => ({ ...row, images: Number(row.images), chargedUsd: roundUsd(row.chargedUsd) })),
	};
}

/** Images retention would expire now (stored, created before `cutoff`): how many and their bytes. */
export async function countDueImages(db: Db, cutoff: number): Promise<{ images: number; bytes: number }> {
	const [row] = await db
		.select({ n: count(), bytes: sum(images.bytes).mapWith(Number) })
		.from(images)
		.where(and(isNull(images.removedAt), lt(images.createdAt, cutoff)));
	return { images: row?.n ?? 0, bytes: row?.bytes ?? 0 };
}
