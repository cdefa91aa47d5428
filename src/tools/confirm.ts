/**
 * Confirmation before spending (issue 21): a generate call whose estimate is above the
 * threshold (the lower of CONFIRM_ABOVE_USD and the caller's own `confirm_above_usd`) is not
 * queued. It answers a quote (model, count, estimate, budget left) with a one-time token that
 * confirms exactly that call for 10 minutes; the same call with `confirmation: <token>` goes
 * ahead. Every client can do this; nothing is created until it does. Where the face can ask the
 * user during the call (ToolContext.confirm: MCP elicitation), it asks instead and goes ahead on
 * a yes; any other answer creates nothing and still answers the quote's token.
 */
import { BUDGET_PERIODS, chargedSpend, roundUsd } from '../jobs/budget';
import { CONFIRMATION_TTL_MS, issueConfirmation, requestHash, useConfirmation } from '../jobs/confirmations';
import type { Preferences } from '../jobs/preferences';
import { ok, type Result } from '../result';
import { type ToolContext, type ToolFailure, toolError } from './context';
import { formatUsd, principalBudgets } from './limits';

/** The threshold in force: the lower of the deployment's and the caller's; null when neither is set. */
export function confirmThreshold(deployment: number | null, preferences: Preferences): number | null {
	const set = [deployment, preferences.confirmAboveUsd ?? null].filter((value): value is number => value !== null);
	return set.length ? Math.min(...set) : null;
}

export interface SpendQuote {
	model: string;
	count: number;
	estimatedCostUsd: number;
}

const WORDS = {
	unknown: 'is not a token this server gave you',
	used: 'was already used',
	expired: 'has expired',
	other_request: 'was given for a different call (the arguments must be the same as the quoted call)',
} as const;

/** How the user answered when asked (ToolContext.confirm), in the message and in `asked_user`. */
const ASKED = { decline: 'declined', cancel: 'dismissed the question', timeout: 'did not answer in time' } as const;
const ASKED_DETAIL = { decline: 'declined', cancel: 'cancelled', timeout: 'timed_out' } as const;

/**
 * Whether the call may spend: yes below the threshold or with a valid token for this very call;
 * otherwise a `confirmation_required` failure carrying the quote and a fresh token.
 */
export async function confirmSpend(
	context: ToolContext,
	args: Record<string, unknown>,
	quote: SpendQuote,
	preferences: Preferences,
): Promise<Result<void, ToolFailure>> {
	const threshold = confirmThreshold(context.config.confirmAboveUsd, preferences);
	if (threshold === null || quote.estimatedCostUsd <= threshold) return ok(undefined);
	const now = Date.now();
	const owner = context.principal.id;
	const { confirmation, ...call } = args;
	const hash = await requestHash(call);
	let refused = '';
	if (typeof confirmation === 'string') {
		const use = await useConfirmation(context.db, owner, confirmation, hash, now);
		if (use === 'ok') return ok(undefined);
		refused = `confirmation: that token ${WORDS[use]}; nothing was created. `;
	}
	// Where the face can ask the user now (MCP elicitation), it does, unless a token was given.
	const ask = typeof confirmation === 'string' ? undefined : context.confirm;
	const [issuedFirst, spent] = await Promise.all([
		ask ? undefined : issueConfirmation(context.db, owner, hash, quote.estimatedCostUsd, now),
		chargedSpend(context.db, owner, now),
	]);
	const budgets = principalBudgets(context);
	const left = BUDGET_PERIODS.flatMap((period) => {
		const limit = budgets[period];
		return limit === null ? [] : [{ period, left: roundUsd(Math.max(0, limit - spent[period])) }];
	});
	const leftText = left.length
		? ` Budget left: ${left.map((entry) => `${formatUsd(entry.left)} ${entry.period}`).join(', ')}.`
		: '';
	const answer = ask
		? await ask({
				message: `Generate ${quote.count} image${quote.count === 1 ? '' : 's'} with ${quote.model} for an estimated ${formatUsd(quote.estimatedCostUsd)}?${leftText}`,
				model: quote.model,
				count: quote.count,
				estimatedCostUsd: quote.estimatedCostUsd,
				thresholdUsd: threshold,
			})
		: 'unavailable';
	if (answer === 'accept') return ok(undefined);
	const issued = issuedFirst ?? (await issueConfirmation(context.db, owner, hash, quote.estimatedCostUsd, Date.now()));
	const retry = `make the same call again with "confirmation": "${issued.token}" (valid ${CONFIRMATION_TTL_MS / 60_000} minutes, once).`;
	const estimate = `${quote.count} image(s) with ${quote.model} are estimated at ${formatUsd(quote.estimatedCostUsd)}, above the ${formatUsd(threshold)} that needs a yes.${leftText}`;
	const message =
		answer === 'unavailable'
			? `${refused}Confirmation needed: ${estimate} Nothing was created. Ask the user; to go ahead, ${retry}`
			: `The user ${ASKED[answer]} when asked to confirm: ${estimate} Nothing was created. Only if the user now says yes, ${retry}`;
	return toolError(
		message,
		{
			confirmation_required: true,
			...(answer === 'unavailable' ? {} : { asked_user: ASKED_DETAIL[answer] }),
			confirmation: issued.token,
			expires_at: new Date(issued.expiresAt).toISOString(),
			model: quote.model,
			count: quote.count,
			estimated_cost_usd: quote.estimatedCostUsd,
			threshold_usd: threshold,
			...Object.fromEntries(left.map((entry) => [`${entry.period}_budget_left_usd`, entry.left])),
		},
		'confirmation_required',
	);
}
