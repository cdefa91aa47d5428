/**
 * A GET /metrics scrape's server time with 100,000 jobs in D1, inside workerd (real local D1),
 * through the app's fetch handler: access check, the one D1 batch, rendering. `npm run
 * bench:metrics` (full) or, small, in `npm test` (bench-smoke project).
 *
 * The jobs are made by the same statements shapes the service uses, so the triggers keep the
 * counters as they would: one INSERT … SELECT from a recursive CTE (no bound parameters), then
 * one UPDATE per transition (claim, then completed, failed or cancelled), then the image rows.
 *
 * Cases: an empty database (the scrape's fixed cost); 100,000 jobs with 100 unfinished (the
 * usual case: the counters table holds a few hundred rows whatever the job count, and the
 * unfinished jobs are found through the status index); the same with a backlog of 20,000 more
 * pending jobs (the one part of a scrape that grows: counting unfinished jobs by model).
 * Target: p95 ≤ 50 ms with 100,000 jobs.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { createApp } from '../../src/worker/app';
import { formatTable, type Stats, summarise } from '../stats.ts';
import { countingD1 } from './counting-d1';

const FULL = env.BENCH_MODE === 'full';
const JOBS = FULL ? 100_000 : 2_000;
const BACKLOG = FULL ? 20_000 : 400;
const UNFINISHED = 100;
const N = FULL ? 200 : 5;
const WARMUP = FULL ? 20 : 1;
const MODELS = 12;
const TARGET = { p95Ms: 50 };

const app = createApp();

/**
 * `count` jobs from `first` on, `pending`, created a minute apart from `base` onwards, over
 * MODELS models and 50 owners, in one statement: the AFTER INSERT trigger counts each.
 */
async function insertJobs(first: number, count: number, base: number): Promise<void> {
	await env.DB.prepare(
		`INSERT INTO jobs (id, owner, status, prompt, model, params, seed, created_at, updated_at)
		WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2 - 1)
		SELECT printf('bench-%08d', i), 'owner-' || (i % 50), 'pending', 'a bench prompt', 'model-' || (i % ?3),
			'{"width":64,"height":64,"steps":4}', i, ?4 + i * 60000, ?4 + i * 60000
		FROM n`,
	)
		.bind(first, count, MODELS, base)
		.run();
}

/** Moves every job but the last UNFINISHED through the consumer's transitions, one UPDATE each (triggers fire per row). */
async function settleJobs(total: number): Promise<void> {
	const settled = `id < printf('bench-%08d', ${total - UNFINISHED})`;
	await env.DB.batch([
		// Claim: queue waits from 0 to ~6 s, spread over the buckets.
		env.DB.prepare(
			`UPDATE jobs SET status = 'processing', attempts = 1, started_at = created_at + (seed * 37) % 6000, lease_until = 0
			WHERE ${settled} OR id >= printf('bench-%08d', ${total - UNFINISHED / 2})`,
		),
		// 95 % completed after 0.2 to 40 s, 3 % failed, 2 % cancelled.
		env.DB.prepare(
			`UPDATE jobs SET status = 'completed', completed_at = started_at + 200 + (seed * 7919) % 40000, updated_at = started_at
			WHERE ${settled} AND seed % 100 < 95`,
		),
		env.DB.prepare(
			`UPDATE jobs SET status = 'failed', error_code = CASE seed % 2 WHEN 0 THEN 'transient' ELSE 'content_policy' END,
				error = 'bench', completed_at = started_at + 1000 WHERE ${settled} AND seed % 100 BETWEEN 95 AND 97`,
		),
		env.DB.prepare(
			`UPDATE jobs SET status = 'cancelled', error_code = 'cancelled', completed_at = started_at
			WHERE ${settled} AND seed % 100 >= 98`,
		),
		env.DB.prepare(
			`INSERT INTO images (id, job_id, idx, owner, r2_key, content_type, width, height, bytes, seed, created_at)
			SELECT id || '/0', id, 0, owner, id || '/0', 'image/png', 64, 64, 20000 + seed % 5000, seed, completed_at
			FROM jobs WHERE status = 'completed'`,
		),
	]);
}

