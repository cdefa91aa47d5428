/**
 * The generate_image arguments (the seed's names: prompt, model, count; plus size, seed,
 * steps and every provider option) and the model-dependent checks zod cannot do alone:
 * each model's capabilities from the catalog decide what it accepts, and a refusal names
 * what was wrong and what is allowed (and which models would take it).
 */
import { z } from 'zod';
import { MAX_SEED } from '../jobs/create';
import { parseReference, REFERENCE_FORMS } from '../jobs/references';
import type { JobParams, ReferenceSpec } from '../jobs/types';
import {
	configuredModels,
	defaultModel,
	findModel,
	isStandIn,
	MODEL_CATALOG,
	type ModelEntry,
	nominalSize,
} from '../providers/catalog';
import type { Choice, ImageSizeTier, NumberRange } from '../providers/types';
import type { UrlBases } from '../storage/images';
import { CONTROL_CHARACTERS } from './validation';

export const ASPECT_RATIOS = ['1:1', '4:3', '3:4', '3:2', '2:3', '5:4', '4:5', '16:9', '9:16', '21:9', '9:21'] as const;
export const IMAGE_SIZE_TIERS = ['1K', '2K', '4K'] as const;
export const MAX_PROMPT_CHARS = 4000;
export const MAX_COUNT = 20;
/** The most any model takes (gpt-image edits: 16). Per-model limits are checked after parsing. */
export const MAX_REFERENCE_IMAGES = 16;

/** Every value any catalog model accepts for a choice option, for the JSON schema's enum. */
function choiceValues(pick: (entry: ModelEntry) => Choice | undefined): [string, ...string[]] {
	const values = [...new Set(MODEL_CATALOG.flatMap((entry) => pick(entry)?.values ?? []))];
	return (values.length ? values : ['none']) as [string, ...string[]];
}

/** "gpt-image-1: low, medium, high, auto; dall-e-3: standard, hd" for descriptions. */
function choicesByModel(pick: (entry: ModelEntry) => Choice | undefined): string {
	const groups = new Map<string, string[]>();
	for (const entry of MODEL_CATALOG) {
		const choice = pick(entry);
		if (!choice) continue;
		const key = choice.values.join(', ');
		groups.set(key, [...(groups.get(key) ?? []), entry.alias]);
	}
	return [...groups].map(([values, models]) => `${models.join('/')}: ${values}`).join('; ');
}

const referenceSchema = z.string().trim().min(1, 'must not be empty').max(2048, 'is longer than 2048 characters');

