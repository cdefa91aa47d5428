/**
 * The `metric_counters` table behind GET /metrics (docs/metrics.md): its reads and the one write
 * that is not a trigger's. Most rows are kept by the triggers of migration 0008_metrics_triggers,
 * inside the statements that move jobs and store or remove images; the refusals move no job, so
 * they add to their rows here, with one upsert on the refusal path only.
 */
import { count, inArray, sql } from 'drizzle-orm';
import type { Db } from './client';
import { jobs, metricCounters } from './schema';

/**
 * Every row name the code and the triggers write: the exposed sample name of a counter, or a
 * family name with the part it holds (`:bucket`, `:sum_ms`, `:added`, `:removed`).
 */
export const METRIC_ROWS = {
	jobsCreated: 'image_mcp_jobs_created_total',
	jobsFinished: 'image_mcp_jobs_finished_total',
	jobAttempts: 'image_mcp_job_attempts_total',
	jobRetries: 'image_mcp_job_retries_total',
	jobErrors: 'image_mcp_job_errors_total',
	budgetRefusals: 'image_mcp_budget_refusals_total',
	rateLimitRefusals: 'image_mcp_rate_limit_refusals_total',
	queueWaitBucket: 'image_mcp_job_queue_wait_seconds:bucket',
	queueWaitSumMs: 'image_mcp_job_queue_wait_seconds:sum_ms',
	durationBucket: 'image_mcp_generation_duration_seconds:bucket',
	durationSumMs: 'image_mcp_generation_duration_seconds:sum_ms',
	imagesAdded: 'image_mcp_images_stored:added',
	imagesRemoved: 'image_mcp_images_stored:removed',
	imageBytesAdded: 'image_mcp_images_stored_bytes:added',
	imageBytesRemoved: 'image_mcp_images_stored_bytes:removed',
} as const;

/** One row of `metric_counters`, its labels parsed. */
export interface MetricCounterRow {
	name: string;
	labels: Record<string, string>;
	value: number;
}

/** Jobs not finished yet, counted at the scrape. */
export interface UnfinishedJobs {
	model: string;
	status: 'pending' | 'processing';
	jobs: number;
}

export interface MetricSources {
	counters: MetricCounterRow[];
	unfinished: UnfinishedJobs[];
}

/** The states whose jobs the scrape counts; the sweeper's index (status, updated_at) finds them. */
const UNFINISHED_STATUSES = ['pending', 'processing'] as const;

function parseLabels(text: string): Record<string, string> {
	try {
		const parsed: unknown = JSON.parse(text);
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
		return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
	} catch {
		return {};
	}
}

/**
 * Everything a scrape shows, in one D1 batch (one round trip) of two SELECTs: every counter row
 * (a few hundred at most: metrics × models × statuses or error codes or buckets, never per job),
 * and the pending and processing jobs counted by model through `jobs_status_updated_idx`, which
 * reads only the jobs not finished, whatever the number of finished ones.
 */
export async function readMetricSources(db: Db): Promise<MetricSources> {
	const [counters, unfinished] = await db.batch([
		db.select().from(metricCounters),
		db
			.select({ model: jobs.model, status: jobs.status, jobs: count() })
			.from(jobs)
			.where(inArray(jobs.status, [...UNFINISHED_STATUSES]))
			.groupBy(jobs.status, jobs.model),
	]);
	return {
		counters: counters.map((row) => ({ name: row.name, labels: parseLabels(row.labels), value: row.value })),
		unfinished: unfinished.flatMap((row) =>
			row.status === 'pending' || row.status === 'processing' ? [{ ...row, status: row.status }] : [],
		),
	};
}

/**
 * Adds `by` to one counter row: an upsert, atomic in D1. The labels are written with SQLite's
 * `json_object`, as the triggers write theirs, so the two always produce the same key.
 */
export async function addToCounter(
	db: Db,
	name: string,
	labels: Readonly<Record<string, string>> = {},
	by = 1,
): Promise<void> {
	const pairs = Object.entries(labels).flatMap(([key, value]) => [sql`${key}`, sql`${value}`]);
	await db
		.insert(metricCounters)
		.values({ name, labels: sql`json_object(${sql.join(pairs, sql`, `)})`, value: by })
		.onConflictDoUpdate({
			target: [metricCounters.name, metricCounters.labels],
			set: { value: sql`${metricCounters.value} + excluded.${sql.identifier('value')}` },
		});
}
