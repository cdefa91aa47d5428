/**
 * What get_usage reports (docs/limits.md): images, jobs and charged estimated cost per UTC day
 * and model, for one owner or, for an admin, everyone. "Charged" follows the budgets: every job
 * except failed and cancelled ones (src/jobs/budget.ts).
 */
import { and, asc, count, desc, gte, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs } from '../db/schema';
import { budgetWindows, roundUsd, UNCHARGED_STATUSES } from './budget';
import { type OwnerScope, ownerCondition } from './queries';

const DAY_MS = 24 * 60 * 60 * 1000;

/** One owner's jobs of one model created on one UTC day. */
export interface UsageRow {
	owner: string;
	/** `YYYY-MM-DD`, UTC. */
	day: string;
	model: string;
	/** Completed jobs: each made one image. */
	images: number;
	jobs: number;
	/** Estimated cost of the jobs that are not failed or cancelled. */
	costUsd: number;
}

/** The first instant of the last `days` UTC days, today included. */
export function usageSince(days: number, now: number): number {
	return budgetWindows(now).daily.start - (days - 1) * DAY_MS;
}

const chargedCost = sql<number>`coalesce(sum(CASE WHEN ${jobs.status} IN (${sql.join(
	UNCHARGED_STATUSES.map((status) => sql`${status}`),
	sql`, `,
)}) THEN 0 ELSE ${jobs.estimatedCostUsd} END), 0)`;

export async function usageByDay(db: Db, scope: OwnerScope, since: number): Promise<UsageRow[]> {
	const day = sql<string>`strftime('%Y-%m-%d', ${jobs.createdAt} / 1000, 'unixepoch')`;
	const rows = await db
		.select({
			owner: jobs.owner,
			day,
			model: jobs.model,
			images: sql<number>`coalesce(sum(CASE WHEN ${jobs.status} = 'completed' THEN 1 ELSE 0 END), 0)`,
			jobs: count(),
			costUsd: chargedCost,
		})
		.from(jobs)
		.where(and(ownerCondition(jobs.owner, scope), gte(jobs.createdAt, since)))
		.groupBy(jobs.owner, day, jobs.model)
		.orderBy(desc(day), asc(jobs.owner), asc(jobs.model));
	return rows.map((row) => ({ ...row, costUsd: roundUsd(row.costUsd) }));
}

/** What each owner has been charged in the current UTC day and month (owners with charges only). */
export async function chargedSpendByOwner(
	db: Db,
	now: number,
): Promise<Map<string, { daily: number; monthly: number }>> {
	const windows = budgetWindows(now);
	const rows = await db
		.select({
			owner: jobs.owner,
			daily: sql<number>`coalesce(sum(CASE WHEN ${jobs.createdAt} >= ${windows.daily.start} THEN ${jobs.estimatedCostUsd} ELSE 0 END), 0)`,
			monthly: sql<number>`coalesce(sum(${jobs.estimatedCostUsd}), 0)`,
		})
		.from(jobs)
		.where(and(gte(jobs.createdAt, windows.monthly.start), notInArray(jobs.status, [...UNCHARGED_STATUSES])))
		.groupBy(jobs.owner);
	return new Map(rows.map((row) => [row.owner, { daily: roundUsd(row.daily), monthly: roundUsd(row.monthly) }]));
}
