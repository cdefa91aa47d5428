/**
 * `model: "auto"`: the model chosen for a request among the configured ones, and why.
 *
 * Table-driven (src/generation/auto-intents.ts): the request is read as one intent (an edit,
 * text, a draft, top quality, a photo, an illustration, a cut-out, or general), whose ranking
 * orders the configured models. The first one that takes the whole request (references, size,
 * negative prompt, seed, background, count…), is not deprecated, fits the caller's remaining
 * budget and runs on its real provider is chosen. The offline test pattern is considered only
 * where no AI model runs on its real provider. When no fitting model fits the budget, the
 * cheapest fitting one is chosen, so the budget check that creates the jobs refuses the call
 * with its usual message (which limit, how much is left, when it resets). Pure: no I/O.
 */
import { configuredModels, defaultModel, estimateImageCost, isStandIn, type ModelEntry } from '../providers/catalog';
import { err, type Ok, ok } from '../result';
import type { UrlBases } from '../storage/images';
import { type AutoIntent, classifyIntent, GENERAL_RANKING, intentRule } from './auto-intents';
import type { GenerationRequest, Resolution, ResolvedGeneration } from './request';
import { resolveForModel } from './resolve';

export { textRequestIn } from './auto-intents';

/** What auto may know of the caller beyond the request. */
export interface AutoOptions {
	/**
	 * USD the caller may still spend on this call: the least left of their daily and monthly
	 * budgets. Undefined when they have none or it was not read.
	 */
	budgetLeftUsd?: number;
}

/** The model auto chose, its parameters, the intent it read and the one-sentence reason. */
export type AutoChoice = ResolvedGeneration & { reason: string; intent: AutoIntent };

/** Slack for float sums, as the budget check in D1 allows (src/jobs/budget.ts). */
const USD_EPSILON = 1e-7;

interface Candidate {
	entry: ModelEntry;
	resolution: Resolution;
	standIn: boolean;
	rank: number;
	/** Estimated USD for all `count` images; undefined when the model does not take the request. */
	costUsd?: number;
}

function usd(value: number): string {
	const rounded = Math.round(value * 1e6) / 1e6;
	return `$${rounded >= 0.01 || rounded === 0 ? rounded.toFixed(2) : String(rounded)}`;
}

function images(count: number): string {
	return `${count} image${count === 1 ? '' : 's'}`;
}

/** The part of the request a refusal is about, in words: "a seed", "size 512×512", "2 reference images". */
function askedFor(problem: string, input: GenerationRequest): string {
	const field = /^([\w/]+)/.exec(problem)?.[1] ?? '';
	if (/width|height|aspect_ratio/.test(field)) {
		if (input.aspect_ratio) return `aspect ratio ${input.aspect_ratio}`;
		return `size ${input.width}×${input.height}`;
	}
	switch (field) {
		case 'image_size':
			return `image_size ${input.image_size}`;
		case 'reference_images': {
			const count = input.reference_images?.length ?? 0;
			return count === 0 ? 'a request without a reference image' : `${count} reference image${count === 1 ? '' : 's'}`;
		}
		case 'mask_image':
			return input.mask_image ? 'a mask' : 'a request without a mask';
		case 'background':
			return input.background === 'transparent' ? 'a transparent background' : `background "${input.background}"`;
		case 'negative_prompt':
			return 'a negative prompt';
		case 'seed':
			return 'a seed';
		default: {
			const value = field ? (input as unknown as Record<string, unknown>)[field] : undefined;
			if (value === undefined) return `this request (${problem.replace(/\.$/, '')})`;
			return typeof value === 'string' ? `${field} "${value}"` : `${field} ${String(value)}`;
		}
	}
}

/** Why a better-ranked candidate was passed over, or undefined when it was not. */
function passedOverBecause(
	candidate: Candidate,
	input: GenerationRequest,
	count: number,
	left: number | undefined,
	realFits: boolean,
): string | undefined {
	if (!candidate.resolution.ok) return `cannot take ${askedFor(candidate.resolution.error, input)}`;
	if (candidate.entry.lifecycle.status === 'deprecated') return 'is deprecated';
	if (left !== undefined && (candidate.costUsd ?? 0) > left + USD_EPSILON) {
		return `is estimated at ${usd(candidate.costUsd ?? 0)} for ${images(count)}, more than the ${usd(left)} budget left`;
	}
	if (candidate.standIn && realFits) return 'is only a local stand-in here, drawn by the offline test pattern';
	return undefined;
}

/**
 * `model: "auto"`: classifies the request (auto-intents.ts), ranks the configured models for
 * that intent, and picks the first that takes every argument, is not deprecated, fits the
 * budget left and runs on its real provider. The reason names the intent and what decided.
 */
