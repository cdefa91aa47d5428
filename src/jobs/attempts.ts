/**
 * How many times a job is tried: the jobs queue's deliveries. The consumer's retry policy and
 * the sweeper both count against it.
 */

/** Mirrors `max_retries` of the jobs queue in wrangler.jsonc (test/config.test.ts checks it). */
export const QUEUE_MAX_RETRIES = 3;
export const MAX_ATTEMPTS = QUEUE_MAX_RETRIES + 1;
