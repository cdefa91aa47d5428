/**
 * Spend budgets (docs/limits.md): the estimated cost of an owner's jobs per UTC day and per UTC
 * calendar month. Jobs that are pending or processing count (the money is reserved); failed and
 * cancelled jobs are not charged. The check runs inside D1, in the statement that inserts the
 * jobs (src/jobs/create.ts), so two concurrent calls cannot both pass on the same remaining money.
 */
import { and, eq, gte, notInArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type JobStatus, jobs } from '../db/schema';
import type { DefaultBudgets } from '../env';

/** Statuses whose estimated cost is not charged against a budget. */
export const UNCHARGED_STATUSES: readonly JobStatus[] = ['failed', 'cancelled'];

/**
 * Slack for floating-point sums of prices: $0.10 + $0.20 must fit a $0.30 budget. A millionth of
 * a dollar is below every price in the catalog, which are rounded to it (catalog.ts priceOf).
 */
const USD_EPSILON = 1e-7;

const DAY_MS = 24 * 60 * 60 * 1000;

export type BudgetPeriod = 'daily' | 'monthly';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['daily', 'monthly'];

export interface BudgetWindow {
	/** Start of the current UTC day or month (ms). */
	start: number;
	/** When the next one starts and the budget is whole again (ms). */
	resetsAt: number;
}

/** The current UTC day and UTC calendar month at `now`. */
export function budgetWindows(now: number): Record<BudgetPeriod, BudgetWindow> {
	const date = new Date(now);
	const year = date.getUTCFullYear();
	const month = date.getUTCMonth();
	const dayStart = Date.UTC(year, month, date.getUTCDate());
	return {
		daily: { start: dayStart, resetsAt: dayStart + DAY_MS },
		monthly: { start: Date.UTC(year, month, 1), resetsAt: Date.UTC(year, month + 1, 1) },
	};
}

/** Budgets in USD that apply to one principal; null is no budget. */
export type Budgets = Record<BudgetPeriod, number | null>;

/** A principal's overrides (Principal.limits): a number replaces the default, null removes it. */
export interface BudgetOverrides {
	dailyBudgetUsd?: number | null;
	monthlyBudgetUsd?: number | null;
}

export function budgetsFor(defaults: DefaultBudgets, overrides: BudgetOverrides | undefined): Budgets {
	return {
		daily: overrides?.dailyBudgetUsd !== undefined ? overrides.dailyBudgetUsd : defaults.dailyUsd,
		monthly: overrides?.monthlyBudgetUsd !== undefined ? overrides.monthlyBudgetUsd : defaults.monthlyUsd,
	};
}

function charged(owner: string, since: number): SQL | undefined {
	return and(eq(jobs.owner, owner), gte(jobs.createdAt, since), notInArray(jobs.status, [...UNCHARGED_STATUSES]));
}

/**
 * A condition, true when `costUsd` more still fits every budget of `owner`, for the WHERE of the
 * insert that creates the jobs. Undefined when nothing is limited.
 */
export function fitsBudgetsCondition(owner: string, costUsd: number, budgets: Budgets, now: number): SQL | undefined {
	const windows = budgetWindows(now);
	const conditions = BUDGET_PERIODS.flatMap((period) => {
		const limit = budgets[period];
		if (limit === null) return [];
		const spent = sql`(SELECT coalesce(sum(${jobs.estimatedCostUsd}), 0) FROM ${jobs} WHERE ${charged(owner, windows[period].start)})`;
		return [sql`${spent} + ${costUsd} <= ${limit + USD_EPSILON}`];
	});
	return conditions.length ? and(...conditions) : undefined;
}

/** What `owner` has been charged in the current UTC day and month. */
export async function chargedSpend(db: Db, owner: string, now: number): Promise<Record<BudgetPeriod, number>> {
	const windows = budgetWindows(now);
	const [row] = await db
		.select({
			daily: sql<number>`coalesce(sum(CASE WHEN ${jobs.createdAt} >= ${windows.daily.start} THEN ${jobs.estimatedCostUsd} ELSE 0 END), 0)`,
			monthly: sql<number>`coalesce(sum(${jobs.estimatedCostUsd}), 0)`,
		})
		.from(jobs)
		.where(charged(owner, windows.monthly.start));
	return { daily: roundUsd(row?.daily ?? 0), monthly: roundUsd(row?.monthly ?? 0) };
}

/** Why a request did not fit: the first budget, daily before monthly, that it would exceed. */
export interface BudgetRefusal {
	period: BudgetPeriod;
	limitUsd: number;
	spentUsd: number;
	requestUsd: number;
	resetsAt: number;
}

export function exceededBudget(
	spent: Record<BudgetPeriod, number>,
	requestUsd: number,
	budgets: Budgets,
	now: number,
): BudgetRefusal | undefined {
	const windows = budgetWindows(now);
	for (const period of BUDGET_PERIODS) {
		const limit = budgets[period];
		if (limit !== null && spent[period] + requestUsd > limit + USD_EPSILON) {
			return { period, limitUsd: limit, spentUsd: spent[period], requestUsd, resetsAt: windows[period].resetsAt };
		}
	}
	return undefined;
}

/** Dollars to a millionth, the precision of catalog prices, so sums print without float noise. */
export function roundUsd(usd: number): number {
	return Math.round(usd * 1e6) / 1e6;
}
