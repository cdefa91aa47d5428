/**
 * `model: "auto"`: the model chosen for a request among the configured ones, and why.
 */
import { configuredModels, defaultModel, isStandIn } from '../providers/catalog';
import { err, type Ok, ok } from '../result';
import type { UrlBases } from '../storage/images';
import type { GenerationRequest, Resolution, ResolvedGeneration } from './request';
import { resolveForModel } from './resolve';

/** Words that ask for legible text in the image. */
const TEXT_REQUEST =
	/\b(text|texts|logo|logos|wordmark|poster|posters|typography|typographic|lettering|lettered|font|headline|caption|banner|sign|signage|label|labels|title|slogan|quote|infographic|menu|book cover|says|saying|reads|written|spelling)\b/i;

/** Quoted words ("OPEN", “Café”) are text the user wants rendered. */
const QUOTED_TEXT = /["“”«»„][^"“”«»„]{1,80}["“”«»„]/;

/** Why the prompt wants text in the image, or undefined. */
export function textRequestIn(prompt: string): string | undefined {
	const word = TEXT_REQUEST.exec(prompt);
	if (word) return `the prompt asks for text in the image ("${word[0]}")`;
	const quoted = QUOTED_TEXT.exec(prompt);
	if (quoted) return `the prompt quotes words to render (${quoted[0]})`;
	return undefined;
}

/**
 * `model: "auto"`: among the configured models that accept everything the request asks
 * (sizes, options, reference count…), prefers one good at text when the prompt wants text,
 * one that takes the references when there are any, a transparent-background one when asked,
 * and otherwise the deployment's default. Real providers win over local stand-ins.
 */
export function selectAutoModel(
	input: GenerationRequest,
	env: Env,
	configuredDefault: string | undefined,
	urls: UrlBases,
): Resolution<ResolvedGeneration & { reason: string }> {
	const available = configuredModels(env);
	const fallback = defaultModel(env, configuredDefault);
	const fits = available
		.map((entry) => resolveForModel(entry, input, available, urls))
		.filter((resolution): resolution is Ok<ResolvedGeneration> => resolution.ok)
		.map((resolution) => resolution.value);
	if (fits.length === 0) {
		const viaDefault = resolveForModel(fallback, input, available, urls);
		const why = viaDefault.ok ? '' : ` With the default model ${fallback.alias}: ${viaDefault.error}`;
		return err(`model: "auto" found no configured model that accepts all of these arguments.${why}`);
	}
	// Ranking: a real provider over a stand-in, then catalog order (stable sort).
	const ranked = [...fits].sort((a, b) => Number(isStandIn(a.entry, env)) - Number(isStandIn(b.entry, env)));
	const pick = (candidate: ResolvedGeneration | undefined, reason: string) =>
		candidate ? ok({ ...candidate, reason }) : undefined;

	const references = input.reference_images?.length ?? 0;
	const textReason = textRequestIn(input.prompt);
	const needs: string[] = [];
	if (references) needs.push(`${references} reference image${references > 1 ? 's' : ''} to work from`);
	if (input.mask_image) needs.push('a mask');
	if (input.background === 'transparent') needs.push('a transparent background');
	const needsText = needs.length ? ` and it takes ${needs.join(', ')}` : '';

	if (textReason) {
		const good = ranked.find((candidate) => candidate.entry.capabilities.goodAtText);
		const chosen = pick(
			good,
			`auto: picked ${good?.entry.alias} because ${textReason}, which it renders legibly${needsText}.`,
		);
		if (chosen) return chosen;
	}
	const defaultFit = ranked.find((candidate) => candidate.entry === fallback);
	if (defaultFit) {
		return pick(
			defaultFit,
			needs.length
				? `auto: picked the deployment default ${fallback.alias}: it takes ${needs.join(', ')}.`
				: `auto: nothing in the request needs a special model, so the deployment default ${fallback.alias}.`,
		)!;
	}
	const first = ranked[0] as ResolvedGeneration;
	return ok({
		...first,
		reason: `auto: picked ${first.entry.alias} because the default ${fallback.alias} cannot do this request${needsText || ' as asked'}.`,
	});
}
