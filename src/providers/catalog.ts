/**
 * The model catalog (DESIGN.md §6): one entry per public model name, with what it can do,
 * what it costs and how long it takes. Tools validate requests against it; the consumer
 * finds the provider through it.
 */
import { offlineProvider } from './offline';
import type { ImageProvider } from './types';
import { workersAiProvider } from './workers-ai';

export interface SizeRange {
	min: number;
	max: number;
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
	/** True for the built-in test-pattern provider: its images are not AI-generated. */
	notAi: boolean;
	/** Width/height range when the caller may choose the size; undefined means a fixed size. */
	sizeRange: SizeRange | undefined;
	defaultSize: { width: number; height: number };
	steps: { min: number; max: number; default: number };
	supportsNegativePrompt: boolean;
	/** Estimated USD per 1024×1024 image; scaled by pixel count for other sizes. */
	costPerMegapixelUsd: number;
	typicalLatencyMs: number;
}

const SDXL_SIZES: SizeRange = { min: 256, max: 2048 };

/** Every model this build knows. Which of them a deployment offers depends on its bindings. */
export const MODEL_CATALOG: readonly ModelEntry[] = [
	{
		alias: 'offline',
		aliases: ['placeholder', 'test-pattern'],
		provider: offlineProvider,
		upstreamId: 'builtin/test-pattern',
		label: 'Built-in offline test pattern (not AI)',
		useFor:
			'Trying the service with no account, tests and benchmarks: draws a deterministic pattern from the prompt and seed, free and instant.',
		notAi: true,
		sizeRange: { min: 64, max: 2048 },
		defaultSize: { width: 1024, height: 1024 },
		steps: { min: 1, max: 50, default: 4 },
		supportsNegativePrompt: true,
		costPerMegapixelUsd: 0,
		typicalLatencyMs: 50,
	},
	{
		alias: 'flux-schnell',
		aliases: ['@cf/black-forest-labs/flux-1-schnell', 'flux-1-schnell'],
		provider: workersAiProvider,
		upstreamId: '@cf/black-forest-labs/flux-1-schnell',
		label: 'FLUX.1 [schnell] on Workers AI',
		useFor: 'Fast, good-quality general images; the default when Workers AI is available. Always 1024×1024.',
		notAi: false,
		sizeRange: undefined,
		defaultSize: { width: 1024, height: 1024 },
		// Workers AI schema: steps default 4, maximum 8.
		steps: { min: 1, max: 8, default: 4 },
		supportsNegativePrompt: false,
		// Workers AI pricing: $0.0000528 per 512×512 tile and $0.0001056 per step (4 tiles, 4 steps).
		costPerMegapixelUsd: 0.00064,
		typicalLatencyMs: 4000,
	},
	{
		alias: 'sdxl-lightning',
		aliases: ['@cf/bytedance/stable-diffusion-xl-lightning'],
		provider: workersAiProvider,
		upstreamId: '@cf/bytedance/stable-diffusion-xl-lightning',
		label: 'SDXL Lightning on Workers AI (beta)',
		useFor: 'Quick Stable Diffusion XL images at a chosen size, with negative prompts.',
		notAi: false,
		sizeRange: SDXL_SIZES,
		defaultSize: { width: 1024, height: 1024 },
		steps: { min: 1, max: 20, default: 20 },
		supportsNegativePrompt: true,
		// Beta models are not billed at the time of writing.
		costPerMegapixelUsd: 0,
		typicalLatencyMs: 8000,
	},
	{
		alias: 'sdxl-base',
		aliases: ['@cf/stabilityai/stable-diffusion-xl-base-1.0', 'sdxl'],
		provider: workersAiProvider,
		upstreamId: '@cf/stabilityai/stable-diffusion-xl-base-1.0',
		label: 'Stable Diffusion XL base 1.0 on Workers AI (beta)',
		useFor: 'Highest-detail SDXL images when speed matters less, with negative prompts.',
		notAi: false,
		sizeRange: SDXL_SIZES,
		defaultSize: { width: 1024, height: 1024 },
		steps: { min: 1, max: 20, default: 20 },
		supportsNegativePrompt: true,
		costPerMegapixelUsd: 0,
		typicalLatencyMs: 15000,
	},
];

/** Preference order for the default model when DEFAULT_MODEL is not set. */
const DEFAULT_PREFERENCE = ['flux-schnell', 'offline'];

/**
 * The provider that runs `entry` in this deployment: its own when configured; in local dev
 * (no Workers AI offline), the offline provider stands in for Workers AI models so the
 * seed's examples (`"model": "flux-schnell"`) work verbatim. Undefined: not available here.
 */
export function providerFor(entry: ModelEntry, env: Env): ImageProvider | undefined {
	if (entry.provider.isConfigured(env)) return entry.provider;
	if (env.LOCAL_DEV === 'true' && entry.provider.id === 'workers-ai') return offlineProvider;
	return undefined;
}

/** Whether `entry` runs on the offline stand-in here rather than its real provider. */
export function isStandIn(entry: ModelEntry, env: Env): boolean {
	const provider = providerFor(entry, env);
	return provider !== undefined && provider !== entry.provider;
}

/** Models available in this deployment (stand-ins included), in catalog order. */
export function configuredModels(env: Env): ModelEntry[] {
	return MODEL_CATALOG.filter((entry) => providerFor(entry, env) !== undefined);
}

/** Finds a catalog entry by alias or any accepted name (case-insensitive), configured or not. */
export function findModel(name: string): ModelEntry | undefined {
	const wanted = name.trim().toLowerCase();
	return MODEL_CATALOG.find(
		(entry) => entry.alias === wanted || entry.aliases.some((alias) => alias.toLowerCase() === wanted),
	);
}

/** The model used when a request names none. */
export function defaultModel(env: Env, configuredDefault: string | undefined): ModelEntry {
	const available = configuredModels(env);
	if (configuredDefault) {
		const chosen = findModel(configuredDefault);
		if (chosen && available.includes(chosen)) return chosen;
	}
	// Only a model on its real provider is a default: locally that is the offline one.
	for (const alias of DEFAULT_PREFERENCE) {
		const entry = available.find((candidate) => candidate.alias === alias && !isStandIn(candidate, env));
		if (entry) return entry;
	}
	// The offline provider is always configured, so this is unreachable in practice.
	return available[0] ?? (MODEL_CATALOG[0] as ModelEntry);
}

/**
 * Estimated cost of one image of the given size in this deployment, in USD, rounded to 6
 * decimals: 0 on a local stand-in, which costs nothing.
 */
export function estimateImageCost(entry: ModelEntry, env: Env, width: number, height: number): number {
	if (isStandIn(entry, env)) return 0;
	const megapixels = (width * height) / (1024 * 1024);
	return Math.round(entry.costPerMegapixelUsd * megapixels * 1e6) / 1e6;
}