export const generateInputSchema = z.strictObject({
	prompt: z
		.string()
		.trim()
		.min(1, 'must not be empty')
		.max(MAX_PROMPT_CHARS, `is longer than ${MAX_PROMPT_CHARS} characters`)
		.refine((text) => !CONTROL_CHARACTERS.test(text), 'contains control characters')
		.describe(`What the image should show, in plain language (1–${MAX_PROMPT_CHARS} characters).`),
	model: z
		.string()
		.max(200)
		.optional()
		.describe(
			'Model name from list_models (for example "flux-schnell" or "offline"), or "auto" to let the server pick from the request (text in the image, reference images, transparency) and say why. Omit to use the deployment default.',
		),
	count: z
		.number()
		.int()
		.min(1)
		.max(MAX_COUNT)
		.default(1)
		.describe(
			`How many images to make, 1–${MAX_COUNT} (default 1). Each image is its own job; job_ids lists them all.`,
		),
	width: z
		.number()
		.int()
		.optional()
		.describe(
			'Image width in pixels (give height too). Allowed values depend on the model (a range or a list of sizes); see list_models.',
		),
	height: z.number().int().optional().describe('Image height in pixels (give width too).'),
	aspect_ratio: z
		.enum(ASPECT_RATIOS)
		.optional()
		.describe(
			`Instead of width/height: one of ${ASPECT_RATIOS.join(', ')}. Sized models get about one megapixel; models with fixed size lists get the closest listed size.`,
		),
	image_size: z
		.enum(IMAGE_SIZE_TIERS)
		.optional()
		.describe('Resolution tier for models sized by aspect ratio (Gemini: 1K default, 2K, 4K; see list_models).'),
	seed: z
		.number()
		.int()
		.min(0)
		.max(MAX_SEED)
		.optional()
		.describe(
			`Integer 0–${MAX_SEED} to reproduce an image (models that take a seed); omit for a random one (returned in the result).`,
		),
	steps: z
		.number()
		.int()
		.optional()
		.describe('Diffusion steps; the allowed range depends on the model (flux-schnell: 1–8). Omit for its default.'),
	negative_prompt: z
		.string()
		.max(2000)
		.refine((text) => !CONTROL_CHARACTERS.test(text), 'contains control characters')
		.optional()
		.describe('What the image should not show (models that support it; see list_models).'),
	guidance: z
		.number()
		.min(0)
		.max(50)
		.optional()
		.describe('How closely to follow the prompt (guidance / CFG scale); range per model, see list_models.'),
	quality: z
		.enum(choiceValues((entry) => entry.capabilities.quality))
		.optional()
		.describe(`Quality level, per model: ${choicesByModel((entry) => entry.capabilities.quality)}.`),
	style: z
		.enum(choiceValues((entry) => entry.capabilities.style))
		.optional()
		.describe(`Style, per model: ${choicesByModel((entry) => entry.capabilities.style)}.`),
	background: z
		.enum(choiceValues((entry) => entry.capabilities.background))
		.optional()
		.describe(
			`Background, per model ("transparent" for cut-outs and logos): ${choicesByModel((entry) => entry.capabilities.background)}.`,
		),
	output_format: z
		.enum(choiceValues((entry) => entry.capabilities.outputFormat))
		.optional()
		.describe(`File format asked of the model: ${choicesByModel((entry) => entry.capabilities.outputFormat)}.`),
	sampler: z
		.string()
		.trim()
		.min(1)
		.max(64)
		.optional()
		.describe('Sampler name for Stable Diffusion WebUI, e.g. "DPM++ 2M" or "Euler a".'),
	strength: z
		.number()
		.min(0)
		.max(1)
		.optional()
		.describe(
			'With reference_images on img2img models: how far to move away from the reference, 0 (keep) to 1 (ignore).',
		),
	reference_images: z
		.array(referenceSchema)
		.min(1, 'must list at least one image when given')
		.max(MAX_REFERENCE_IMAGES, `lists more than ${MAX_REFERENCE_IMAGES} images`)
		.optional()
		.describe(
			`Images to start from or iterate on ("same scene at night"), each ${REFERENCE_FORMS}. How many a model takes: see list_models.`,
		),
	mask_image: referenceSchema
		.optional()
		.describe(
			'Inpainting mask (white = repaint), in the same forms as reference_images; needs reference_images and a model that takes a mask.',
		),
	idempotency_key: z
		.string()
		.min(1)
		.max(200)
		.optional()
		.describe('Optional key: calling again with the same key returns the same job(s) instead of new ones.'),
});

export type GenerateInput = z.output<typeof generateInputSchema>;

export interface ResolvedGeneration {
	entry: ModelEntry;
	params: JobParams;
	/** References that name earlier images, to check for ownership before creating the job. */
	ownImages: { field: string; spec: ReferenceSpec }[];
}

export type Resolution<T = ResolvedGeneration> = { ok: true; value: T } | { ok: false; message: string };

function fail(message: string): { ok: false; message: string } {
	return { ok: false, message };
}

/** Size for an aspect ratio at about one megapixel, in multiples of 64, inside `[min, max]`. */
export function sizeForAspectRatio(
	ratio: string,
	range: { min: number; max: number },
): { width: number; height: number } {
	const [w, h] = ratio.split(':').map(Number) as [number, number];
	const clamp = (value: number) => Math.min(range.max, Math.max(range.min, value));
	const width = clamp(Math.round(Math.sqrt((1024 * 1024 * w) / h) / 64) * 64);
	const height = clamp(Math.round((width * h) / w / 64) * 64);
	return { width, height };
}

function ratioOf(text: string): number {
	const [w, h] = text.split(/[:x]/).map(Number) as [number, number];
	return w / h;
}

/** The listed `WxH` size whose shape is closest to `ratio`. */
function closestListedSize(sizes: readonly string[], ratio: string): string {
	const wanted = Math.log(ratioOf(ratio));
	let best = sizes[0] ?? '1024x1024';
	for (const size of sizes) {
		if (Math.abs(Math.log(ratioOf(size)) - wanted) < Math.abs(Math.log(ratioOf(best)) - wanted)) best = size;
	}
	return best;
}

function toSize(size: string): { width: number; height: number } {
	const [width, height] = size.split('x').map(Number) as [number, number];
	return { width, height };
}