/** Server time of `n` scrapes after a warm-up, and what one costs in D1 (statements, rows read). */
async function measure(): Promise<{ stats: Stats; statements: number; rowsRead: number; bytes: number }> {
	let rowsRead = 0;
	const reading = new Proxy(env.DB, {
		get(target, property) {
			if (property === 'batch') {
				return async (statements: D1PreparedStatement[]) => {
					const results = await target.batch(statements);
					for (const result of results) rowsRead += result.meta.rows_read ?? 0;
					return results;
				};
			}
			const value = Reflect.get(target, property, target);
			return typeof value === 'function' ? value.bind(target) : value;
		},
	});
	const counting = countingD1(reading);
	const scrape = async () => {
		const response = await app.fetch(
			new Request('http://localhost/metrics'),
			{ ...env, DB: counting.binding },
			createExecutionContext(),
		);
		const text = await response.text();
		expect(response.status, text).toBe(200);
		return text;
	};
	const samples: number[] = [];
	let bytes = 0;
	for (let round = -WARMUP; round < N; round++) {
		const started = performance.now();
		bytes = (await scrape()).length;
		if (round >= 0) samples.push(performance.now() - started);
	}
	const counts = counting.take();
	return {
		stats: summarise(samples),
		statements: counts.statements / (N + WARMUP),
		rowsRead: rowsRead / (N + WARMUP),
		bytes,
	};
}

it('times a /metrics scrape with many jobs in D1 (100,000 in the full run), and prints it', async () => {
	const empty = await measure();

	const base = Date.now() - JOBS * 60_000;
	const seeding = performance.now();
	await insertJobs(0, JOBS, base);
	await settleJobs(JOBS);
	const seedSeconds = (performance.now() - seeding) / 1000;
	const counted = await env.DB.prepare(
		"SELECT count(*) AS jobs, sum(status IN ('pending', 'processing')) AS unfinished FROM jobs",
	).first<{ jobs: number; unfinished: number }>();
	expect(counted).toEqual({ jobs: JOBS, unfinished: UNFINISHED });
	const counterRows = await env.DB.prepare('SELECT count(*) AS n FROM metric_counters').first<number>('n');
	const full = await measure();

	await insertJobs(JOBS, BACKLOG, base);
	const backlog = await measure();

	const rows: Array<[string, Stats]> = [
		['empty database', empty.stats],
		[`${JOBS.toLocaleString('en')} jobs, ${UNFINISHED} unfinished`, full.stats],
		[`+ ${BACKLOG.toLocaleString('en')} pending (backlog)`, backlog.stats],
	];
	const cost = (label: string, run: typeof full) =>
		`${label.padEnd(32)} ${String(run.statements).padStart(10)} ${String(Math.round(run.rowsRead)).padStart(10)} ${String(run.bytes).padStart(8)}`;
	console.log(
		[
			'',
			`GET /metrics server time inside workerd, ${N} scrapes after ${WARMUP} warm-up (${FULL ? 'full' : 'smoke'} run)`,
			`seeded ${JOBS.toLocaleString('en')} jobs through the triggers in ${seedSeconds.toFixed(1)} s; metric_counters holds ${counterRows} rows`,
			'',
			formatTable(rows),
			'',
			`${'per scrape'.padEnd(32)} ${'statements'.padStart(10)} ${'rows read'.padStart(10)} ${'bytes'.padStart(8)}`,
			cost('empty database', empty),
			cost(`${JOBS.toLocaleString('en')} jobs`, full),
			cost('+ backlog', backlog),
			'',
			`${full.stats.p95 <= TARGET.p95Ms ? 'meets' : 'MISSES'} target: p95 ≤ ${TARGET.p95Ms} ms with ${JOBS.toLocaleString('en')} jobs (${full.stats.p95} ms)`,
			'',
			JSON.stringify({
				bench: 'metrics',
				mode: FULL ? 'full' : 'smoke',
				target: TARGET,
				jobs: JOBS,
				counter_rows: counterRows,
				cases: {
					empty: { ...empty.stats, statements: empty.statements, rows_read: empty.rowsRead },
					jobs: { ...full.stats, statements: full.statements, rows_read: full.rowsRead },
					backlog: { ...backlog.stats, statements: backlog.statements, rows_read: backlog.rowsRead },
				},
				meets_target: full.stats.p95 <= TARGET.p95Ms,
			}),
		].join('\n'),
	);
	// However many jobs: one batch of two statements per scrape.
	expect([empty.statements, full.statements, backlog.statements]).toEqual([2, 2, 2]);
}, 600_000);
