/**
 * The model catalog (DESIGN.md §6): one entry per public model name, with what it can do,
 * what it costs and how long it takes. Tools validate requests against it; the consumer
 * finds the provider through it. Each provider's entries are data in its `<name>.models.ts`
 * (the request code is in `<name>.ts`); this module joins them and applies the operator's `MODEL_OVERRIDES` (upstream ids, prices, latency,
 * switching models off), so a rename or a price change needs no code change.
 */
import { z } from 'zod';
import { readConfig } from '../env';
import { GEMINI_MODELS, geminiNominalSize } from './gemini.models';
import { offlineProvider } from './offline';
import { OFFLINE_MODELS } from './offline.models';
import { OPENAI_MODELS } from './openai.models';
import { SD_WEBUI_MODELS } from './sd-webui.models';
import type { ImageProvider, ImageSizeTier, ModelEntry, Pricing } from './types';
import { WORKERS_AI_MODELS } from './workers-ai.models';

export type { ModelEntry } from './types';

/** Every model this build knows, in the order list_models shows them. */
export const MODEL_CATALOG: readonly ModelEntry[] = [
	...OFFLINE_MODELS,
	...WORKERS_AI_MODELS,
	...OPENAI_MODELS,
	...GEMINI_MODELS,
	...SD_WEBUI_MODELS,
];

/**
 * Preference order for the default model when DEFAULT_MODEL is not set: Workers AI's
 * flux-schnell, else offline. A paid model (Gemini, OpenAI) is never the default unless
 * DEFAULT_MODEL names it: a request that names no model must not spend money by surprise.
 */
export const DEFAULT_PREFERENCE = ['flux-schnell', 'offline'] as const;

const overrideSchema = z.strictObject({
	upstream_id: z.string().trim().min(1).optional(),
	cost_usd: z.union([z.number().nonnegative(), z.record(z.string(), z.number().nonnegative())]).optional(),
	typical_latency_ms: z.number().int().positive().optional(),
	disabled: z.boolean().optional(),
});
const overridesSchema = z.record(z.string(), overrideSchema);
export type ModelOverride = z.infer<typeof overrideSchema>;

export interface Catalog {
	/** Entries after overrides, disabled ones removed. */
	entries: readonly ModelEntry[];
	/** Problems with MODEL_OVERRIDES, for the startup log and /health; the bad parts are ignored. */
	warnings: readonly string[];
}

function applyPricing(pricing: Pricing, cost: ModelOverride['cost_usd']): Pricing {
	if (cost === undefined) return pricing;
	if (typeof cost === 'number') {
		if (pricing.kind === 'per_megapixel') return { kind: 'per_megapixel', usd: cost };
		return { kind: 'table', usd: Object.fromEntries(Object.keys(pricing.usd).map((key) => [key, cost])) };
	}
	if (pricing.kind === 'per_megapixel') return { kind: 'table', usd: cost };
	return { kind: 'table', usd: { ...pricing.usd, ...cost } };
}

/** Builds the catalog for one MODEL_OVERRIDES value (a JSON object keyed by model name). */
export function buildCatalog(overridesJson: string | undefined): Catalog {
	const warnings: string[] = [];
	let overrides: Record<string, ModelOverride> = {};
	if (overridesJson?.trim()) {
		let raw: unknown;
		try {
			raw = JSON.parse(overridesJson);
		} catch {
			raw = undefined;
			warnings.push('MODEL_OVERRIDES is not valid JSON; it is ignored.');
		}
		if (raw !== undefined) {
			const parsed = overridesSchema.safeParse(raw);
			if (parsed.success) overrides = parsed.data;
			else {
				const issue = parsed.error.issues[0];
				warnings.push(
					`MODEL_OVERRIDES is ignored: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}. ` +
						'Expected {"<model>": {"upstream_id"?: string, "cost_usd"?: number | {"<price key>": number}, "typical_latency_ms"?: number, "disabled"?: boolean}}.',
				);
			}
		}
	}
	const byAlias = new Map<string, ModelOverride>();
	for (const [name, override] of Object.entries(overrides)) {
		const entry = findIn(MODEL_CATALOG, name);
		if (!entry) {
			warnings.push(
				`MODEL_OVERRIDES names unknown model "${name}"; known: ${MODEL_CATALOG.map((e) => e.alias).join(', ')}.`,
			);
			continue;
		}
		byAlias.set(entry.alias, override);
	}
	const entries: ModelEntry[] = [];
	for (const entry of MODEL_CATALOG) {
		const override = byAlias.get(entry.alias);
		if (!override) {
			entries.push(entry);
			continue;
		}
		if (override.disabled) continue;
		const upstreamId = override.upstream_id ?? entry.upstreamId;
		entries.push({
			...entry,
			upstreamId,
			aliases: upstreamId === entry.upstreamId ? entry.aliases : [...entry.aliases, upstreamId],
			pricing: applyPricing(entry.pricing, override.cost_usd),
			typicalLatencyMs: override.typical_latency_ms ?? entry.typicalLatencyMs,
		});
	}
	return { entries, warnings };
}

// The catalog is a pure function of one configuration string: computing it once per value
// is safe across requests (no request state) and keeps per-request cost at a map lookup.
const catalogs = new Map<string, Catalog>();

/** The catalog of this deployment (overrides applied). */
export function catalogFor(env: Pick<Env, 'MODEL_OVERRIDES'>): Catalog {
	const key = readConfig(env).modelOverrides;
	let catalog = catalogs.get(key);
	if (!catalog) {
		catalog = buildCatalog(key);
		catalogs.set(key, catalog);
	}
	return catalog;
}

