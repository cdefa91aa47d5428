/** get_usage: what the caller (or, for an admin, everyone) generated and spent, and how much budget is left. */
import { z } from 'zod';
import { BUDGET_PERIODS, type BudgetPeriod, budgetWindows, chargedSpend, roundUsd } from '../jobs/budget';
import type { OwnerScope } from '../jobs/queries';
import { recentCreationCalls } from '../jobs/rate-limit';
import { chargedSpendByOwner, type UsageRow, usageByDay, usageSince } from '../jobs/usage';
import { defineTool, type ToolContext, toolResult } from './context';
import { allUsersSchema } from './jobs.tools';
import { formatUsd, principalBudgets, rateLimitStatus, requireAdminForAllUsers } from './limits';

const countsShape = {
	images: z.number().int().describe('Images made: completed jobs (one image each).'),
	jobs: z.number().int().describe('Jobs created, in any state.'),
	estimated_cost_usd: z
		.number()
		.describe('Estimated cost of the jobs that were not failed or cancelled, which is what budgets count.'),
};

const budgetStatusSchema = z.object({
	limit_usd: z.number().nullable().describe('The budget; null when there is none.'),
	spent_usd: z.number().describe('Estimated cost charged in the current period (pending and running jobs included).'),
	remaining_usd: z.number().nullable().describe('What is left; null when there is no budget.'),
	resets_at: z.string().describe('ISO 8601 time the period ends (UTC midnight, or the first of next month).'),
});

const usageOutputSchema = z.object({
	success: z.boolean(),
	all_users: z.boolean().describe('True: the figures cover every user, with per-user rows in `users`.'),
	user: z.string().describe('Your user id.'),
	days: z.number().int(),
	from: z.string().describe('First UTC day covered, YYYY-MM-DD.'),
	to: z.string().describe('Last UTC day covered (today), YYYY-MM-DD.'),
	totals: z.object(countsShape),
	by_day: z
		.array(
			z.object({
				date: z.string().describe('UTC day, YYYY-MM-DD.'),
				model: z.string(),
				owner: z.string().optional().describe('With all_users: whose jobs.'),
				...countsShape,
			}),
		)
		.describe('One row per day and model (and user, with all_users) that had jobs, newest day first.'),
	users: z
		.array(
			z.object({
				owner: z.string(),
				...countsShape,
				spent_today_usd: z.number().describe('Charged in the current UTC day.'),
				spent_this_month_usd: z.number().describe('Charged in the current UTC calendar month.'),
			}),
		)
		.optional()
		.describe('With all_users: totals per user over the same days, and their spending today and this month.'),
	budget: z
		.object({ daily: budgetStatusSchema, monthly: budgetStatusSchema })
		.describe('Your own budgets, per UTC day and UTC calendar month.'),
	rate_limit: z.object({
		limit: z.number().int().describe('Most generate calls per period.'),
		period_seconds: z.number().int(),
		applies: z.boolean().describe('Whether it applies to you: to users, not to admins.'),
		recent_calls: z.number().int().describe('Your generate calls (a batch counts once) in the last period, from D1.'),
		remaining: z
			.number()
			.int()
			.nullable()
			.describe(
				'About how many more calls the limit lets through now (limit minus recent_calls; the limiter counts in its own windows, so this is an estimate); null when it does not apply.',
			),
	}),
	summary: z.string().describe('The same in a few sentences, to tell the user.'),
});

type Counts = { images: number; jobs: number; estimated_cost_usd: number };

function addUp(rows: UsageRow[]): Counts {
	const totals = { images: 0, jobs: 0, estimated_cost_usd: 0 };
	for (const row of rows) {
		totals.images += row.images;
		totals.jobs += row.jobs;
		totals.estimated_cost_usd += row.costUsd;
	}
	return { ...totals, estimated_cost_usd: roundUsd(totals.estimated_cost_usd) };
}

