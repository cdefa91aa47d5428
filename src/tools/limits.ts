/**
 * The per-user limits as tools present them (docs/limits.md): who they apply to, and refusals
 * that say which limit, the current figure and when it resets.
 */

import { defaultBudgets } from '../env';
import type { AutoOptions } from '../generation/auto';
import {
	BUDGET_PERIODS,
	type BudgetPeriod,
	type BudgetRefusal,
	type Budgets,
	budgetsFor,
	chargedSpend,
	roundUsd,
} from '../jobs/budget';
import { JOB_RATE_LIMIT, type RateLimitRefusal } from '../jobs/rate-limit';
import type { Err } from '../result';
import { type Principal, type ToolContext, type ToolFailure, type ToolOutcome, toolError } from './context';

/**
 * The rate limit applies to role `user` only. Admins (the operator, the single AUTH_TOKEN
 * principal and the token-less local one) are exempt: they run benchmarks and batch work.
 */
export function rateLimitApplies(principal: Principal): boolean {
	return principal.role === 'user';
}

/** The caller's budgets: the deployment defaults, overridden by the principal's own. Every role has them. */
export function principalBudgets(context: Pick<ToolContext, 'env' | 'principal'>): Budgets {
	return budgetsFor(defaultBudgets(context.env), context.principal.limits);
}

/** `$0.50`, `$0.016`: two decimals at least, up to the millionth prices have. */
export function formatUsd(usd: number): string {
	const fixed = (Math.round(usd * 1e6) / 1e6).toFixed(6).replace(/0+$/, '');
	const [whole, fraction = ''] = fixed.split('.');
	return `$${whole}.${fraction.padEnd(2, '0')}`;
}

const PERIOD_WORDS: Record<BudgetPeriod, { title: string; window: string }> = {
	daily: { title: 'Daily', window: 'UTC day' },
	monthly: { title: 'Monthly', window: 'UTC calendar month' },
};

export function budgetRefusal(refusal: BudgetRefusal): Err<ToolFailure> {
	const words = PERIOD_WORDS[refusal.period];
	const resetsAt = new Date(refusal.resetsAt).toISOString();
	const remaining = Math.max(0, refusal.limitUsd - refusal.spentUsd);
	return toolError(
		`${words.title} budget reached: you have spent ${formatUsd(refusal.spentUsd)} of your ${formatUsd(refusal.limitUsd)} ${refusal.period} budget (${words.window}) ` +
			`and this request is estimated at ${formatUsd(refusal.requestUsd)}. It resets at ${resetsAt}. ` +
			'Nothing was created. Use a cheaper or free model (list_models shows costs), ask for fewer images, or try again after the reset; get_usage shows your spending.',
		{
			limit: `${refusal.period}_budget`,
			limit_usd: refusal.limitUsd,
			spent_usd: refusal.spentUsd,
			remaining_usd: Math.round(remaining * 1e6) / 1e6,
			request_usd: refusal.requestUsd,
			resets_at: resetsAt,
		},
		'budget_exceeded',
	);
}

export function rateLimitRefusal(outcome: RateLimitRefusal): Err<ToolFailure> {
	const resetsAt = new Date(outcome.resetsAt).toISOString();
	const counted = outcome.recentCalls < outcome.limit ? ' (calls refused by a budget count too)' : '';
	return toolError(
		`Rate limit: at most ${outcome.limit} generate calls per ${outcome.periodSeconds} s per user; ` +
			`you made ${outcome.recentCalls} in the last ${outcome.periodSeconds} s${counted}. Try again after ${resetsAt}. ` +
			'Nothing was created. One call with count up to 20 makes several images and counts once.',
		{
			limit: 'rate_limit',
			max_calls: outcome.limit,
			period_seconds: outcome.periodSeconds,
			recent_calls: outcome.recentCalls,
			resets_at: resetsAt,
		},
		'rate_limited',
	);
}

/** The rate limit as get_usage reports it. */
export function rateLimitStatus(principal: Principal) {
	return {
		limit: JOB_RATE_LIMIT.limit,
		period_seconds: JOB_RATE_LIMIT.periodSeconds,
		applies: rateLimitApplies(principal),
	};
}

/** Refuses `all_users` for a non-admin; undefined when the caller may use it. */
export function requireAdminForAllUsers(principal: Principal, what: string): ToolOutcome | undefined {
	if (principal.role === 'admin') return undefined;
	return toolError(
		`all_users: ${what} of every user needs the admin role, and you ("${principal.name}") are a user. Omit all_users (or pass false) to see your own.`,
		undefined,
		'forbidden',
	);
}

/**
 * What `model: "auto"` may spend on this call (src/generation/auto.ts): the least left of the
 * caller's daily and monthly budgets. Read with one statement, and only when the call asks
 * for auto and a budget applies; otherwise auto is told nothing. The authoritative check is
 * still the one in the statement that creates the jobs.
 */
export async function autoBudget(
	model: string | undefined,
	context: Pick<ToolContext, 'env' | 'principal' | 'db'>,
): Promise<AutoOptions> {
	if (model?.trim().toLowerCase() !== 'auto') return {};
	const budgets = principalBudgets(context);
	const limited = BUDGET_PERIODS.filter((period) => budgets[period] !== null);
	if (limited.length === 0) return {};
	const spent = await chargedSpend(context.db, context.principal.id, Date.now());
	const left = Math.min(...limited.map((period) => (budgets[period] as number) - spent[period]));
	return { budgetLeftUsd: roundUsd(Math.max(0, left)) };
}
