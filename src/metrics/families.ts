/**
 * What GET /metrics exposes (docs/metrics.md): every metric's name, type, labels and HELP text,
 * and the bucket bounds of the two histograms. Names follow Prometheus' conventions: the
 * `image_mcp_` prefix, base units (seconds, bytes), `_total` on counters, no per-user or per-job
 * label. The triggers of migration 0008_metrics_triggers sort durations into these same bounds
 * (in milliseconds there); test/metrics.test.ts checks each bound against them.
 */
import type { MetricType } from './exposition';

/** Upper bounds (seconds, inclusive) of the generation-duration buckets: fast local models to slow ones. */
export const GENERATION_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300] as const;

/** Upper bounds (seconds, inclusive) of the queue-wait buckets: a message delivered at once to a backlog. */
export const QUEUE_WAIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

export interface FamilyDefinition {
	name: string;
	type: MetricType;
	help: string;
	labels: readonly string[];
}

function family(name: string, type: MetricType, labels: readonly string[], help: string): FamilyDefinition {
	return { name, type, help, labels };
}

/** Every family, in the order the exposition lists them. */
export const FAMILIES = {
	jobsCreated: family(
		'image_mcp_jobs_created_total',
		'counter',
		['model'],
		'Jobs created, by model (a generate call with count n creates n).',
	),
	jobsFinished: family(
		'image_mcp_jobs_finished_total',
		'counter',
		['model', 'status'],
		'Jobs that reached a final status (completed, failed, cancelled), by model.',
	),
	jobAttempts: family(
		'image_mcp_job_attempts_total',
		'counter',
		['model'],
		'Times the consumer claimed a job to run it: first attempts and every retry.',
	),
	jobRetries: family(
		'image_mcp_job_retries_total',
		'counter',
		['model', 'error_code'],
		'Retryable errors after which the job was kept for another attempt, by error code.',
	),
	jobErrors: family(
		'image_mcp_job_errors_total',
		'counter',
		['model', 'error_code'],
		'Errors recorded on jobs, by error code: each retried one and each final failure (cancellations are not errors).',
	),
	budgetRefusals: family(
		'image_mcp_budget_refusals_total',
		'counter',
		['period'],
		'Generate calls refused because the estimated cost would exceed a spend budget, by the budget exceeded.',
	),
	rateLimitRefusals: family(
		'image_mcp_rate_limit_refusals_total',
		'counter',
		[],
		'Generate calls refused by the per-user rate limit.',
	),
	generationDuration: family(
		'image_mcp_generation_duration_seconds',
		'histogram',
		['model'],
		'Seconds from a job first being claimed to its completion, for completed jobs, by model (retries included).',
	),
	queueWait: family(
		'image_mcp_job_queue_wait_seconds',
		'histogram',
		[],
		'Seconds from a job being created to its first claim by the consumer.',
	),
	jobsUnfinished: family(
		'image_mcp_jobs_unfinished',
		'gauge',
		['model', 'status'],
		'Jobs not finished yet, by model and status: pending (waiting for the consumer) or processing (claimed, running or waiting for a retry).',
	),
	imagesStored: family(
		'image_mcp_images_stored',
		'gauge',
		[],
		'Images whose bytes are stored (not expired or deleted).',
	),
	imageBytesStored: family(
		'image_mcp_images_stored_bytes',
		'gauge',
		[],
		'Bytes of the stored images (the originals; previews and transforms not included).',
	),
} as const satisfies Record<string, FamilyDefinition>;
