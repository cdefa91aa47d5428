/**
 * The Workers AI models this server offers (DESIGN.md §6): upstream ids, sizes, options and
 * prices, from each model's page at https://developers.cloudflare.com/workers-ai/models/<name>/
 * and https://developers.cloudflare.com/workers-ai/platform/pricing/. The request code is in
 * workers-ai.ts.
 */
import type { ModelCapabilities, ModelEntry } from './types';
import { FLUX2_MAX_INPUT_IMAGES, workersAiProvider } from './workers-ai';

const FLUX_SCHNELL = '@cf/black-forest-labs/flux-1-schnell';
const SDXL_LIGHTNING = '@cf/bytedance/stable-diffusion-xl-lightning';
const SDXL_BASE = '@cf/stabilityai/stable-diffusion-xl-base-1.0';
const DREAMSHAPER = '@cf/lykon/dreamshaper-8-lcm';
const SD15_IMG2IMG = '@cf/runwayml/stable-diffusion-v1-5-img2img';
const SD15_INPAINTING = '@cf/runwayml/stable-diffusion-v1-5-inpainting';
const FLUX2_DEV = '@cf/black-forest-labs/flux-2-dev';
const FLUX2_KLEIN_4B = '@cf/black-forest-labs/flux-2-klein-4b';
const FLUX2_KLEIN_9B = '@cf/black-forest-labs/flux-2-klein-9b';
const LUCID_ORIGIN = '@cf/leonardo/lucid-origin';
const PHOENIX = '@cf/leonardo/phoenix-1.0';

/**
 * The shared Stable Diffusion schema: width/height 256–2048, `num_steps` default and maximum
 * 20, `guidance` default 7.5 (no bounds given), `strength` 0–1 default 1, optional `image`
 * and `mask` for img2img and inpainting.
 */
const SD_BASE: ModelCapabilities = {
	size: { kind: 'range', min: 256, max: 2048, multipleOf: 8 },
	defaultSize: { width: 1024, height: 1024 },
	steps: { min: 1, max: 20, default: 20 },
	seed: 'exact',
	negativePrompt: true,
	guidance: { min: 0, max: 30, default: 7.5 },
	maxReferenceImages: 1,
	requiresReferenceImage: false,
	mask: 'optional',
	strength: true,
	sampler: false,
	imagesPerCall: 1,
	goodAtText: false,
};

/** Stable Diffusion 1.5 derivatives work natively at 512×512. */
const SD15: ModelCapabilities = { ...SD_BASE, defaultSize: { width: 512, height: 512 } };

/**
 * What the two Leonardo models share: text-to-image only, exact seeds, good at text (their
 * pages: Lucid Origin "renders text with accuracy"; Phoenix "coherent text").
 */
const LEONARDO_BASE: ModelCapabilities = {
	size: { kind: 'range', min: 256, max: 2048, multipleOf: 8 },
	defaultSize: { width: 1024, height: 1024 },
	seed: 'exact',
	negativePrompt: false,
	maxReferenceImages: 0,
	requiresReferenceImage: false,
	mask: false,
	strength: false,
	sampler: false,
	imagesPerCall: 1,
	goodAtText: true,
};

/**
 * FLUX.2 on Workers AI (changelog 2025-11-25 and the klein launches): width/height 256–1920,
 * default 1024×768, up to 4 reference images, each "smaller than 512x512". The step of 16 is
 * FLUX.2's latent grid (BFL's API takes edges in multiples of 16); the Workers AI docs give
 * none. Guidance bounds are not documented; 1–10 is BFL's range for FLUX.2.
 */
const FLUX2_BASE: ModelCapabilities = {
	size: { kind: 'range', min: 256, max: 1920, multipleOf: 16 },
	defaultSize: { width: 1024, height: 768 },
	seed: 'exact',
	negativePrompt: false,
	guidance: { min: 1, max: 10, default: 4 },
	maxReferenceImages: FLUX2_MAX_INPUT_IMAGES,
	requiresReferenceImage: false,
	mask: false,
	strength: false,
	sampler: false,
	imagesPerCall: 1,
	// BFL presents FLUX.2 with "professional-class text rendering"; the Workers AI notes
	// suggest infographics and landing pages. Klein is distilled from the same family.
	goodAtText: true,
};

/** The distilled klein models run a "fixed 4-step inference process"; steps are not sent. */
const KLEIN_STEPS = { min: 4, max: 4, default: 4 };

const FLUX2_REFERENCE_NOTE = 'Up to 4 reference images, each at most 512×512.';

