/**
 * The OpenAI image models this server offers (DESIGN.md §6): sizes, options and prices.
 * The request code is in openai.ts.
 */
import { openAiProvider } from './openai';
import type { ModelCapabilities, ModelEntry, Pricing } from './types';

const GPT_IMAGE_SIZES = ['1024x1024', '1536x1024', '1024x1536'] as const;
const DALL_E_3_SIZES = ['1024x1024', '1792x1024', '1024x1792'] as const;
const DALL_E_2_SIZES = ['256x256', '512x512', '1024x1024'] as const;

/**
 * A `quality:WxH` price table from per-quality rows (one price per size, in `sizes` order).
 * `auto` lets OpenAI choose the quality, so it is priced as the dearest row: never an underestimate.
 */
function qualityPricing(
	sizes: readonly string[],
	rows: Readonly<Record<string, readonly number[]>>,
	dearest?: string,
): Pricing {
	const usd: Record<string, number> = {};
	for (const [quality, prices] of Object.entries(rows)) {
		sizes.forEach((size, index) => {
			usd[`${quality}:${size}`] = prices[index] ?? Math.max(...prices);
		});
	}
	if (dearest) {
		for (const size of sizes) usd[`auto:${size}`] = usd[`${dearest}:${size}`] ?? 0;
	}
	return { kind: 'table', usd };
}

/**
 * What every GPT Image model takes (API reference, images/create and images/createEdit):
 * three sizes, quality low/medium/high/auto (default auto), background transparent/opaque/auto,
 * png/jpeg/webp, up to 16 input images with an optional mask, n up to 10, no seed.
 */
const GPT_IMAGE: ModelCapabilities = {
	size: { kind: 'list', sizes: GPT_IMAGE_SIZES },
	defaultSize: { width: 1024, height: 1024 },
	seed: 'none',
	negativePrompt: false,
	maxReferenceImages: 16,
	requiresReferenceImage: false,
	mask: 'optional',
	strength: false,
	quality: { values: ['low', 'medium', 'high', 'auto'], default: 'auto' },
	background: { values: ['transparent', 'opaque', 'auto'], default: 'auto' },
	outputFormat: { values: ['png', 'jpeg', 'webp'], default: 'png' },
	sampler: false,
	imagesPerCall: 10,
	goodAtText: true,
};

/**
 * OpenAI image models. Prices are OpenAI's per-image output prices (platform.openai.com/docs/pricing,
 * "Image generation"); prompt and input-image tokens of GPT Image models are billed on top and
 * are small next to them, except for edits with many reference images.
 */
