/**
 * OpenAI's image generation request (`POST /v1/images/generations`, API reference
 * "images/create") as generate_image's arguments for one of our models. OpenAI's fields keep
 * their meaning where a model has the option, and are refused or ignored where it has not,
 * each as docs/api.md "OpenAI-compatible endpoint" says:
 * - `n` is `count`, with generate_image's limit (MAX_COUNT; OpenAI's own is 10);
 * - `size` is pixels or an aspect ratio (src/worker/openai/sizes.ts);
 * - `quality` is the model's quality option, with hd ↔ high and standard ↔ medium between
 *   DALL·E 3's and GPT Image's names; on a model without one, `standard` and `auto` are
 *   accepted (they mean its one quality) and the others refused;
 * - `style` (vivid, natural) is passed to a model that has that option, else ignored;
 * - `background` is passed where the model has the option; without it, `auto` and `opaque`
 *   are what the model makes anyway, and `transparent` is refused;
 * - `output_format` is passed where the model has the option, else ignored (the answer's
 *   `output_format` says what was made);
 * - `user`, `moderation`, `output_compression` and `partial_images` are accepted and ignored;
 *   `stream: true` is refused (no streaming here).
 */
import { z } from 'zod';
import type { ModelEntry } from '../../providers/catalog';
import { err, ok, type Result } from '../../result';
import { generateInputSchema } from '../../tools/generate.schema';
import { modelNamesWhere, sizeArguments } from './sizes';

/** What OpenAI's `quality` takes across its models. */
export const OPENAI_QUALITIES = ['standard', 'hd', 'low', 'medium', 'high', 'auto'] as const;
type OpenAiQuality = (typeof OPENAI_QUALITIES)[number];

/** The same level under the other family's name, tried in order when the model lacks the value asked. */
const QUALITY_EQUIVALENTS: Record<OpenAiQuality, readonly string[]> = {
	hd: ['high'],
	high: ['hd'],
	standard: ['medium'],
	medium: ['standard'],
	low: ['standard'],
	auto: [],
};

const countSchema = generateInputSchema.shape.count;
/** The most images one request makes: generate_image's own `count` limit. */
export const MAX_IMAGES_PER_REQUEST = countSchema.unwrap().maxValue ?? 1;

export const openAiImageRequestSchema = z.strictObject({
	prompt: generateInputSchema.shape.prompt,
	model: z
		.string()
		.max(200)
		.optional()
		.describe('A model name from GET /v1/models (or one of its aliases). Omit for the deployment default.'),
	n: countSchema.describe(
		`How many images, 1–${MAX_IMAGES_PER_REQUEST} (OpenAI allows 1–10; this server up to ${MAX_IMAGES_PER_REQUEST}).`,
	),
	size: z
		.string()
		.max(40)
		.optional()
		.describe('"WIDTHxHEIGHT" such as "1024x1024" or "1792x1024", or "auto"; what each model makes: GET /v1/models.'),
	quality: z.enum(OPENAI_QUALITIES).optional().describe('standard, hd, low, medium, high or auto.'),
	style: z.enum(['vivid', 'natural']).optional().describe('vivid or natural (models with a style option).'),
	response_format: z
		.enum(['url', 'b64_json'])
		.default('url')
		.describe('url (default): a link to the stored image; b64_json: the image bytes in base64.'),
	user: z.string().max(1000).optional().describe('Accepted and ignored: the bearer token decides who owns the images.'),
	background: z.enum(['transparent', 'opaque', 'auto']).optional().describe('transparent, opaque or auto.'),
	output_format: z.enum(['png', 'jpeg', 'webp']).optional().describe('png, jpeg or webp (models with that option).'),
	output_compression: z.number().int().min(0).max(100).optional().describe('Accepted and ignored.'),
	moderation: z.enum(['auto', 'low']).optional().describe('Accepted and ignored.'),
	stream: z.boolean().optional().describe('Only false: this server does not stream images.'),
	partial_images: z.number().int().min(0).max(3).optional().describe('Accepted and ignored (no streaming).'),
	confirmation: z
		.string()
		.trim()
		.min(1)
		.max(100)
		.optional()
		.describe(
			'Not OpenAI: the token of a spending quote (a 428 answer), to go ahead with the same request. OpenAI clients send it as an extra body field.',
		),
});

export type OpenAiImageRequest = z.output<typeof openAiImageRequestSchema>;

/** generate_image's arguments built from an OpenAI request (before the wait's own). */
export type GenerateArguments = Record<string, unknown>;

/**
 * The OpenAI request as generate_image's arguments for `entry`, the model the call will use
 * (named, or the caller's default, chosen by the caller of this), named in `model` so the
 * operation runs the model the size and options were mapped for.
 */
export function generateArguments(
	request: OpenAiImageRequest,
	entry: ModelEntry,
	available: readonly ModelEntry[],
): Result<GenerateArguments, string> {
	if (request.stream === true) {
		return err('stream: this server does not stream images. Omit stream (or send false) to get them in one answer.');
	}
	const size = sizeArguments(request.size, entry, available);
	if (!size.ok) return size;
	const quality = qualityArgument(request.quality, entry, available);
	if (!quality.ok) return quality;
	const background = backgroundArgument(request.background, entry, available);
	if (!background.ok) return background;
	const caps = entry.capabilities;
	return ok({
		prompt: request.prompt,
		model: entry.alias,
		count: request.n,
		...size.value,
		...(quality.value === undefined ? {} : { quality: quality.value }),
		...(request.style !== undefined && caps.style?.values.includes(request.style) ? { style: request.style } : {}),
		...(background.value === undefined ? {} : { background: background.value }),
		...(request.output_format !== undefined && caps.outputFormat?.values.includes(request.output_format)
			? { output_format: request.output_format }
			: {}),
		...(request.confirmation === undefined ? {} : { confirmation: request.confirmation }),
	});
}

function qualityArgument(
	quality: OpenAiQuality | undefined,
	entry: ModelEntry,
	available: readonly ModelEntry[],
): Result<string | undefined, string> {
	if (quality === undefined) return ok(undefined);
	const choice = entry.capabilities.quality;
	if (!choice) {
		if (quality === 'standard' || quality === 'auto') return ok(undefined);
		return err(
			`quality: ${entry.alias} has one quality level, so "${quality}" cannot be honoured. Send "standard" or "auto" (or omit quality), or use a model with quality levels: ${modelNamesWhere(available, (other) => other.capabilities.quality !== undefined)}.`,
		);
	}
	if (choice.values.includes(quality)) return ok(quality);
	if (quality === 'auto') return ok(undefined);
	const equivalent = QUALITY_EQUIVALENTS[quality].find((value) => choice.values.includes(value));
	return equivalent
		? ok(equivalent)
		: err(`quality: ${entry.alias} takes ${choice.values.join(', ')}; "${quality}" is none of them.`);
}

function backgroundArgument(
	background: 'transparent' | 'opaque' | 'auto' | undefined,
	entry: ModelEntry,
	available: readonly ModelEntry[],
): Result<string | undefined, string> {
	if (background === undefined) return ok(undefined);
	const choice = entry.capabilities.background;
	if (choice?.values.includes(background)) return ok(background);
	if (background !== 'transparent') return ok(undefined);
	return err(
		`background: ${entry.alias} cannot make a transparent background. Omit background, or use a model that can: ${modelNamesWhere(available, (other) => other.capabilities.background?.values.includes('transparent') ?? false)}.`,
	);
}