function findIn(entries: readonly ModelEntry[], name: string): ModelEntry | undefined {
	const wanted = name.trim().toLowerCase();
	return entries.find(
		(entry) => entry.alias === wanted || entry.aliases.some((alias) => alias.toLowerCase() === wanted),
	);
}

/**
 * The provider that runs `entry` in this deployment: its own when configured; in local dev
 * (no Workers AI offline), the offline provider stands in for Workers AI models so the
 * seed's examples (`"model": "flux-schnell"`) work verbatim. Undefined: not available here.
 */
export function providerFor(entry: ModelEntry, env: Env): ImageProvider | undefined {
	if (entry.provider.isConfigured(env)) return entry.provider;
	if (readConfig(env).localDev && entry.provider.id === 'workers-ai') return offlineProvider;
	return undefined;
}

/** Whether `entry` runs on the offline stand-in here rather than its real provider. */
export function isStandIn(entry: ModelEntry, env: Env): boolean {
	const provider = providerFor(entry, env);
	return provider !== undefined && provider !== entry.provider;
}

/**
 * How long a job of `model` typically runs once claimed (ms), for the waiters' poll schedule:
 * the offline provider's configured delay when it runs the job (also as a stand-in), else the
 * catalog's typical latency. Undefined for a model not configured here.
 */
export function expectedRunMs(env: Env, model: string): number | undefined {
	const entry = findModel(env, model);
	const provider = entry && providerFor(entry, env);
	if (!entry || !provider) return undefined;
	return provider === offlineProvider ? readConfig(env).offline.latencyMs : entry.typicalLatencyMs;
}

/** Models available in this deployment (stand-ins included), in catalog order. */
export function configuredModels(env: Env): ModelEntry[] {
	return catalogFor(env).entries.filter((entry) => providerFor(entry, env) !== undefined);
}

/** Finds an entry of this deployment's catalog by alias or any accepted name (case-insensitive), configured or not. */
export function findModel(env: Env, name: string): ModelEntry | undefined {
	return findIn(catalogFor(env).entries, name);
}

/** The model used when a request names none. */
export function defaultModel(env: Env, configuredDefault: string | undefined): ModelEntry {
	const available = configuredModels(env);
	if (configuredDefault) {
		const chosen = findModel(env, configuredDefault);
		if (chosen && available.includes(chosen)) return chosen;
	}
	// Only a model on its real provider is a default: locally that is the offline one.
	for (const alias of DEFAULT_PREFERENCE) {
		const entry = available.find((candidate) => candidate.alias === alias && !isStandIn(candidate, env));
		if (entry) return entry;
	}
	// The offline provider is always configured, so this is unreachable in practice.
	return available[0] ?? (OFFLINE_MODELS[0] as ModelEntry);
}

/**
 * Pixel size of an aspect-ratio model's image at a tier: Gemini's documented table for its
 * models, else about tier² pixels in multiples of 64.
 */
export function nominalSize(entry: ModelEntry, ratio: string, tier: ImageSizeTier): { width: number; height: number } {
	if (entry.provider.id === 'gemini') return geminiNominalSize(ratio, tier);
	const side = { '1K': 1024, '2K': 2048, '4K': 4096 }[tier];
	const [w, h] = ratio.split(':').map(Number) as [number, number];
	return {
		width: Math.round((side * Math.sqrt(w / h)) / 64) * 64,
		height: Math.round((side * Math.sqrt(h / w)) / 64) * 64,
	};
}

/** What decides an image's price, as the key of a `table` pricing. */
export interface PricedParams {
	width: number;
	height: number;
	quality?: string;
	image_size?: ImageSizeTier;
}

/**
 * The key of `params` in a table pricing: the tier for aspect-ratio models (`1K`), else
 * `quality:WxH` for models with a quality choice (`high:1024x1536`), else `WxH`.
 */
export function priceKey(entry: ModelEntry, params: PricedParams): string {
	const { capabilities } = entry;
	if (capabilities.size.kind === 'aspect') return params.image_size ?? capabilities.size.tiers[0] ?? '1K';
	const size = `${params.width}x${params.height}`;
	return capabilities.quality ? `${params.quality ?? capabilities.quality.default}:${size}` : size;
}

/** Estimated USD for one image with `params` under `pricing`, rounded to 6 decimals. */
export function priceOf(entry: ModelEntry, params: PricedParams): number {
	const { pricing } = entry;
	let usd: number;
	if (pricing.kind === 'per_megapixel') {
		usd = pricing.usd * ((params.width * params.height) / (1024 * 1024));
	} else {
		// An unlisted combination is estimated at the dearest listed price: never an underestimate.
		usd = pricing.usd[priceKey(entry, params)] ?? Math.max(0, ...Object.values(pricing.usd));
	}
	return Math.round(usd * 1e6) / 1e6;
}

/** Estimated cost of one image in this deployment: 0 on a local stand-in, which costs nothing. */
export function estimateImageCost(entry: ModelEntry, env: Env, params: PricedParams): number {
	return isStandIn(entry, env) ? 0 : priceOf(entry, params);
}

/** The longest typical latency in the catalog: leases must outlast the slowest model. */
export function slowestLatencyMs(env: Env): number {
	return Math.max(...catalogFor(env).entries.map((entry) => entry.typicalLatencyMs));
}
