/**
 * The generate_image arguments (the seed's names: prompt, model, count; plus size, seed,
 * steps, negative prompt) and the model-dependent checks zod cannot do alone.
 */
import { z } from 'zod';
import { MAX_SEED } from '../jobs/create';
import type { JobParams } from '../jobs/types';
import { configuredModels, defaultModel, findModel, type ModelEntry } from '../providers/catalog';
import { CONTROL_CHARACTERS } from './validation';

export const ASPECT_RATIOS = ['1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16', '21:9', '9:21'] as const;
export const MAX_PROMPT_CHARS = 4000;
export const MAX_COUNT = 20;

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
		.optional()
		.describe(
			'Model name from list_models (for example "flux-schnell" or "offline"). Omit to use the deployment default.',
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
		.describe('Image width in pixels (give height too). Allowed range depends on the model; see list_models.'),
	height: z.number().int().optional().describe('Image height in pixels (give width too).'),
	aspect_ratio: z
		.enum(ASPECT_RATIOS)
		.optional()
		.describe(`Instead of width/height: one of ${ASPECT_RATIOS.join(', ')}; about one megapixel.`),
	seed: z
		.number()
		.int()
		.min(0)
		.max(MAX_SEED)
		.optional()
		.describe(`Integer 0–${MAX_SEED} to reproduce an image; omit for a random one (returned in the result).`),
	steps: z
		.number()
		.int()
		.optional()
		.describe('Diffusion steps; the allowed range depends on the model (flux-schnell: 1–8). Omit for its default.'),
	negative_prompt: z
		.string()
		.max(2000)
		.optional()
		.describe('What the image should not show (models that support it; see list_models).'),
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
}

export type Resolution = { ok: true; value: ResolvedGeneration } | { ok: false; message: string };

function fail(message: string): Resolution {
	return { ok: false, message };
}

/** Size for an aspect ratio at about one megapixel, in multiples of 64, inside the model's range. */
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

/** Applies the chosen model's capabilities to the arguments. */
export function resolveGeneration(input: GenerateInput, env: Env, configuredDefault: string | undefined): Resolution {
	const available = configuredModels(env);
	const names = available.map((entry) => entry.alias).join(', ');
	let entry: ModelEntry;
	if (input.model === undefined || input.model.trim() === '' || input.model === 'default') {
		entry = defaultModel(env, configuredDefault);
	} else {
		const found = findModel(input.model);
		if (!found) return fail(`model: unknown model "${input.model}". Allowed models: ${names}.`);
		if (!available.includes(found)) {
			return fail(`model: "${found.alias}" is not configured in this deployment. Allowed models: ${names}.`);
		}
		entry = found;
	}

	const hasSize = input.width !== undefined || input.height !== undefined;
	if (hasSize && input.aspect_ratio) {
		return fail('width/height and aspect_ratio: give one or the other, not both.');
	}
	let { width, height } = entry.defaultSize;
	if (hasSize || input.aspect_ratio) {
		const range = entry.sizeRange;
		if (!range) {
			const sized = available.filter((candidate) => candidate.sizeRange).map((candidate) => candidate.alias);
			return fail(
				`width/height/aspect_ratio: ${entry.alias} always makes ${width}×${height} images and takes no size. ` +
					`Omit them, or use a model that takes a size: ${sized.join(', ') || 'none configured'}.`,
			);
		}
		if (input.aspect_ratio) {
			({ width, height } = sizeForAspectRatio(input.aspect_ratio, range));
		} else {
			if (input.width === undefined || input.height === undefined) {
				return fail('width/height: give both width and height, or use aspect_ratio.');
			}
			for (const [field, value] of [
				['width', input.width],
				['height', input.height],
			] as const) {
				if (value < range.min || value > range.max) {
					return fail(
						`${field}: ${value} is outside ${entry.alias}'s range. Allowed: ${range.min}–${range.max} pixels.`,
					);
				}
			}
			width = input.width;
			height = input.height;
		}
	}

	const steps = input.steps ?? entry.steps.default;
	if (steps < entry.steps.min || steps > entry.steps.max) {
		return fail(`steps: ${steps} is outside ${entry.alias}'s range. Allowed: ${entry.steps.min}–${entry.steps.max}.`);
	}
	if (input.negative_prompt && !entry.supportsNegativePrompt) {
		const capable = available.filter((candidate) => candidate.supportsNegativePrompt).map((c) => c.alias);
		return fail(
			`negative_prompt: ${entry.alias} does not take a negative prompt. Omit it, or use: ${capable.join(', ')}.`,
		);
	}

	const params: JobParams = { width, height, steps };
	if (input.negative_prompt) params.negative_prompt = input.negative_prompt;
	if (input.aspect_ratio) params.aspect_ratio = input.aspect_ratio;
	return { ok: true, value: { entry, params } };
}
