/**
 * When to retry and how long to wait. Queue deliveries are bounded by `max_retries` in
 * wrangler.jsonc; a job whose last delivery fails is marked failed here rather than left to
 * the dead-letter queue, so the caller sees the real error at once.
 */
import { MAX_ATTEMPTS } from '../jobs/attempts';
import type { ProviderError } from '../providers/errors';

export { MAX_ATTEMPTS, QUEUE_MAX_RETRIES } from '../jobs/attempts';

/**
 * Longest wait before a retry. A job waiting for its retry has no lease, so the sweeper
 * would take it for lost after SWEEP_STALE_LEASE_MS (5 minutes) and enqueue it again,
 * spending an attempt early: every delay stays well below that.
 */
export const MAX_RETRY_DELAY_SECONDS = 240;

/** Exponential backoff: 2 s, 4 s, 8 s, … capped at 60 s; a rate limit's longer wait is honoured up to 240 s. */
export function retryDelaySeconds(attempt: number, error: ProviderError): number {
	const backoff = Math.min(60, 2 ** attempt);
	return Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(backoff, Math.ceil(error.retryAfterSeconds ?? 0)));
}

export type RetryDecision = { retry: true; delaySeconds: number } | { retry: false };

export function decideRetry(attempt: number, error: ProviderError): RetryDecision {
	if (!error.retryable || attempt >= MAX_ATTEMPTS) return { retry: false };
	return { retry: true, delaySeconds: retryDelaySeconds(attempt, error) };
}
