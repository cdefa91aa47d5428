/**
 * The Gemini image models this server offers (DESIGN.md §6), and the pixel sizes Gemini
 * delivers per aspect ratio and tier. The request code is in gemini.ts.
 */
import { geminiProvider } from './gemini';
import type { ImageSizeTier, ModelCapabilities, ModelEntry } from './types';

/**
 * Output pixel size of each aspect ratio at 1K, from the size table of the image-generation
 * docs (the Gemini 3 Pro Image table for the ten common ratios; the 1:4, 4:1, 1:8 and 8:1 rows
 * are Gemini 3.1 Flash Image's). In that table 2K and 4K are exactly twice and four times 1K,
 * e.g. 21:9 is 1584×672, 3168×1344, 6336×2688.
 */
const SIZE_AT_1K: Readonly<Record<string, readonly [number, number]>> = {
	'1:1': [1024, 1024],
	'2:3': [848, 1264],
	'3:2': [1264, 848],
	'3:4': [896, 1200],
	'4:3': [1200, 896],
	'4:5': [928, 1152],
	'5:4': [1152, 928],
	'9:16': [768, 1376],
	'16:9': [1376, 768],
	'21:9': [1584, 672],
	'1:4': [512, 2064],
	'4:1': [2064, 512],
	'1:8': [352, 2928],
	'8:1': [2928, 352],
};

const TIER_SCALE: Readonly<Record<ImageSizeTier, number>> = { '1K': 1, '2K': 2, '4K': 4 };

/**
 * The pixel size Gemini delivers for `ratio` at `tier`, from the docs' table, so cost and
 * display can show width and height before the image exists. A ratio outside the table (it
 * cannot pass validation) gets about a megapixel per 1K in that shape, in multiples of 16.
 */
export function geminiNominalSize(ratio: string, tier: ImageSizeTier): { width: number; height: number } {
	const scale = TIER_SCALE[tier] ?? 1;
	const known = SIZE_AT_1K[ratio];
	if (known) return { width: known[0] * scale, height: known[1] * scale };
	const [w, h] = ratio.split(':').map(Number) as [number, number];
	const shape = w > 0 && h > 0 ? w / h : 1;
	return {
		width: Math.round((1024 * Math.sqrt(shape)) / 16) * 16 * scale,
		height: Math.round(1024 / Math.sqrt(shape) / 16) * 16 * scale,
	};
}

/** Capabilities both models share; they differ in ratios. */
function geminiCapabilities(ratios: readonly string[]): ModelCapabilities {
	return {
		size: { kind: 'aspect', ratios, tiers: ['1K', '2K', '4K'] },
		defaultSize: geminiNominalSize('1:1', '1K'),
		// GenerationConfig.seed is accepted; Google promises best effort, not the same image.
		seed: 'best_effort',
		negativePrompt: false,
		// Image generation docs: up to 14 reference images for both Gemini 3 image models.
		maxReferenceImages: 14,
		requiresReferenceImage: false,
		mask: false,
		strength: false,
		sampler: false,
		// candidateCount is 1 for these models; one call makes one image.
		imagesPerCall: 1,
		goodAtText: true,
	};
}

/** The ten ratios of the docs' table. */
const COMMON_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;

/**
 * Gemini image models. The upstream ids are the GA ones: the `-preview` ids were shut down on
 * 2026-06-25 (https://ai.google.dev/gemini-api/docs/deprecations) and stay accepted names here.
 * Prices are Google's per-image figures (output image tokens at the image rate): flash 1120,
 * 1680, 2520 tokens at $60/M; pro 1120 tokens (1K, 2K) and 2000 (4K) at $120/M.
 */
export const GEMINI_MODELS: readonly ModelEntry[] = [
	{
		alias: 'flash',
		aliases: ['gemini-3.1-flash-image', 'gemini-3.1-flash-image-preview', 'nano-banana-2'],
		provider: geminiProvider,
		upstreamId: 'gemini-3.1-flash-image',
		label: 'Gemini 3.1 Flash Image ("Nano Banana 2")',
		useFor:
			'Drafts, iterations and simple scenes: fast and cheap, edits from up to 14 reference images ("same scene at night"), legible text, extra-wide and tall ratios (4:1, 8:1, 1:4, 1:8).',
		goodAt: 'fast edits and drafts, extreme aspect ratios',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: geminiCapabilities([...COMMON_RATIOS, '1:4', '4:1', '1:8', '8:1']),
		pricing: { kind: 'table', usd: { '1K': 0.067, '2K': 0.101, '4K': 0.151 } },
		typicalLatencyMs: 15_000,
	},
	{
		alias: 'pro',
		aliases: ['gemini-3-pro-image', 'gemini-3-pro-image-preview', 'nano-banana-pro'],
		provider: geminiProvider,
		upstreamId: 'gemini-3-pro-image',
		label: 'Gemini 3 Pro Image ("Nano Banana Pro")',
		useFor:
			'Final renders and text in images (posters, infographics, menus, diagrams): thinks before drawing, best text and instruction following; slower and dearer than flash.',
		goodAt: 'highest quality: text, infographics, final renders',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: geminiCapabilities(COMMON_RATIOS),
		pricing: { kind: 'table', usd: { '1K': 0.134, '2K': 0.134, '4K': 0.24 } },
		typicalLatencyMs: 30_000,
	},
];
