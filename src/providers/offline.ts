/**
 * The offline provider: draws a deterministic test pattern instead of calling a model, so
 * the whole pipeline (queue, consumer, R2, tools) runs locally, in tests and in benchmarks
 * without credentials or network. Each (prompt, seed) gives its own picture — a two-colour
 * gradient, shapes, a border and the prompt's first characters (offline-drawing.ts) — so a
 * person looking at results can tell which request produced which image.
 */
import { readConfig } from '../env';
import { encodePng } from '../storage/png';
import { ProviderError } from './errors';
import { drawTestPattern } from './offline-drawing';
import type { ImageProvider } from './types';

/** Largest side the offline provider draws; the raw RGB buffer and its filtered copy must fit in Worker memory. */
const MAX_SIDE = 4096;

/**
 * Always configured: it needs no binding or secret. Honours `OFFLINE_LATENCY_MS` to imitate a
 * slow model and `OFFLINE_FAILURE_RATE` to imitate a flaky one.
 */
export const offlineProvider: ImageProvider = {
	id: 'offline',
	configuredBy: 'nothing: always available',
	isConfigured: () => true,
	async generate(request, { env, signal }) {
		const { width, height } = request;
		if (!isDrawableSide(width) || !isDrawableSide(height)) {
			throw new ProviderError(
				'invalid_request',
				`The offline provider draws images from 1 to ${MAX_SIDE} pixels a side, not ${width}×${height}.`,
			);
		}
		const { latencyMs, failureRate } = readConfig(env).offline;
		await waitUnlessAborted(latencyMs, signal);
		// After the wait: a real call that fails has cost its time too.
		if (failureRate > 0 && Math.random() < failureRate) {
			throw new ProviderError(
				'transient',
				`Injected transient failure of the offline provider (OFFLINE_FAILURE_RATE=${failureRate}).`,
			);
		}
		const seed = request.seed ?? 0;
		const rgb = drawTestPattern(request.prompt, seed, width, height);
		const bytes = await encodePng(rgb, width, height);
		return { bytes, seed };
	},
};

function isDrawableSide(value: number): boolean {
	return Number.isInteger(value) && value >= 1 && value <= MAX_SIDE;
}

/** What an aborted call (the consumer's timeout fired) throws: transient, so the job is retried. */
function cancelled(): ProviderError {
	return new ProviderError('transient', 'The offline provider was cancelled or timed out.');
}

/** Waits `ms` (none when 0) but rejects as soon as `signal` aborts, so a timed-out job frees its slot at once. */
function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
	if (signal.aborted) return Promise.reject(cancelled());
	if (ms === 0) return Promise.resolve();
	return new Promise((resolve, reject) => {
		const onAbort = (): void => {
			clearTimeout(timer);
			reject(cancelled());
		};
		const timer = setTimeout(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal.addEventListener('abort', onAbort, { once: true });
	});
}