export const OPENAI_MODELS: readonly ModelEntry[] = [
	{
		alias: 'gpt-image-1.5',
		aliases: ['gpt-image-1-5'],
		provider: openAiProvider,
		upstreamId: 'gpt-image-1.5',
		label: 'OpenAI GPT Image 1.5',
		useFor:
			"OpenAI's best image model here: legible text (posters, logos, signs), close prompt following, transparent backgrounds, and edits of up to 16 reference images with a mask.",
		goodAt: 'text and logos, transparent cut-outs, precise edits',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: GPT_IMAGE,
		pricing: qualityPricing(
			GPT_IMAGE_SIZES,
			{ low: [0.009, 0.013, 0.013], medium: [0.034, 0.05, 0.05], high: [0.133, 0.2, 0.2] },
			'high',
		),
		typicalLatencyMs: 25_000,
	},
	{
		alias: 'gpt-image-1',
		aliases: [],
		provider: openAiProvider,
		upstreamId: 'gpt-image-1',
		label: 'OpenAI GPT Image 1',
		useFor:
			'Text in images, transparent backgrounds and multi-image edits like gpt-image-1.5, but slower and dearer; for keeping the look of earlier gpt-image-1 work.',
		goodAt: 'text, transparency and edits in the earlier gpt-image look',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: GPT_IMAGE,
		pricing: qualityPricing(
			GPT_IMAGE_SIZES,
			{ low: [0.011, 0.016, 0.016], medium: [0.042, 0.063, 0.063], high: [0.167, 0.25, 0.25] },
			'high',
		),
		typicalLatencyMs: 40_000,
	},
	{
		alias: 'gpt-image-1-mini',
		aliases: [],
		provider: openAiProvider,
		upstreamId: 'gpt-image-1-mini',
		label: 'OpenAI GPT Image 1 mini',
		useFor:
			'The cheapest OpenAI images: drafts and volume work that still needs readable text, transparency or reference-image edits.',
		goodAt: 'cheap drafts that need text or transparency',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: GPT_IMAGE,
		pricing: qualityPricing(
			GPT_IMAGE_SIZES,
			{ low: [0.005, 0.006, 0.006], medium: [0.011, 0.015, 0.015], high: [0.036, 0.052, 0.052] },
			'high',
		),
		typicalLatencyMs: 20_000,
	},
	{
		alias: 'dall-e-3',
		aliases: ['dalle-3', 'dalle3'],
		provider: openAiProvider,
		upstreamId: 'dall-e-3',
		label: 'OpenAI DALL·E 3',
		useFor:
			'Vivid or natural-looking illustrations in wide or tall formats (1792 px); rewrites the prompt and returns the one it used. No edits.',
		goodAt: 'vivid illustrations in wide or tall formats',
		lifecycle: {
			status: 'deprecated',
			replacement: 'gpt-image-1',
			// https://developers.openai.com/api/docs/deprecations (DALL·E, announced 2025-11-14).
			note: 'OpenAI retired DALL·E 3: shutdown date 2026-05-12, replacements gpt-image-1 and gpt-image-1-mini (OpenAI deprecations page).',
		},
		notAi: false,
		capabilities: {
			size: { kind: 'list', sizes: DALL_E_3_SIZES },
			defaultSize: { width: 1024, height: 1024 },
			seed: 'none',
			negativePrompt: false,
			maxReferenceImages: 0,
			requiresReferenceImage: false,
			mask: false,
			strength: false,
			quality: { values: ['standard', 'hd'], default: 'standard' },
			style: { values: ['vivid', 'natural'], default: 'vivid' },
			sampler: false,
			// The API takes only n=1 for dall-e-3.
			imagesPerCall: 1,
			goodAtText: true,
		},
		pricing: qualityPricing(DALL_E_3_SIZES, { standard: [0.04, 0.08, 0.08], hd: [0.08, 0.12, 0.12] }),
		typicalLatencyMs: 15_000,
	},
	{
		alias: 'dall-e-2',
		aliases: ['dalle-2', 'dalle2'],
		provider: openAiProvider,
		upstreamId: 'dall-e-2',
		label: 'OpenAI DALL·E 2',
		useFor:
			'Small, cheap OpenAI images (256–1024 px squares) and inpainting of one square PNG with a mask; poor at text.',
		goodAt: 'small, cheap square images',
		lifecycle: {
			status: 'deprecated',
			replacement: 'gpt-image-1-mini',
			// https://developers.openai.com/api/docs/deprecations (DALL·E, announced 2025-11-14).
			note: 'OpenAI retired DALL·E 2: shutdown date 2026-05-12, replacements gpt-image-1 and gpt-image-1-mini (OpenAI deprecations page).',
		},
		notAi: false,
		capabilities: {
			size: { kind: 'list', sizes: DALL_E_2_SIZES },
			defaultSize: { width: 1024, height: 1024 },
			seed: 'none',
			negativePrompt: false,
			maxReferenceImages: 1,
			requiresReferenceImage: false,
			mask: 'optional',
			strength: false,
			sampler: false,
			imagesPerCall: 10,
			goodAtText: false,
		},
		pricing: { kind: 'table', usd: { '256x256': 0.016, '512x512': 0.018, '1024x1024': 0.02 } },
		typicalLatencyMs: 8_000,
	},
];
