/**
 * The generate_image arguments (the seed's names: prompt, model, count; plus size, seed,
 * steps and every provider option) as one zod schema, which every face parses with. What a
 * model accepts beyond this is checked against its capabilities in src/generation/, and a
 * refusal names what was wrong and what is allowed (and which models would take it).
 */
import { z } from 'zod';
import {
	ASPECT_RATIOS,
	IMAGE_SIZE_TIERS,
	MAX_COUNT,
	MAX_PROMPT_CHARS,
	MAX_REFERENCE_IMAGES,
} from '../generation/request';
import { MAX_SEED } from '../jobs/create';
import { REFERENCE_FORMS } from '../jobs/references';
import { MODEL_CATALOG, type ModelEntry } from '../providers/catalog';
import type { Choice } from '../providers/types';
import { CONTROL_CHARACTERS, VISIBLE_CHARACTER } from './validation';

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

/** The values of models' own `style` option (dall-e-3: vivid, natural); any other `style` names a library style. */
export const PROVIDER_STYLE_VALUES: readonly string[] = choiceValues((entry) => entry.capabilities.style);

const referenceSchema = z.string().trim().min(1, 'must not be empty').max(2048, 'is longer than 2048 characters');

export const generateInputSchema = z.strictObject({
	prompt: z
		.string()
		.trim()
		.min(1, 'must not be empty')
		.max(MAX_PROMPT_CHARS, `is longer than ${MAX_PROMPT_CHARS} characters`)
		.refine((text) => !CONTROL_CHARACTERS.test(text), 'contains control characters')
		.refine(
			(text) => VISIBLE_CHARACTER.test(text),
			'has no visible characters (only spaces or invisible ones such as zero-width spaces)',
		)
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
		.string()
		.trim()
		.min(1)
		.max(64)
		.optional()
		.describe(
			`A style from your library (list_styles): its brief is combined with the prompt and its defaults fill what you leave out. Or a model's own style option: ${choicesByModel((entry) => entry.capabilities.style)}.`,
		),
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
	confirmation: z
		.string()
		.trim()
		.min(1)
		.max(100)
		.optional()
		.describe(
			'The token of a quote: a call estimated above the confirmation threshold answers a quote instead of starting; make the same call again with its token to go ahead.',
		),
});

export type GenerateInput = z.output<typeof generateInputSchema>;
