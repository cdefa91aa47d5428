/**
 * Human-readable facts about a catalog entry, shared by list_models and the model table in
 * docs/providers.md (test/node/providers-doc.test.ts renders it from here), so the two never
 * disagree.
 */
import type { Choice, ModelCapabilities, ModelEntry, NumberRange } from './types';

export function describeSize(caps: ModelCapabilities): string {
	const { size } = caps;
	switch (size.kind) {
		case 'fixed':
			return `fixed ${size.width}×${size.height}`;
		case 'range':
			return `W×H ${size.min}–${size.max}${size.multipleOf > 1 ? `, multiples of ${size.multipleOf}` : ''}`;
		case 'list':
			return size.sizes.map((item) => item.replace('x', '×')).join(', ');
		case 'aspect':
			return `${size.ratios.join(', ')} at ${size.tiers.join('/')}`;
	}
}

function range(value: NumberRange | undefined): string {
	return value ? `${value.min}–${value.max} (${value.default})` : '—';
}

function choice(value: Choice | undefined): string {
	return value ? value.values.map((item) => (item === value.default ? `**${item}**` : item)).join(', ') : '';
}

/** The options a model takes beyond prompt and size, e.g. "negative prompt, guidance 0–30 (7.5), mask". */
export function describeOptions(caps: ModelCapabilities): string {
	const options: string[] = [];
	if (caps.negativePrompt) options.push('negative prompt');
	if (caps.guidance) options.push(`guidance ${range(caps.guidance)}`);
	if (caps.quality) options.push(`quality ${choice(caps.quality)}`);
	if (caps.style) options.push(`style ${choice(caps.style)}`);
	if (caps.background) options.push(`background ${choice(caps.background)}`);
	if (caps.outputFormat) options.push(`format ${choice(caps.outputFormat)}`);
	if (caps.sampler) options.push('sampler');
	if (caps.strength) options.push('strength');
	if (caps.mask) options.push(caps.mask === 'required' ? 'mask (required)' : 'mask');
	return options.join('; ') || '—';
}

export function describeReferences(caps: ModelCapabilities): string {
	if (caps.maxReferenceImages === 0) return '—';
	return caps.requiresReferenceImage ? `${caps.maxReferenceImages} (required)` : `up to ${caps.maxReferenceImages}`;
}

function usd(value: number): string {
	return `$${Number(value.toFixed(4))}`;
}

/** Price per image as a short phrase: "$0.04 (standard:1024x1024) – $0.12 (hd:1792x1024)", "$0.0006/MP", "free". */
export function describeCost(entry: ModelEntry): string {
	const { pricing } = entry;
	if (pricing.kind === 'per_megapixel') return pricing.usd === 0 ? 'free' : `${usd(pricing.usd)} per 1024²`;
	const prices = Object.entries(pricing.usd);
	const low = prices.reduce((a, b) => (b[1] < a[1] ? b : a));
	const high = prices.reduce((a, b) => (b[1] > a[1] ? b : a));
	if (low[1] === high[1]) return `${usd(low[1])}`;
	return `${usd(low[1])} (${low[0]}) – ${usd(high[1])} (${high[0]})`;
}

/** The lifecycle in a few words, for the docs table: "current", "deprecated → gpt-image-1". */
export function describeLifecycle(entry: ModelEntry): string {
	const { status, replacement } = entry.lifecycle;
	return replacement ? `${status} → ${replacement}` : status;
}

/**
 * The warning list_models gives for a model that is not current, or undefined: "dall-e-2 is
 * deprecated (OpenAI retired DALL·E 2: …): use gpt-image-1-mini; model "auto" never picks it."
 */
export function lifecycleWarning(entry: ModelEntry): string | undefined {
	const { status, replacement, note } = entry.lifecycle;
	if (status === 'current') return undefined;
	const why = note ? ` (${note.replace(/\.$/, '')})` : '';
	const next = replacement ? `use ${replacement}` : 'move to a current model (list_models)';
	const auto = status === 'deprecated' ? '; model "auto" never picks it' : '';
	return `${entry.alias} is ${status}${why}: ${next}${auto}.`;
}