/** Aliases of the configured models that pass `test`, for "use one of …" hints. */
function modelsWhere(available: readonly ModelEntry[], test: (entry: ModelEntry) => boolean): string {
	return (
		available
			.filter(test)
			.map((entry) => entry.alias)
			.join(', ') || 'none configured here'
	);
}

function checkRange(field: string, value: number, range: NumberRange, alias: string): string | undefined {
	if (value < range.min || value > range.max) {
		return `${field}: ${value} is outside ${alias}'s range. Allowed: ${range.min}–${range.max} (default ${range.default}).`;
	}
	return undefined;
}

type Sizing = Pick<JobParams, 'width' | 'height' | 'aspect_ratio' | 'image_size'>;

function resolveSize(entry: ModelEntry, input: GenerateInput, available: readonly ModelEntry[]): Resolution<Sizing> {
	const { size, defaultSize } = entry.capabilities;
	const { alias } = entry;
	const hasPixels = input.width !== undefined || input.height !== undefined;
	if (hasPixels && input.aspect_ratio) return fail('width/height and aspect_ratio: give one or the other, not both.');
	if (hasPixels && (input.width === undefined || input.height === undefined)) {
		return fail('width/height: give both width and height, or use aspect_ratio.');
	}
	if (input.image_size && size.kind !== 'aspect') {
		return fail(
			`image_size: ${alias} is sized by width/height, not by tier. Omit image_size, or use a model with tiers: ${modelsWhere(available, (e) => e.capabilities.size.kind === 'aspect')}.`,
		);
	}
	switch (size.kind) {
		case 'fixed': {
			const samePixels = input.width === size.width && input.height === size.height;
			const sameShape =
				input.aspect_ratio === undefined || Math.abs(ratioOf(input.aspect_ratio) - size.width / size.height) < 1e-9;
			if ((hasPixels && !samePixels) || !sameShape) {
				return fail(
					`width/height/aspect_ratio: ${alias} always makes ${size.width}×${size.height} images. Omit them, or use a model that takes a size: ${modelsWhere(available, (e) => e.capabilities.size.kind !== 'fixed')}.`,
				);
			}
			return { ok: true, value: { width: size.width, height: size.height } };
		}
		case 'range': {
			if (input.aspect_ratio) {
				return {
					ok: true,
					value: { ...sizeForAspectRatio(input.aspect_ratio, size), aspect_ratio: input.aspect_ratio },
				};
			}
			if (!hasPixels) return { ok: true, value: { ...defaultSize } };
			for (const [field, value] of [
				['width', input.width as number],
				['height', input.height as number],
			] as const) {
				if (value < size.min || value > size.max) {
					return fail(`${field}: ${value} is outside ${alias}'s range. Allowed: ${size.min}–${size.max} pixels.`);
				}
				if (value % size.multipleOf !== 0) {
					const lower = Math.max(size.min, value - (value % size.multipleOf));
					return fail(
						`${field}: ${alias} needs a multiple of ${size.multipleOf} pixels; ${value} is not (try ${lower}).`,
					);
				}
			}
			return { ok: true, value: { width: input.width as number, height: input.height as number } };
		}
		case 'list': {
			if (input.aspect_ratio) {
				return {
					ok: true,
					value: { ...toSize(closestListedSize(size.sizes, input.aspect_ratio)), aspect_ratio: input.aspect_ratio },
				};
			}
			if (!hasPixels) return { ok: true, value: { ...defaultSize } };
			const wanted = `${input.width}x${input.height}`;
			if (!size.sizes.includes(wanted)) {
				return fail(`width/height: ${alias} makes only these sizes: ${size.sizes.join(', ')}; not ${wanted}.`);
			}
			return { ok: true, value: toSize(wanted) };
		}
		case 'aspect': {
			if (hasPixels) {
				return fail(
					`width/height: ${alias} is sized by aspect_ratio (${size.ratios.join(', ')}) and image_size (${size.tiers.join(', ')}), not pixels.`,
				);
			}
			const ratio = input.aspect_ratio ?? '1:1';
			if (!size.ratios.includes(ratio)) {
				return fail(`aspect_ratio: ${alias} does not make ${ratio}. Allowed: ${size.ratios.join(', ')}.`);
			}
			const tier: ImageSizeTier = input.image_size ?? size.tiers[0] ?? '1K';
			if (!size.tiers.includes(tier)) {
				return fail(`image_size: ${alias} does not make ${tier}. Allowed: ${size.tiers.join(', ')}.`);
			}
			// Editing without a ratio: leave it to the model, which keeps the reference's shape
			// ("same scene at night"); the nominal size is the square one until the image is sniffed.
			const keepReferenceShape = input.aspect_ratio === undefined && (input.reference_images?.length ?? 0) > 0;
			return {
				ok: true,
				value: {
					...nominalSize(entry, ratio, tier),
					...(keepReferenceShape ? {} : { aspect_ratio: ratio }),
					image_size: tier,
				},
			};
		}
	}
}

