/** The offline provider's catalog entry (DESIGN.md §6). */
import { offlineProvider } from './offline';
import type { ModelEntry } from './types';

/** The offline provider's catalog entry: every optional capability, so each tool path runs locally. */
export const OFFLINE_MODELS: readonly ModelEntry[] = [
	{
		alias: 'offline',
		aliases: ['placeholder', 'test-pattern'],
		provider: offlineProvider,
		upstreamId: 'builtin/test-pattern',
		label: 'Built-in offline test pattern (not AI)',
		useFor:
			'Trying the service with no account, tests and benchmarks: draws a deterministic pattern from the prompt and seed, free and instant. Reference images are accepted and ignored.',
		goodAt: 'tests and demos: a free, instant pattern, not AI',
		lifecycle: { status: 'current' },
		notAi: true,
		capabilities: {
			size: { kind: 'range', min: 64, max: 2048, multipleOf: 1 },
			defaultSize: { width: 1024, height: 1024 },
			steps: { min: 1, max: 50, default: 4 },
			seed: 'exact',
			negativePrompt: true,
			guidance: { min: 0, max: 30, default: 7 },
			maxReferenceImages: 16,
			requiresReferenceImage: false,
			mask: 'optional',
			strength: true,
			sampler: false,
			imagesPerCall: 1,
			goodAtText: false,
		},
		pricing: { kind: 'per_megapixel', usd: 0 },
		typicalLatencyMs: 50,
	},
];
