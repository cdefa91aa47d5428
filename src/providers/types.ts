/**
 * The one interface every image provider implements, and the catalog entry that describes a
 * model (DESIGN.md §6). Tools validate requests against `ModelCapabilities`; the consumer
 * hands a provider a fully resolved `GenerationRequest`.
 */

/** Gemini-style resolution tiers. */
export type ImageSizeTier = '1K' | '2K' | '4K';

/** An input image the consumer has already loaded (an earlier generation or a fetched URL). */
export interface ReferenceImage {
	bytes: Uint8Array;
	/** Sniffed from the bytes: image/png, image/jpeg, image/webp or image/gif. */
	contentType: string;
	width: number;
	height: number;
}

/** What the consumer asks a provider for: one call, one image of one prompt. */
export interface GenerationRequest {
	/** Catalog alias, e.g. `offline` or `flux-schnell`. */
	model: string;
	/** Provider-side model id after configuration overrides, e.g. `@cf/black-forest-labs/flux-1-schnell`. */
	upstreamId: string;
	prompt: string;
	negativePrompt?: string;
	/** Pixel size: the exact size for sized models, the nominal size for ratio- or list-sized ones. */
	width: number;
	height: number;
	/** Set for models sized by aspect ratio (Gemini), e.g. `16:9`. */
	aspectRatio?: string;
	/** Set for models with resolution tiers (Gemini). */
	imageSize?: ImageSizeTier;
	/** Set when the model takes a seed (capabilities.seed !== 'none'); chosen at creation if not given. */
	seed?: number;
	steps?: number;
	/** Guidance / CFG scale. */
	guidance?: number;
	/** OpenAI quality (gpt-image: low/medium/high/auto; dall-e-3: standard/hd). */
	quality?: string;
	/** dall-e-3 style: vivid or natural. */
	style?: string;
	/** gpt-image background: transparent, opaque or auto. */
	background?: string;
	/** Encoding asked of the provider (gpt-image): png, jpeg or webp. */
	outputFormat?: string;
	/** SD WebUI sampler name, e.g. `DPM++ 2M`. */
	sampler?: string;
	/** img2img: how far to move from the reference, 0–1. */
	strength?: number;
	/** Input images, in the order the caller gave them. Empty or undefined: text-to-image. */
	referenceImages?: ReferenceImage[];
	/** Inpainting mask (white = repaint), for models with capabilities.mask. */
	mask?: ReferenceImage;
}

/** One generated image as raw bytes; the consumer sniffs the real format. */
export interface GeneratedImage {
	bytes: Uint8Array;
	/** Seed the provider reports having used; omitted when it exposes none. */
	seed?: number;
	/** The prompt the provider actually used, when it rewrites prompts (dall-e-3). */
	revisedPrompt?: string;
}

export interface ProviderContext {
	env: Env;
	/** Aborts when the per-call timeout passes; providers must pass it to fetch/AI.run. */
	signal: AbortSignal;
}

export interface ImageProvider {
	/** Short id shown in list_models: `offline`, `workers-ai`, `openai`, `gemini`, `sd-webui`. */
	readonly id: string;
	/** Whether the binding or secret this provider needs is present. */
	isConfigured(env: Env): boolean;
	/** What to set to enable this provider, for list_models and error messages. */
	readonly configuredBy: string;
	/** Throws ProviderError on failure. */
	generate(request: GenerationRequest, context: ProviderContext): Promise<GeneratedImage>;
}

/** How a model is sized. */
export type SizeSpec =
	/** Always this size; the caller may not choose. */
	| { kind: 'fixed'; width: number; height: number }
	/** Any width and height in [min, max], multiples of `multipleOf`. */
	| { kind: 'range'; min: number; max: number; multipleOf: number }
	/** One of the listed `WxH` sizes. */
	| { kind: 'list'; sizes: readonly string[] }
	/** An aspect ratio from the list, at one of the resolution tiers. */
	| { kind: 'aspect'; ratios: readonly string[]; tiers: readonly ImageSizeTier[] };

export interface NumberRange {
	min: number;
	max: number;
	default: number;
}

/** A closed set of values with the one used when the caller gives none. */
export interface Choice {
	values: readonly string[];
	default: string;
}

export interface ModelCapabilities {
	size: SizeSpec;
	/** Size when the caller gives none. For `aspect` models: the nominal size of the default ratio and tier. */
	defaultSize: { width: number; height: number };
	/** Undefined: the model takes no steps parameter. */
	steps?: NumberRange;
	/** `exact`: same seed, same image. `none`: the provider takes no seed and none is recorded. */
	seed: 'exact' | 'best_effort' | 'none';
	negativePrompt: boolean;
	guidance?: NumberRange;
	/** How many reference images the model accepts (0: none). */
	maxReferenceImages: number;
	/** img2img and inpainting models cannot run without a reference image. */
	requiresReferenceImage: boolean;
	/** Takes an inpainting mask; `required` for inpainting-only models. */
	mask: false | 'optional' | 'required';
	/** Takes `strength` (img2img). */
	strength: boolean;
	quality?: Choice;
	style?: Choice;
	/** Background choices; includes `transparent` when the model can make one. */
	background?: Choice;
	outputFormat?: Choice;
	/** Takes a free-form sampler name (SD WebUI). */
	sampler: boolean;
	/** Most images the upstream API makes in one call (informational: each job asks for one). */
	imagesPerCall: number;
	/** Renders legible text (signs, logos, posters); `model: "auto"` prefers these for text. */
	goodAtText: boolean;
}

/**
 * Estimated price per image. `per_megapixel` scales with the pixel count; `table` is keyed by
 * what drives the price (for OpenAI `quality:size`, for Gemini the tier), see `priceKey`.
 */
export type Pricing = { kind: 'per_megapixel'; usd: number } | { kind: 'table'; usd: Readonly<Record<string, number>> };

/**
 * Where a model is in its provider's life: `current`; `legacy` (still served, superseded: move
 * when you can); `deprecated` (the provider has announced or carried out its shutdown).
 * list_models warns about every configured model that is not current, and `model: "auto"`
 * never picks a deprecated one.
 */
export interface Lifecycle {
	status: 'current' | 'legacy' | 'deprecated';
	/** The catalog alias to move to. */
	replacement?: string;
	/** The provider's date or words, and where they are from. */
	note?: string;
}

export interface ModelEntry {
	/** Public name used in `model`. */
	alias: string;
	/** Other accepted names (upstream id included), resolved to `alias`. */
	aliases: readonly string[];
	provider: ImageProvider;
	upstreamId: string;
	label: string;
	/** One line for a model choosing between entries. */
	useFor: string;
	/** What it is best at, in a few words ("photorealism", "text and logos"): list_models' `good_at`. */
	goodAt: string;
	lifecycle: Lifecycle;
	/** True for the built-in test-pattern provider: its images are not AI-generated. */
	notAi: boolean;
	capabilities: ModelCapabilities;
	pricing: Pricing;
	typicalLatencyMs: number;
}
