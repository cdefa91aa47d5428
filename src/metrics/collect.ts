/**
 * One scrape of GET /metrics: the stored counters and the unfinished jobs, read in one D1 batch
 * (src/db/metric-counters.ts), turned into the families of src/metrics/families.ts. Histogram
 * buckets are stored one per bound and added up here; gauges are computed here, from the durable
 * totals (stored images and bytes: added − removed) and from the jobs table (pending, processing).
 */
import type { Db } from '../db/client';
import { METRIC_ROWS, type MetricCounterRow, type MetricSources, readMetricSources } from '../db/metric-counters';
import { TERMINAL_STATUSES } from '../db/schema';
import { BUDGET_PERIODS } from '../jobs/budget';
import type { MetricFamily, Sample } from './exposition';
import { FAMILIES, type FamilyDefinition, GENERATION_DURATION_BUCKETS, QUEUE_WAIT_BUCKETS } from './families';

type Labels = Readonly<Record<string, string>>;

/** A stable key for a label set in the family's label order. */
function keyOf(definition: FamilyDefinition, labels: Labels): string {
	return JSON.stringify(definition.labels.map((name) => labels[name] ?? ''));
}

function labelPairs(definition: FamilyDefinition, labels: Labels): (readonly [string, string])[] {
	return definition.labels.map((name) => [name, labels[name] ?? ''] as const);
}

function byLabels(a: Sample, b: Sample): number {
	const left = JSON.stringify(a.labels);
	const right = JSON.stringify(b.labels);
	return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A counter or gauge family from rows named `row`, label sets in `defaults` shown as 0 until
 * they have a row (so a series exists before its first increment and `rate()` sees it start).
 */
function simpleFamily(
	definition: FamilyDefinition,
	rows: readonly MetricCounterRow[],
	row: string,
	defaults: readonly Labels[] = [],
): MetricFamily {
	const values = new Map<string, { labels: Labels; value: number }>();
	for (const labels of defaults) values.set(keyOf(definition, labels), { labels, value: 0 });
	for (const counter of rows) {
		if (counter.name !== row) continue;
		const key = keyOf(definition, counter.labels);
		values.set(key, { labels: counter.labels, value: (values.get(key)?.value ?? 0) + counter.value });
	}
	const samples = [...values.values()]
		.map(({ labels, value }) => ({ name: definition.name, labels: labelPairs(definition, labels), value }))
		.sort(byLabels);
	return { name: definition.name, type: definition.type, help: definition.help, samples };
}

/**
 * A histogram from its stored per-bucket counts (`le` is the bucket's own upper bound, not
 * cumulative) and its sum in milliseconds: cumulative `_bucket` lines over every bound, `+Inf`
 * equal to `_count`, and `_sum` in seconds. A label set shows once any of its rows exists;
 * one without labels always shows (all zero until the first observation).
 */
function histogramFamily(
	definition: FamilyDefinition,
	rows: readonly MetricCounterRow[],
	bucketRow: string,
	sumRow: string,
	bounds: readonly number[],
): MetricFamily {
	const series = new Map<string, { labels: Labels; buckets: Map<string, number>; sumMs: number }>();
	const seriesOf = (labels: Labels) => {
		const key = keyOf(definition, labels);
		let entry = series.get(key);
		if (!entry) {
			entry = { labels, buckets: new Map(), sumMs: 0 };
			series.set(key, entry);
		}
		return entry;
	};
	if (definition.labels.length === 0) seriesOf({});
	for (const row of rows) {
		if (row.name === bucketRow) {
			const entry = seriesOf(row.labels);
			const le = row.labels.le ?? '+Inf';
			entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + row.value);
		} else if (row.name === sumRow) {
			seriesOf(row.labels).sumMs += row.value;
		}
	}
	const samples: Sample[] = [];
	const ordered = [...series.values()].sort((a, b) => {
		const left = keyOf(definition, a.labels);
		const right = keyOf(definition, b.labels);
		return left < right ? -1 : left > right ? 1 : 0;
	});
	for (const { labels, buckets, sumMs } of ordered) {
		const pairs = labelPairs(definition, labels);
		let cumulative = 0;
		for (const bound of bounds) {
			cumulative += buckets.get(String(bound)) ?? 0;
			samples.push({ name: `${definition.name}_bucket`, labels: [...pairs, ['le', String(bound)]], value: cumulative });
		}
		// Every stored bucket counts in +Inf, also one whose bound is no longer listed.
		const total = [...buckets.values()].reduce((sum, value) => sum + value, 0);
		samples.push({ name: `${definition.name}_bucket`, labels: [...pairs, ['le', '+Inf']], value: total });
		samples.push({ name: `${definition.name}_sum`, labels: pairs, value: sumMs / 1000 });
		samples.push({ name: `${definition.name}_count`, labels: pairs, value: total });
	}
	return { name: definition.name, type: definition.type, help: definition.help, samples };
}