export function selectAutoModel(
	input: GenerationRequest,
	env: Env,
	configuredDefault: string | undefined,
	urls: UrlBases,
	options: AutoOptions = {},
): Resolution<AutoChoice> {
	const available = configuredModels(env);
	const fallback = defaultModel(env, configuredDefault);
	const reading = classifyIntent(input);
	const rule = intentRule(reading.intent);
	const preference = [...(reading.intent === 'general' ? [fallback.alias] : []), ...rule.ranking];
	const ownRanked = preference.length;
	preference.push(...GENERAL_RANKING);
	const rankOf = (alias: string) => {
		const index = preference.indexOf(alias);
		return index < 0 ? preference.length : index;
	};
	const count = input.count ?? 1;
	const left = options.budgetLeftUsd;

	// Best first: rank for the intent, then AI before the test pattern, then catalog order.
	// The test pattern is a choice only where no AI model runs on its real provider (offline-only
	// deployments, local dev): elsewhere an image that ignores the prompt is never a good pick.
	const aiHere = available.some((entry) => !entry.notAi && !isStandIn(entry, env));
	const considered = aiHere ? available.filter((entry) => !entry.notAi) : available;
	const candidates: Candidate[] = considered
		.map((entry, index) => ({ entry, index, rank: rankOf(entry.alias) }))
		.sort((a, b) => a.rank - b.rank || Number(a.entry.notAi) - Number(b.entry.notAi) || a.index - b.index)
		.map(({ entry, rank }) => {
			const resolution = resolveForModel(entry, input, available, urls);
			const costUsd = resolution.ok ? estimateImageCost(entry, env, resolution.value.params) * count : undefined;
			return { entry, resolution, standIn: isStandIn(entry, env), rank, costUsd };
		});
	const fits = candidates.filter(
		(candidate) => candidate.resolution.ok && candidate.entry.lifecycle.status !== 'deprecated',
	);
	if (fits.length === 0) return refusal(candidates, input, fallback, available, urls, aiHere);

	const affordable =
		left === undefined ? fits : fits.filter((candidate) => (candidate.costUsd ?? 0) <= left + USD_EPSILON);
	const realFits = affordable.some((candidate) => !candidate.standIn);
	let chosen: Candidate;
	let decider: string | undefined;
	if (affordable.length > 0) {
		chosen = affordable.find((candidate) => !candidate.standIn) ?? (affordable[0] as Candidate);
	} else {
		// Nothing fits what is left: the cheapest, which the budget check then refuses with the usual details.
		chosen = fits.reduce((cheapest, candidate) =>
			(candidate.costUsd ?? 0) < (cheapest.costUsd ?? 0) - USD_EPSILON ? candidate : cheapest,
		);
		decider = `no configured model that takes this request fits the ${usd(left ?? 0)} budget left for ${images(count)}, so the cheapest, estimated at ${usd(chosen.costUsd ?? 0)}`;
	}

	if (!decider) {
		// Every model ordered before the chosen one was passed over for a reason; name the best-ranked.
		const passedOver = candidates
			.slice(0, candidates.indexOf(chosen))
			.map((candidate) => ({ candidate, why: passedOverBecause(candidate, input, count, left, realFits) }))
			.filter((item): item is { candidate: Candidate; why: string } => item.why !== undefined);
		const first = passedOver[0];
		if (first) {
			const more = passedOver.length - 1;
			decider = `${first.candidate.entry.alias} ranks higher but ${first.why}${more ? ` (and ${more} more better-ranked model${more === 1 ? '' : 's'} could not be used)` : ''}`;
		} else if (reading.intent === 'general' && chosen.entry === fallback) {
			decider = 'it is the deployment default';
		} else if (chosen.rank < ownRanked) {
			decider = 'it is the first choice for that among the configured models';
		} else if (chosen.rank < preference.length) {
			decider = 'no model ranked for that is configured here, and it comes first in the general order';
		} else {
			decider = 'no model ranked for that is configured here, and it takes the request';
		}
	}
	const reason = `auto: picked ${chosen.entry.alias} for ${rule.label} (${reading.cue}): ${decider}.`;
	const resolved = (chosen.resolution as Ok<ResolvedGeneration>).value;
	return ok({ ...resolved, reason, intent: reading.intent });
}

/** No configured model takes the request (or only deprecated ones do): says why. */
function refusal(
	candidates: readonly Candidate[],
	input: GenerationRequest,
	fallback: ModelEntry,
	available: readonly ModelEntry[],
	urls: UrlBases,
	aiHere: boolean,
): Resolution<AutoChoice> {
	const deprecated = candidates.filter((candidate) => candidate.resolution.ok).map((candidate) => candidate.entry);
	if (deprecated.length > 0) {
		const names = deprecated.map((entry) => entry.alias).join(', ');
		const replacement = deprecated[0]?.lifecycle.replacement;
		return err(
			`model: "auto" never picks a deprecated model, and only ${names} (deprecated) take${deprecated.length === 1 ? 's' : ''} these arguments. Name it as model to use it anyway${replacement ? `, or change the arguments for ${replacement}` : ''}.`,
		);
	}
	const viaDefault = resolveForModel(fallback, input, available, urls);
	const why = viaDefault.ok ? '' : ` With the default model ${fallback.alias}: ${viaDefault.error}`;
	const testPattern = available.find((entry) => entry.notAi);
	const placeholder =
		aiHere && testPattern && resolveForModel(testPattern, input, available, urls).ok
			? ` (auto never picks the offline test pattern while AI models are configured: name model "${testPattern.alias}" for a placeholder.)`
			: '';
	return err(`model: "auto" found no configured model that accepts all of these arguments.${why}${placeholder}`);
}