function isoDay(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

async function budgetStatus(context: ToolContext, now: number) {
	const budgets = principalBudgets(context);
	const spent = await chargedSpend(context.db, context.principal.id, now);
	const windows = budgetWindows(now);
	const status = (period: BudgetPeriod) => {
		const limit = budgets[period];
		return {
			limit_usd: limit,
			spent_usd: spent[period],
			remaining_usd: limit === null ? null : roundUsd(Math.max(0, limit - spent[period])),
			resets_at: new Date(windows[period].resetsAt).toISOString(),
		};
	};
	return { daily: status('daily'), monthly: status('monthly') };
}

type BudgetStatus = Awaited<ReturnType<typeof budgetStatus>>;

function describeBudget(period: BudgetPeriod, status: BudgetStatus[BudgetPeriod]): string {
	const when = period === 'daily' ? 'Today (UTC)' : 'This month (UTC)';
	if (status.limit_usd === null) return `${when}: ${formatUsd(status.spent_usd)} spent, no ${period} budget.`;
	return `${when}: ${formatUsd(status.spent_usd)} of your ${formatUsd(status.limit_usd)} ${period} budget spent, ${formatUsd(status.remaining_usd ?? 0)} left until ${status.resets_at}.`;
}

export const getUsageTool = defineTool({
	name: 'get_usage',
	title: 'Get usage and budget',
	description:
		'Show how many images you generated and their estimated cost per day and model over the last days, ' +
		'how much of your daily and monthly budget is spent and left (and when each resets), and the rate limit on generate calls. ' +
		'Call it before a large batch, or when a generate call was refused for a budget or the rate limit.',
	input: z.strictObject({
		days: z
			.number()
			.int()
			.min(1)
			.max(90)
			.default(30)
			.describe('How many UTC days back to report, today included, 1–90 (default 30).'),
		all_users: allUsersSchema.describe(
			"Admins only: true reports every user's usage, with a row per user. Default false: only yours. A user passing true gets an error.",
		),
	}),
	output: usageOutputSchema,
	annotations: {
		title: 'Get usage and budget',
		readOnlyHint: true,
		destructiveHint: false,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async ({ days, all_users }, context) => {
		const refused = all_users ? requireAdminForAllUsers(context.principal, 'reporting usage') : undefined;
		if (refused) return refused;
		const now = Date.now();
		const since = usageSince(days, now);
		const scope: OwnerScope = all_users ? { everyone: true } : { owner: context.principal.id };
		const [rows, budget, spendByOwner, recent] = await Promise.all([
			usageByDay(context.db, scope, since),
			budgetStatus(context, now),
			all_users ? chargedSpendByOwner(context.db, now) : undefined,
			recentCreationCalls(context.db, context.principal.id, now),
		]);
		const totals = addUp(rows);
		const byDay = rows.map((row) => ({
			date: row.day,
			model: row.model,
			...(all_users ? { owner: row.owner } : {}),
			images: row.images,
			jobs: row.jobs,
			estimated_cost_usd: row.costUsd,
		}));
		const users = spendByOwner && perUser(rows, spendByOwner);
		const limits = rateLimitStatus(context.principal);
		const rateLimit = {
			...limits,
			recent_calls: recent.calls,
			remaining: limits.applies ? Math.max(0, limits.limit - recent.calls) : null,
		};
		const from = isoDay(since);
		const to = isoDay(now);
		const who = users ? `All users (${users.length})` : 'You';
		const summary = [
			`${who}, ${from} to ${to} (UTC): ${totals.images} image(s) from ${totals.jobs} job(s), estimated ${formatUsd(totals.estimated_cost_usd)}.`,
			...BUDGET_PERIODS.map((period) => describeBudget(period, budget[period])),
			rateLimit.applies
				? `Rate limit: at most ${rateLimit.limit} generate calls per ${rateLimit.period_seconds} s; about ${rateLimit.remaining} left now.`
				: 'No rate limit applies to you (admin).',
		].join(' ');
		return toolResult({
			success: true,
			all_users,
			user: context.principal.id,
			days,
			from,
			to,
			totals,
			by_day: byDay,
			...(users ? { users } : {}),
			budget,
			rate_limit: rateLimit,
			summary,
		});
	},
});

function perUser(rows: UsageRow[], spend: Map<string, { daily: number; monthly: number }>) {
	const byOwner = new Map<string, UsageRow[]>();
	for (const row of rows) byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row]);
	for (const owner of spend.keys()) if (!byOwner.has(owner)) byOwner.set(owner, []);
	return [...byOwner.entries()]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([owner, ownRows]) => ({
			owner,
			...addUp(ownRows),
			spent_today_usd: spend.get(owner)?.daily ?? 0,
			spent_this_month_usd: spend.get(owner)?.monthly ?? 0,
		}));
}