/** One value from the rows named `row` (summed over their label sets). */
function total(rows: readonly MetricCounterRow[], row: string): number {
	return rows.reduce((sum, counter) => (counter.name === row ? sum + counter.value : sum), 0);
}

function gauge(definition: FamilyDefinition, value: number): MetricFamily {
	return {
		name: definition.name,
		type: definition.type,
		help: definition.help,
		samples: [{ name: definition.name, labels: [], value }],
	};
}

/** The families of one scrape, from what D1 holds (pure: the tests give it rows). */
export function buildFamilies({ counters, unfinished }: MetricSources): MetricFamily[] {
	// Every model that ever had a job: its finished and unfinished series show from the start.
	const models = [
		...new Set([
			...counters.filter((row) => row.name === METRIC_ROWS.jobsCreated).map((row) => row.labels.model ?? ''),
			...unfinished.map((row) => row.model),
		]),
	].sort();
	const unfinishedRows: MetricCounterRow[] = unfinished.map((row) => ({
		name: FAMILIES.jobsUnfinished.name,
		labels: { model: row.model, status: row.status },
		value: row.jobs,
	}));
	return [
		simpleFamily(FAMILIES.jobsCreated, counters, METRIC_ROWS.jobsCreated),
		simpleFamily(
			FAMILIES.jobsFinished,
			counters,
			METRIC_ROWS.jobsFinished,
			models.flatMap((model) => TERMINAL_STATUSES.map((status) => ({ model, status }))),
		),
		simpleFamily(FAMILIES.jobAttempts, counters, METRIC_ROWS.jobAttempts),
		simpleFamily(FAMILIES.jobRetries, counters, METRIC_ROWS.jobRetries),
		simpleFamily(FAMILIES.jobErrors, counters, METRIC_ROWS.jobErrors),
		simpleFamily(
			FAMILIES.budgetRefusals,
			counters,
			METRIC_ROWS.budgetRefusals,
			BUDGET_PERIODS.map((period) => ({ period })),
		),
		simpleFamily(FAMILIES.rateLimitRefusals, counters, METRIC_ROWS.rateLimitRefusals, [{}]),
		histogramFamily(
			FAMILIES.generationDuration,
			counters,
			METRIC_ROWS.durationBucket,
			METRIC_ROWS.durationSumMs,
			GENERATION_DURATION_BUCKETS,
		),
		histogramFamily(
			FAMILIES.queueWait,
			counters,
			METRIC_ROWS.queueWaitBucket,
			METRIC_ROWS.queueWaitSumMs,
			QUEUE_WAIT_BUCKETS,
		),
		simpleFamily(
			FAMILIES.jobsUnfinished,
			unfinishedRows,
			FAMILIES.jobsUnfinished.name,
			models.flatMap((model) => [
				{ model, status: 'pending' },
				{ model, status: 'processing' },
			]),
		),
		gauge(FAMILIES.imagesStored, total(counters, METRIC_ROWS.imagesAdded) - total(counters, METRIC_ROWS.imagesRemoved)),
		gauge(
			FAMILIES.imageBytesStored,
			total(counters, METRIC_ROWS.imageBytesAdded) - total(counters, METRIC_ROWS.imageBytesRemoved),
		),
	];
}

/** Reads D1 once (one batch) and returns the families of this scrape. */
export async function collectMetrics(db: Db): Promise<MetricFamily[]> {
	return buildFamilies(await readMetricSources(db));
}