/** Workers AI text-to-image models (anchors-cloudflare.md §4). */
export const WORKERS_AI_MODELS: readonly ModelEntry[] = [
	{
		alias: 'flux-schnell',
		aliases: [FLUX_SCHNELL, 'flux-1-schnell'],
		provider: workersAiProvider,
		upstreamId: FLUX_SCHNELL,
		label: 'FLUX.1 [schnell] on Workers AI',
		useFor: 'Fast, good-quality general images; the default when Workers AI is available. Always 1024×1024.',
		goodAt: 'fast everyday images and drafts',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: {
			size: { kind: 'fixed', width: 1024, height: 1024 },
			defaultSize: { width: 1024, height: 1024 },
			// Workers AI schema: steps default 4, maximum 8.
			steps: { min: 1, max: 8, default: 4 },
			seed: 'exact',
			negativePrompt: false,
			maxReferenceImages: 0,
			requiresReferenceImage: false,
			mask: false,
			strength: false,
			sampler: false,
			imagesPerCall: 1,
			goodAtText: false,
		},
		// $0.0000528 per 512×512 tile and $0.0001056 per step: 4 tiles + 4 steps.
		pricing: { kind: 'per_megapixel', usd: 0.000634 },
		typicalLatencyMs: 4000,
	},
	{
		alias: 'sdxl-lightning',
		aliases: [SDXL_LIGHTNING],
		provider: workersAiProvider,
		upstreamId: SDXL_LIGHTNING,
		label: 'SDXL Lightning on Workers AI (beta)',
		useFor: 'Quick Stable Diffusion XL images at a chosen size, with negative prompts.',
		goodAt: 'quick drafts with negative prompts',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: SD_BASE,
		// Beta: the model page lists $0.00 per step.
		pricing: { kind: 'per_megapixel', usd: 0 },
		typicalLatencyMs: 8000,
	},
	{
		alias: 'sdxl-base',
		aliases: [SDXL_BASE, 'sdxl'],
		provider: workersAiProvider,
		upstreamId: SDXL_BASE,
		label: 'Stable Diffusion XL base 1.0 on Workers AI (beta)',
		useFor: 'Highest-detail SDXL images when speed matters less, with negative prompts.',
		goodAt: 'detailed illustration and concept art',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: SD_BASE,
		// Beta and absent from the pricing page: not billed at the time of writing.
		pricing: { kind: 'per_megapixel', usd: 0 },
		typicalLatencyMs: 15000,
	},
	{
		alias: 'dreamshaper',
		aliases: [DREAMSHAPER, 'dreamshaper-8-lcm'],
		provider: workersAiProvider,
		upstreamId: DREAMSHAPER,
		label: 'DreamShaper 8 LCM on Workers AI (beta)',
		useFor: 'Photorealistic Stable Diffusion 1.5 images (DreamShaper 8) at a chosen size, with negative prompts.',
		goodAt: 'photorealism and portraits (SD 1.5)',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: SD15,
		// Beta and absent from the pricing page: not billed at the time of writing.
		pricing: { kind: 'per_megapixel', usd: 0 },
		typicalLatencyMs: 6000,
	},
	{
		alias: 'sd-1.5-img2img',
		aliases: [SD15_IMG2IMG, 'sd15-img2img'],
		provider: workersAiProvider,
		upstreamId: SD15_IMG2IMG,
		label: 'Stable Diffusion 1.5 img2img on Workers AI (beta)',
		useFor:
			'Reworking one existing image (required) after the prompt; strength 0–1 sets how far it may move from it (Workers AI default 1: furthest).',
		goodAt: 'reworking one existing image',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: { ...SD15, requiresReferenceImage: true, mask: false },
		// Beta: the model page lists $0.00 per step.
		pricing: { kind: 'per_megapixel', usd: 0 },
		typicalLatencyMs: 8000,
	},
	{
		alias: 'sd-1.5-inpainting',
		aliases: [SD15_INPAINTING, 'sd15-inpainting'],
		provider: workersAiProvider,
		upstreamId: SD15_INPAINTING,
		label: 'Stable Diffusion 1.5 inpainting on Workers AI (beta)',
		useFor: 'Repainting only the white part of a mask over one existing image (both required), after the prompt.',
		goodAt: 'repainting a masked area',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: { ...SD15, requiresReferenceImage: true, mask: 'required' },
		// Beta: the model page lists $0.00 per step.
		pricing: { kind: 'per_megapixel', usd: 0 },
		typicalLatencyMs: 8000,
	},
	{
		alias: 'flux-2-dev',
		aliases: [FLUX2_DEV],
		provider: workersAiProvider,
		upstreamId: FLUX2_DEV,
		label: 'FLUX.2 [dev] on Workers AI',
		useFor: `Highest-quality FLUX.2 images and edits, legible text, multi-reference composition; slow. ${FLUX2_REFERENCE_NOTE}`,
		goodAt: 'photorealism, fine detail and multi-reference edits',
		lifecycle: { status: 'current' },
		notAi: false,
		// Steps: the docs give no range or default; 25 is their example, 50 BFL's reference maximum.
		capabilities: { ...FLUX2_BASE, steps: { min: 1, max: 50, default: 25 } },
		// $0.00041 per output 512×512 tile per step: 4 tiles × 25 steps. Reference images add
		// $0.00021 per input tile per step, not counted here.
		pricing: { kind: 'per_megapixel', usd: 0.041 },
		typicalLatencyMs: 30000,
	},
	{
		alias: 'flux-2-klein-4b',
		aliases: [FLUX2_KLEIN_4B],
		provider: workersAiProvider,
		upstreamId: FLUX2_KLEIN_4B,
		label: 'FLUX.2 [klein] 4B on Workers AI',
		useFor: `Fast, cheap FLUX.2 generation and reference-guided edits (fixed 4 steps). ${FLUX2_REFERENCE_NOTE}`,
		goodAt: 'fast, cheap drafts and quick edits',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: { ...FLUX2_BASE, steps: KLEIN_STEPS },
		// $0.000287 per output 512×512 tile (4 tiles); $0.000059 per input tile not counted.
		pricing: { kind: 'per_megapixel', usd: 0.001148 },
		typicalLatencyMs: 3000,
	},
	{
		alias: 'flux-2-klein-9b',
		aliases: [FLUX2_KLEIN_9B],
		provider: workersAiProvider,
		upstreamId: FLUX2_KLEIN_9B,
		label: 'FLUX.2 [klein] 9B on Workers AI',
		useFor: `Fast FLUX.2 with better quality than klein 4B, generation and reference-guided edits (fixed 4 steps). ${FLUX2_REFERENCE_NOTE}`,
		goodAt: 'fast good-quality images and edits',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: { ...FLUX2_BASE, steps: KLEIN_STEPS },
		// $0.015 for the first megapixel, $0.002 per further output or input megapixel: exact
		// at 1024×1024, an overestimate above it, an underestimate below.
		pricing: { kind: 'per_megapixel', usd: 0.015 },
		typicalLatencyMs: 5000,
	},
	{
		alias: 'lucid-origin',
		aliases: [LUCID_ORIGIN],
		provider: workersAiProvider,
		upstreamId: LUCID_ORIGIN,
		label: 'Leonardo Lucid Origin on Workers AI',
		useFor: 'Close prompt adherence, graphic design and accurate text (posters, product mockups), sizes up to 2500 px.',
		goodAt: 'text, logos and graphic design',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: {
			...LEONARDO_BASE,
			// Schema: width/height 0–2500, default 1120; 256 is a sensible floor, 8 the usual grid.
			size: { kind: 'range', min: 256, max: 2500, multipleOf: 8 },
			defaultSize: { width: 1120, height: 1120 },
			// Schema: steps 1–40 with no default; 25 is Phoenix's documented default (same vendor).
			steps: { min: 1, max: 40, default: 25 },
			guidance: { min: 0, max: 10, default: 4.5 },
		},
		// $0.006996 per 512×512 tile and $0.000132 per step: 4 tiles + 25 steps.
		pricing: { kind: 'per_megapixel', usd: 0.031284 },
		typicalLatencyMs: 12000,
	},
	{
		alias: 'phoenix',
		aliases: [PHOENIX, 'phoenix-1.0'],
		provider: workersAiProvider,
		upstreamId: PHOENIX,
		label: 'Leonardo Phoenix 1.0 on Workers AI',
		useFor: 'Strong prompt adherence and coherent text, with negative prompts, sizes up to 2048 px.',
		goodAt: 'prompt adherence, coherent text, illustration',
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: {
			...LEONARDO_BASE,
			// Schema: width/height 0–2048, default 1024; 256 is a sensible floor, 8 the usual grid.
			size: { kind: 'range', min: 256, max: 2048, multipleOf: 8 },
			steps: { min: 1, max: 50, default: 25 },
			negativePrompt: true,
			guidance: { min: 2, max: 10, default: 2 },
		},
		// $0.005830 per 512×512 tile and $0.000110 per step: 4 tiles + 25 steps.
		pricing: { kind: 'per_megapixel', usd: 0.02607 },
		typicalLatencyMs: 10000,
	},
];