/** A choice option: refused when the model lacks it or the value is not one of its values; else defaulted. */
function resolveChoice(
	field: string,
	value: string | undefined,
	choice: Choice | undefined,
	entry: ModelEntry,
	available: readonly ModelEntry[],
	pick: (entry: ModelEntry) => Choice | undefined,
): Resolution<string | undefined> {
	if (!choice) {
		if (value === undefined) return { ok: true, value: undefined };
		return fail(
			`${field}: ${entry.alias} has no ${field} option. Omit it, or use: ${modelsWhere(available, (e) => pick(e)?.values.includes(value) ?? false)}.`,
		);
	}
	const chosen = value ?? choice.default;
	if (!choice.values.includes(chosen)) {
		return fail(`${field}: ${entry.alias} does not take "${chosen}". Allowed: ${choice.values.join(', ')}.`);
	}
	return { ok: true, value: chosen };
}

/**
 * Checks `input` against one model's capabilities and builds the job parameters. Pure: the
 * ownership of referenced images is checked by the caller (it needs the database).
 */
export function resolveForModel(
	entry: ModelEntry,
	input: GenerateInput,
	available: readonly ModelEntry[],
	urls: UrlBases,
): Resolution {
	const caps = entry.capabilities;
	const { alias } = entry;
	const sizing = resolveSize(entry, input, available);
	if (!sizing.ok) return sizing;
	const params: JobParams = { ...sizing.value };

	if (caps.steps) {
		const steps = input.steps ?? caps.steps.default;
		const problem = checkRange('steps', steps, caps.steps, alias);
		if (problem) return fail(problem);
		params.steps = steps;
	} else if (input.steps !== undefined) {
		return fail(
			`steps: ${alias} takes no steps. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.steps !== undefined)}.`,
		);
	}
	if (input.guidance !== undefined) {
		if (!caps.guidance) {
			return fail(
				`guidance: ${alias} takes no guidance. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.guidance !== undefined)}.`,
			);
		}
		const problem = checkRange('guidance', input.guidance, caps.guidance, alias);
		if (problem) return fail(problem);
		params.guidance = input.guidance;
	}
	if (input.seed !== undefined && caps.seed === 'none') {
		return fail(
			`seed: ${alias} takes no seed, so its images cannot be reproduced. Omit seed, or use: ${modelsWhere(available, (e) => e.capabilities.seed !== 'none')}.`,
		);
	}
	if (input.negative_prompt) {
		if (!caps.negativePrompt) {
			return fail(
				`negative_prompt: ${alias} does not take a negative prompt. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.negativePrompt)}.`,
			);
		}
		params.negative_prompt = input.negative_prompt;
	}
	const choices = [
		['quality', input.quality, (e: ModelEntry) => e.capabilities.quality],
		['style', input.style, (e: ModelEntry) => e.capabilities.style],
		['background', input.background, (e: ModelEntry) => e.capabilities.background],
		['output_format', input.output_format, (e: ModelEntry) => e.capabilities.outputFormat],
	] as const;
	for (const [field, value, pick] of choices) {
		const resolved = resolveChoice(field, value, pick(entry), entry, available, pick);
		if (!resolved.ok) return resolved;
		if (resolved.value !== undefined) params[field] = resolved.value;
	}
	if (input.sampler !== undefined) {
		if (!caps.sampler) {
			return fail(
				`sampler: ${alias} has no sampler option. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.sampler)}.`,
			);
		}
		params.sampler = input.sampler;
	}

	const references = input.reference_images ?? [];
	if (references.length > caps.maxReferenceImages) {
		const needed = references.length;
		return fail(
			caps.maxReferenceImages === 0
				? `reference_images: ${alias} does not take reference images. Use a model that does: ${modelsWhere(available, (e) => e.capabilities.maxReferenceImages >= needed)}.`
				: `reference_images: ${alias} takes at most ${caps.maxReferenceImages}, not ${needed}. Models that take ${needed}: ${modelsWhere(available, (e) => e.capabilities.maxReferenceImages >= needed)}.`,
		);
	}
	if (caps.requiresReferenceImage && references.length === 0) {
		return fail(`reference_images: ${alias} edits an existing image, so it needs one. Give ${REFERENCE_FORMS}.`);
	}
	if (input.mask_image !== undefined) {
		if (!caps.mask) {
			return fail(
				`mask_image: ${alias} does not take a mask. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.mask !== false)}.`,
			);
		}
		if (references.length === 0) return fail('mask_image: a mask needs reference_images (the image to repaint).');
	} else if (caps.mask === 'required') {
		return fail(`mask_image: ${alias} repaints the white part of a mask, so it needs one.`);
	}
	if (input.strength !== undefined) {
		if (!caps.strength) {
			return fail(
				`strength: ${alias} has no strength option. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.strength)}.`,
			);
		}
		if (references.length === 0) return fail('strength: applies only with reference_images (img2img).');
		params.strength = input.strength;
	}

	const ownImages: ResolvedGeneration['ownImages'] = [];
	const parsedReferences: ReferenceSpec[] = [];
	for (const [index, raw] of references.entries()) {
		const field = `reference_images[${index}]`;
		const parsed = parseReference(field, raw, urls);
		if (!parsed.ok) return parsed;
		parsedReferences.push(parsed.spec);
		if (parsed.spec.kind === 'image') ownImages.push({ field, spec: parsed.spec });
	}
	if (parsedReferences.length) params.reference_images = parsedReferences;
	if (input.mask_image !== undefined) {
		const parsed = parseReference('mask_image', input.mask_image, urls);
		if (!parsed.ok) return parsed;
		params.mask = parsed.spec;
		if (parsed.spec.kind === 'image') ownImages.push({ field: 'mask_image', spec: parsed.spec });
	}
	return { ok: true, value: { entry, params, ownImages } };
}

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
	input: GenerateInput,
	env: Env,
	configuredDefault: string | undefined,
	urls: UrlBases,
): Resolution<ResolvedGeneration & { reason: string }> {
	const available = configuredModels(env);
	const fallback = defaultModel(env, configuredDefault);
	const fits = available
		.map((entry) => resolveForModel(entry, input, available, urls))
		.filter((resolution): resolution is { ok: true; value: ResolvedGeneration } => resolution.ok)
		.map((resolution) => resolution.value);
	if (fits.length === 0) {
		const viaDefault = resolveForModel(fallback, input, available, urls);
		const why = viaDefault.ok ? '' : ` With the default model ${fallback.alias}: ${viaDefault.message}`;
		return fail(`model: "auto" found no configured model that accepts all of these arguments.${why}`);
	}
	// Ranking: a real provider over a stand-in, then catalog order (stable sort).
	const ranked = [...fits].sort((a, b) => Number(isStandIn(a.entry, env)) - Number(isStandIn(b.entry, env)));
	const pick = (candidate: ResolvedGeneration | undefined, reason: string) =>
		candidate ? { ok: true as const, value: { ...candidate, reason } } : undefined;

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
		) as { ok: true; value: ResolvedGeneration & { reason: string } };
	}
	const first = ranked[0] as ResolvedGeneration;
	return {
		ok: true,
		value: {
			...first,
			reason: `auto: picked ${first.entry.alias} because the default ${fallback.alias} cannot do this request${needsText || ' as asked'}.`,
		},
	};
}

/** Picks the model (named, default or auto) and applies its capabilities to the arguments. */
export function resolveGeneration(
	input: GenerateInput,
	env: Env,
	configuredDefault: string | undefined,
	urls: UrlBases,
): Resolution {
	const available = configuredModels(env);
	const names = available.map((entry) => entry.alias).join(', ');
	const requested = input.model?.trim() ?? '';
	if (requested.toLowerCase() === 'auto') {
		const auto = selectAutoModel(input, env, configuredDefault, urls);
		if (!auto.ok) return auto;
		const { reason, ...value } = auto.value;
		return { ok: true, value: { ...value, params: { ...value.params, auto_reason: reason } } };
	}
	let entry: ModelEntry;
	if (requested === '' || requested === 'default') {
		entry = defaultModel(env, configuredDefault);
	} else {
		const found = findModel(env, requested);
		if (!found) return fail(`model: unknown model "${requested}". Allowed models: ${names}, or "auto".`);
		if (!available.includes(found)) {
			return fail(
				`model: "${found.alias}" is not configured in this deployment (it needs ${found.provider.configuredBy}). Allowed models: ${names}, or "auto".`,
			);
		}
		entry = found;
	}
	return resolveForModel(entry, input, available, urls);
}
