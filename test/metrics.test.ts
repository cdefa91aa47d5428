/**
 * GET /metrics (docs/metrics.md) through the real app, D1, R2 and consumer: after a known
 * workload every counter, histogram and gauge has exactly the value that workload implies; the
 * triggers' bucket bounds are the ones the exposition lists; the migration's backfill agrees with
 * the triggers; who may scrape; and a scrape's D1 cost does not grow with the jobs.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { getDb } from '../src/db/client';
import { claimJob, completeJob } from '../src/jobs/lifecycle';
import { EXPOSITION_CONTENT_TYPE } from '../src/metrics/exposition';
import { GENERATION_DURATION_BUCKETS, QUEUE_WAIT_BUCKETS } from '../src/metrics/families';
import { createApp } from '../src/worker/app';
import { interceptD1 } from './helpers/d1-intercept';
import { base64, fakeJpeg, insertJob, readJobRow, scriptedAi } from './helpers/fixtures';
import { textJson } from './helpers/mcp';
import { callAs, recordingQueue, usersEnv } from './helpers/users';

const METRICS_TOKEN = 'metrics-secret-token';

/** A GET /metrics through the app with these bindings on top of the test env. */
function scrape(bindings: Partial<Env> = {}, headers: Record<string, string> = {}, url = 'http://localhost/metrics') {
	return createApp().fetch(new Request(url, { headers }), { ...env, ...bindings }, createExecutionContext());
}

interface Exposition {
	/** Each sample line's value, keyed by `name{labels}` exactly as written. */
	samples: Map<string, number>;
	help: Map<string, string>;
	types: Map<string, string>;
	/** Sample names in the order written. */
	order: string[];
}

/** Reads the text format back, strictly: a line that is neither a comment nor a sample fails the test. */
function parseExposition(text: string): Exposition {
	const exposition: Exposition = { samples: new Map(), help: new Map(), types: new Map(), order: [] };
	expect(text.endsWith('\n')).toBe(true);
	for (const line of text.slice(0, -1).split('\n')) {
		const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
		if (comment) {
			const [, kind, name, rest] = comment;
			(kind === 'HELP' ? exposition.help : exposition.types).set(name!, rest!);
			continue;
		}
		const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
		if (!sample) throw new Error(`not a line of the text format: ${JSON.stringify(line)}`);
		expect(exposition.samples.has(sample[1]!), `duplicate sample ${sample[1]}`).toBe(false);
		exposition.samples.set(sample[1]!, Number(sample[2]));
		exposition.order.push(sample[1]!);
	}
	return exposition;
}

async function scrapeOk(bindings: Partial<Env> = {}, headers: Record<string, string> = {}): Promise<Exposition> {
	const response = await scrape(bindings, headers);
	const text = await response.text();
	expect(response.status, text).toBe(200);
	expect(response.headers.get('content-type')).toBe(EXPOSITION_CONTENT_TYPE);
	return parseExposition(text);
}

/** A sample's value; fails the test when the sample is not there. */
function sampleValue(exposition: Exposition, key: string): number {
	const value = exposition.samples.get(key);
	if (value === undefined) {
		throw new Error(
			`no sample ${key}; have:\n${exposition.order.filter((name) => name.startsWith(key.split('{')[0]!)).join('\n')}`,
		);
	}
	return value;
}

/** Non-cumulative counts per bound (and +Inf) for these durations in ms, then made cumulative. */
function expectedBuckets(bounds: readonly number[], durationsMs: number[]): Map<string, number> {
	const cumulative = new Map<string, number>();
	for (const bound of bounds) {
		cumulative.set(String(bound), durationsMs.filter((ms) => ms <= Math.round(bound * 1000)).length);
	}
	cumulative.set('+Inf', durationsMs.length);
	return cumulative;
}

function expectHistogram(
	exposition: Exposition,
	name: string,
	labels: string,
	bounds: readonly number[],
	durationsMs: number[],
) {
	const prefix = labels ? `${labels},` : '';
	for (const [le, count] of expectedBuckets(bounds, durationsMs)) {
		expect(sampleValue(exposition, `${name}_bucket{${prefix}le="${le}"}`), `${name} le=${le}`).toBe(count);
	}
	const suffix = labels ? `{${labels}}` : '';
	expect(sampleValue(exposition, `${name}_count${suffix}`)).toBe(durationsMs.length);
	expect(sampleValue(exposition, `${name}_bucket{${prefix}le="+Inf"}`)).toBe(
		sampleValue(exposition, `${name}_count${suffix}`),
	);
	expect(sampleValue(exposition, `${name}_sum${suffix}`)).toBeCloseTo(
		durationsMs.reduce((sum, ms) => sum + Math.max(0, ms), 0) / 1000,
		9,
	);
}

describe('GET /metrics after a known workload', () => {
	it('counts jobs, attempts, retries, errors, refusals, durations, queue waits and stored images exactly', async () => {
		const { queue, sent } = recordingQueue();
		// flux-schnell runs on a scripted Workers AI binding: one transient error then an image,
		// then a permanent error for the second job.
		const { ai } = scriptedAi([
			new Error('AiError: 503 upstream unavailable'),
			{ image: base64(fakeJpeg(8, 8)) },
			new Error('Input flagged by safety filter: NSFW'),
		]);
		const bindings = await usersEnv(
			[{ id: 'alice' }, { id: 'bob', daily_budget_usd: 0 }, { id: 'root', role: 'admin' }],
			{ JOBS: queue, AI: ai, OPENAI_API_KEY: 'test', METRICS_TOKEN },
		);
		const generate = async (user: string, args: Record<string, unknown>) => {
			const result = await callAs(bindings, user, 'generate_image', { width: 64, height: 64, ...args });
			expect(result.isError, JSON.stringify(result.content)).toBeUndefined();
			const body = textJson(result);
			return (body.job_ids as string[] | undefined) ?? [body.job_id as string];
		};

		const [offlineA, offlineB] = await generate('alice', { prompt: 'two offline', model: 'offline', count: 2 });
		const [retried] = await generate('alice', { prompt: 'retried', model: 'flux-schnell', width: 1024, height: 1024 });
		const [failed] = await generate('alice', { prompt: 'failed', model: 'flux-schnell', width: 1024, height: 1024 });
		const [cancelled] = await generate('alice', { prompt: 'cancelled', model: 'offline' });
		const [pending] = await generate('root', { prompt: 'left pending', model: 'offline' });
		const [processing] = await generate('root', { prompt: 'left processing', model: 'offline' });
		expect(sent).toHaveLength(7);

		// No previews: the scripted JPEG is only a header, which the Images binding cannot decode.
		const run = { ...env, AI: ai, PREVIEWS: 'none' };
		expect(await runJob(run, offlineA!, 1)).toEqual({ action: 'ack' });
		expect(await runJob(run, offlineB!, 1)).toEqual({ action: 'ack' });
		expect(await runJob(run, retried!, 1)).toMatchObject({ action: 'retry' });
		expect(await runJob(run, retried!, 2)).toEqual({ action: 'ack' });
		expect(await runJob(run, failed!, 1)).toEqual({ action: 'ack' });
		expect(await claimJob(getDb(env), processing!, Date.now(), 60_000)).not.toBeNull();
		const cancel = await callAs(bindings, 'alice', 'cancel_job', { job_id: cancelled });
		expect(textJson(cancel)).toMatchObject({ cancelled_count: 1 });
		const deleted = await callAs(bindings, 'alice', 'delete_image', { image: offlineA });
		expect(textJson(deleted)).toMatchObject({ deleted: true });

		// Refusals: a budget of $0 against a priced model, and a rate limiter that says no.
		const overBudget = await callAs(bindings, 'bob', 'generate_image', {
			prompt: 'too dear',
			model: 'dall-e-2',
			width: 1024,
			height: 1024,
		});
		expect(textJson(overBudget)).toMatchObject({ success: false, limit: 'daily_budget' });
		const refusing = { limit: async () => ({ success: false }) } as RateLimit;
		// Twice: the second adds to the row the first made.
		for (let call = 0; call < 2; call++) {
			const limited = await callAs({ ...bindings, JOB_RATE_LIMITER: refusing }, 'alice', 'generate_image', {
				prompt: 'too fast',
				model: 'offline',
			});
			expect(textJson(limited)).toMatchObject({ success: false, limit: 'rate_limit' });
		}
		expect(sent).toHaveLength(7);

		const rows = await Promise.all(
			[offlineA, offlineB, retried, failed, cancelled, pending, processing].map((id) => readJobRow(id!)),
		);
		const [rowA, rowB, rowRetried, rowFailed, , , rowProcessing] = rows;
		expect(rows.map((row) => row?.status)).toEqual([
			'completed',
			'completed',
			'completed',
			'failed',
			'cancelled',
			'pending',
			'processing',
		]);
		expect(rowRetried?.attempts).toBe(2);
		expect(rowFailed?.errorCode).toBe('content_policy');

		const metrics = await scrapeOk(bindings, { authorization: `Bearer ${METRICS_TOKEN}` });
		const expected: Record<string, number> = {
			'image_mcp_jobs_created_total{model="flux-schnell"}': 2,
			'image_mcp_jobs_created_total{model="offline"}': 5,
			'image_mcp_jobs_finished_total{model="flux-schnell",status="cancelled"}': 0,
			'image_mcp_jobs_finished_total{model="flux-schnell",status="completed"}': 1,
			'image_mcp_jobs_finished_total{model="flux-schnell",status="failed"}': 1,
			'image_mcp_jobs_finished_total{model="offline",status="cancelled"}': 1,
			'image_mcp_jobs_finished_total{model="offline",status="completed"}': 2,
			'image_mcp_jobs_finished_total{model="offline",status="failed"}': 0,
			'image_mcp_job_attempts_total{model="flux-schnell"}': 3,
			'image_mcp_job_attempts_total{model="offline"}': 3,
			'image_mcp_job_retries_total{model="flux-schnell",error_code="transient"}': 1,
			'image_mcp_job_errors_total{model="flux-schnell",error_code="content_policy"}': 1,
			'image_mcp_job_errors_total{model="flux-schnell",error_code="transient"}': 1,
			'image_mcp_budget_refusals_total{period="daily"}': 1,
			'image_mcp_budget_refusals_total{period="monthly"}': 0,
			image_mcp_rate_limit_refusals_total: 2,
			'image_mcp_jobs_unfinished{model="flux-schnell",status="pending"}': 0,
			'image_mcp_jobs_unfinished{model="flux-schnell",status="processing"}': 0,
			'image_mcp_jobs_unfinished{model="offline",status="pending"}': 1,
			'image_mcp_jobs_unfinished{model="offline",status="processing"}': 1,
			image_mcp_images_stored: 2,
		};
		for (const [key, value] of Object.entries(expected)) expect(sampleValue(metrics, key), key).toBe(value);
		// Nothing more than these series in the counter and gauge families (no per-user label, no stray code).
		const simpleFamilies = [
			'image_mcp_jobs_created_total',
			'image_mcp_jobs_finished_total',
			'image_mcp_job_attempts_total',
			'image_mcp_job_retries_total',
			'image_mcp_job_errors_total',
			'image_mcp_budget_refusals_total',
			'image_mcp_rate_limit_refusals_total',
			'image_mcp_jobs_unfinished',
			'image_mcp_images_stored',
		];
		expect(
			metrics.order.filter((key) => simpleFamilies.includes(key.split('{')[0]!)).sort(),
			'the series of the counters and gauges',
		).toEqual(Object.keys(expected).sort());

		const bytes = await env.DB.prepare(
			'SELECT bytes FROM images WHERE job_id IN (?, ?) AND removed_at IS NULL ORDER BY job_id',
		)
			.bind(offlineB, retried)
			.all<{ bytes: number }>();
		expect(bytes.results).toHaveLength(2);
		expect(sampleValue(metrics, 'image_mcp_images_stored_bytes')).toBe(
			bytes.results.reduce((sum, row) => sum + row.bytes, 0),
		);

		const duration = (row: typeof rowA) => row!.completedAt! - row!.startedAt!;
		expectHistogram(metrics, 'image_mcp_generation_duration_seconds', 'model="offline"', GENERATION_DURATION_BUCKETS, [
			duration(rowA),
			duration(rowB),
		]);
		expectHistogram(
			metrics,
			'image_mcp_generation_duration_seconds',
			'model="flux-schnell"',
			GENERATION_DURATION_BUCKETS,
			[duration(rowRetried)],
		);
		const wait = (row: typeof rowA) => Math.max(0, row!.startedAt! - row!.createdAt);
		expectHistogram(metrics, 'image_mcp_job_queue_wait_seconds', '', QUEUE_WAIT_BUCKETS, [
			wait(rowA),
			wait(rowB),
			wait(rowRetried),
			wait(rowFailed),
			wait(rowProcessing),
		]);
	});

	it('writes HELP and TYPE once per family, before its samples, with Prometheus names and units', async () => {
		await insertJob();
		const response = await scrape();
		const text = await response.text();
		expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
		expect(response.headers.get('cache-control')).toBe('no-store');
		const metrics = parseExposition(text);
		const families = [...metrics.types.keys()];
		expect(families).toEqual([...metrics.help.keys()]);
		expect(Object.fromEntries(metrics.types)).toEqual({
			image_mcp_jobs_created_total: 'counter',
			image_mcp_jobs_finished_total: 'counter',
			image_mcp_job_attempts_total: 'counter',
			image_mcp_job_retries_total: 'counter',
			image_mcp_job_errors_total: 'counter',
			image_mcp_budget_refusals_total: 'counter',
			image_mcp_rate_limit_refusals_total: 'counter',
			image_mcp_generation_duration_seconds: 'histogram',
			image_mcp_job_queue_wait_seconds: 'histogram',
			image_mcp_jobs_unfinished: 'gauge',
			image_mcp_images_stored: 'gauge',
			image_mcp_images_stored_bytes: 'gauge',
		});
		// Each family's comments come right before its own samples, and no family is split.
		const lines = text.trim().split('\n');
		for (const family of families) {
			const typeLine = lines.indexOf(`# TYPE ${family} ${metrics.types.get(family)}`);
			expect(lines[typeLine - 1]).toBe(`# HELP ${family} ${metrics.help.get(family)}`);
			const own = (line: string) =>
				!line.startsWith('#') && new RegExp(`^${family}(_bucket|_sum|_count)?[{ ]`).test(line);
			const first = lines.findIndex(own);
			const last = lines.findLastIndex(own);
			if (first !== -1) {
				expect(first).toBe(typeLine + 1);
				expect(lines.slice(first, last + 1).every(own), family).toBe(true);
			}
		}
		// The unlabelled histogram shows from the start, all zero; the pending job is counted.
		expect(sampleValue(metrics, 'image_mcp_job_queue_wait_seconds_bucket{le="+Inf"}')).toBe(0);
		expect(sampleValue(metrics, 'image_mcp_job_queue_wait_seconds_count')).toBe(0);
		expect(sampleValue(metrics, 'image_mcp_jobs_unfinished{model="offline",status="pending"}')).toBe(1);
	});

	it('escapes label values: a model name with a quote, a backslash and a line feed', async () => {
		await insertJob({ model: 'odd "model"\\with\nbreak' });
		const metrics = await scrapeOk();
		expect(sampleValue(metrics, 'image_mcp_jobs_created_total{model="odd \\"model\\"\\\\with\\nbreak"}')).toBe(1);
	});
});

describe('counting a refusal', () => {
	it('never costs the caller its refusal: a failing counter write is logged, the refusal answered', async () => {
		const failingCounters = interceptD1(env.DB, {
			statement: (sql) => {
				if (sql.includes('metric_counters')) throw new Error('D1_ERROR: simulated');
			},
			batch: () => {},
		});
		const refusing = { limit: async () => ({ success: false }) } as RateLimit;
		const bindings = await usersEnv([{ id: 'alice' }], { DB: failingCounters, JOB_RATE_LIMITER: refusing });
		const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
		try {
			const limited = await callAs(bindings, 'alice', 'generate_image', { prompt: 'too fast', model: 'offline' });
			expect(textJson(limited)).toMatchObject({ success: false, limit: 'rate_limit' });
			expect(logged).toHaveBeenCalledWith('could not count image_mcp_rate_limit_refusals_total', expect.any(Error));
		} finally {
			logged.mockRestore();
		}
		expect(sampleValue(await scrapeOk(), 'image_mcp_rate_limit_refusals_total')).toBe(0);
	});
});

describe('the triggers behind the counters', () => {
	it('sort a duration lying exactly on each bound into that bound, and one millisecond more into the next', async () => {
		const base = Date.now() - 1_000_000;
		const bounds = [
			...GENERATION_DURATION_BUCKETS.map((bound) => ({ histogram: 'duration', ms: Math.round(bound * 1000) })),
			...QUEUE_WAIT_BUCKETS.map((bound) => ({ histogram: 'wait', ms: Math.round(bound * 1000) })),
		];
		const durations: number[] = [];
		const waits: number[] = [];
		for (const { histogram, ms } of bounds) {
			for (const observed of [ms, ms + 1]) {
				if (histogram === 'duration') {
					const job = await insertJob({ status: 'processing', startedAt: base, createdAt: base });
					await env.DB.prepare("UPDATE jobs SET status = 'completed', completed_at = ? WHERE id = ?")
						.bind(base + observed, job.id)
						.run();
					durations.push(observed);
				} else {
					const job = await insertJob({ createdAt: base });
					await env.DB.prepare("UPDATE jobs SET status = 'processing', started_at = ? WHERE id = ?")
						.bind(base + observed, job.id)
						.run();
					waits.push(observed);
				}
			}
		}
		// The duration jobs were claimed before these tests' updates (inserted with started_at), so
		// only the wait jobs count in the queue-wait histogram.
		const metrics = await scrapeOk();
		expectHistogram(
			metrics,
			'image_mcp_generation_duration_seconds',
			'model="offline"',
			GENERATION_DURATION_BUCKETS,
			durations,
		);
		expectHistogram(metrics, 'image_mcp_job_queue_wait_seconds', '', QUEUE_WAIT_BUCKETS, waits);
		// Stored per bucket, not cumulative: one row per bound and +Inf, each holding 2 (the bound
		// itself and the one after the previous bound), except the first (1) and +Inf (1).
		const { results } = await env.DB.prepare(
			"SELECT json_extract(labels, '$.le') AS le, value FROM metric_counters WHERE name = 'image_mcp_job_queue_wait_seconds:bucket'",
		).all<{ le: string; value: number }>();
		const stored = Object.fromEntries(results.map((row) => [row.le, row.value]));
		expect(stored).toEqual(
			Object.fromEntries([
				...QUEUE_WAIT_BUCKETS.map((bound, index) => [String(bound), index === 0 ? 1 : 2]),
				['+Inf', 1],
			]),
		);
	});

	it('count stored images and bytes as the rows change: stored, removed, and restored when R2 refused the delete', async () => {
		const job = await insertJob({ status: 'completed' });
		const image = (id: string, bytes: number) =>
			env.DB.prepare(
				"INSERT INTO images (id, job_id, idx, owner, r2_key, content_type, width, height, bytes, created_at) VALUES (?1, ?2, 0, 'default', ?1, 'image/png', 1, 1, ?3, 0)",
			)
				.bind(id, job.id, bytes)
				.run();
		await image(`${job.id}/0`, 1000);
		await image(`${job.id}/1`, 234);
		const stored = async () => {
			const metrics = await scrapeOk();
			return [sampleValue(metrics, 'image_mcp_images_stored'), sampleValue(metrics, 'image_mcp_images_stored_bytes')];
		};
		expect(await stored()).toEqual([2, 1234]);
		const mark = env.DB.prepare("UPDATE images SET removed_at = 5, removed_reason = 'deleted' WHERE id = ?");
		await mark.bind(`${job.id}/0`).run();
		// Marking again changes nothing: only live → removed counts.
		await mark.bind(`${job.id}/0`).run();
		expect(await stored()).toEqual([1, 234]);
		await env.DB.prepare('UPDATE images SET removed_at = NULL, removed_reason = NULL WHERE id = ?')
			.bind(`${job.id}/0`)
			.run();
		expect(await stored()).toEqual([2, 1234]);
	});

	it('leave the lifecycle’s own answers as they were: completing a job says whether this call completed it', async () => {
		const db = getDb(env);
		const job = await insertJob();
		const claimed = await claimJob(db, job.id, Date.now(), 60_000);
		const stored = {
			index: 0,
			r2Key: `${job.id}/0`,
			contentType: 'image/png',
			width: 1,
			height: 1,
			bytes: 10,
			seed: null,
			revisedPrompt: null,
		};
		// The completing statement's triggers write counter rows (finished, a bucket, the sum) and
		// the image insert's write two more; the answer is still about the job alone.
		expect(await completeJob(db, claimed!, [stored], Date.now())).toBe(true);
		expect(await completeJob(db, claimed!, [stored], Date.now())).toBe(false);
		const written = await env.DB.prepare('SELECT count(*) AS n FROM metric_counters').first<number>('n');
		expect(written).toBeGreaterThanOrEqual(6);
	});

	it('are matched by the migration’s backfill, which rebuilds the same counters from the rows', async () => {
		// A workload with no retry (the rows keep no history of retries, so the backfill cannot see them).
		const db = getDb(env);
		const now = Date.now();
		for (const [model, status, startedAfter, tookMs] of [
			['offline', 'completed', 5, 40],
			['offline', 'completed', 30, 700],
			['flux-schnell', 'completed', 2_000, 12_000],
			['flux-schnell', 'failed', 15, null],
			['offline', 'cancelled', null, null],
			['offline', 'pending', null, null],
		] as const) {
			const job = await insertJob({ model, createdAt: now - 100_000 });
			if (startedAfter !== null) {
				const started = now - 100_000 + startedAfter;
				expect(await claimJob(db, job.id, started, 60_000)).not.toBeNull();
				if (status === 'completed') {
					await env.DB.prepare("UPDATE jobs SET status = 'completed', completed_at = ?2, updated_at = ?2 WHERE id = ?1")
						.bind(job.id, started + tookMs!)
						.run();
					await env.DB.prepare(
						"INSERT INTO images (id, job_id, idx, owner, r2_key, content_type, width, height, bytes, created_at) VALUES (?1, ?2, 0, 'default', ?1, 'image/png', 1, 1, ?3, 0)",
					)
						.bind(`${job.id}/0`, job.id, tookMs! + 1)
						.run();
				} else {
					await env.DB.prepare(
						"UPDATE jobs SET status = 'failed', error_code = 'invalid_request', completed_at = ?2 WHERE id = ?1",
					)
						.bind(job.id, now)
						.run();
				}
			} else if (status === 'cancelled') {
				await env.DB.prepare("UPDATE jobs SET status = 'cancelled', error_code = 'cancelled' WHERE id = ?")
					.bind(job.id)
					.run();
			}
		}
		await env.DB.prepare(
			"UPDATE images SET removed_at = 1, removed_reason = 'expired' WHERE id = (SELECT min(id) FROM images)",
		).run();

		const snapshot = async () => {
			const { results } = await env.DB.prepare(
				'SELECT name, labels, value FROM metric_counters WHERE value <> 0 ORDER BY name, labels',
			).all();
			return results;
		};
		const byTriggers = await snapshot();
		expect(byTriggers.length).toBeGreaterThan(10);

		const migration = env.TEST_MIGRATIONS.find((entry) => entry.name === '0008_metrics_triggers.sql');
		const backfill = migration!.queries.filter((query) => /^INSERT\b/i.test(query.replace(/^(--.*\n|\s)+/, '')));
		expect(backfill.length).toBeGreaterThan(5);
		await env.DB.prepare('DELETE FROM metric_counters').run();
		await env.DB.batch(backfill.map((query) => env.DB.prepare(query)));
		expect(await snapshot()).toEqual(byTriggers);
	});
});

describe('who may scrape', () => {
	async function refusal(response: Response) {
		expect(response.headers.get('content-type')).toContain('application/json');
		return ((await response.json()) as { error: string }).error;
	}

	it('a loopback client of a local server with no credentials, as for /mcp; not another host', async () => {
		expect((await scrape()).status).toBe(200);
		const remote = await scrape({}, {}, 'http://192.0.2.7/metrics');
		expect(remote.status).toBe(403);
		expect(await refusal(remote)).toContain('loopback');
	});

	it('the METRICS_TOKEN; without it or with a wrong one, 401 with a Bearer challenge saying what is needed', async () => {
		const deployed = { LOCAL_DEV: '', METRICS_TOKEN };
		const none = await scrape(deployed);
		expect(none.status).toBe(401);
		expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
		expect(await refusal(none)).toContain('METRICS_TOKEN');
		const wrong = await scrape(deployed, { authorization: 'Bearer not-the-token' });
		expect(wrong.status).toBe(401);
		expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer /);
		expect(await refusal(wrong)).toContain('not valid');
		expect((await scrape(deployed, { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(200);
		// A METRICS_TOKEN is a credential: a local server that has one no longer opens /metrics to loopback.
		expect((await scrape({ METRICS_TOKEN })).status).toBe(401);
		expect((await scrape({ METRICS_TOKEN }, { authorization: 'Bearer guess' })).status).toBe(401);
	});

	it('an admin bearer token; a user’s is refused with 403, a deployment with no credentials with 401', async () => {
		const bindings = await usersEnv([{ id: 'alice' }, { id: 'root', role: 'admin' }], { METRICS_TOKEN });
		expect((await scrape(bindings, { authorization: 'Bearer token-root' })).status).toBe(200);
		const user = await scrape(bindings, { authorization: 'Bearer token-alice' });
		expect(user.status).toBe(403);
		expect(await refusal(user)).toContain('admin');
		expect((await scrape(bindings, { authorization: 'Bearer token-nobody' })).status).toBe(401);
		expect((await scrape(bindings)).status).toBe(401);
		// The shared AUTH_TOKEN is the admin principal "default".
		expect((await scrape({ LOCAL_DEV: '', AUTH_TOKEN: 'shared' }, { authorization: 'Bearer shared' })).status).toBe(
			200,
		);
		const closed = await scrape({ LOCAL_DEV: '' });
		expect(closed.status).toBe(401);
		expect(await refusal(closed)).toContain('METRICS_TOKEN');
	});

	it('answers HEAD like GET without a body, and other methods with 405 and the methods it takes', async () => {
		const request = (method: string) =>
			createApp().fetch(new Request('http://localhost/metrics', { method }), env, createExecutionContext());
		const head = await request('HEAD');
		expect(head.status).toBe(200);
		expect(head.headers.get('content-type')).toBe(EXPOSITION_CONTENT_TYPE);
		expect(await head.text()).toBe('');
		const response = await request('POST');
		expect(response.status).toBe(405);
		expect(response.headers.get('allow')).toBe('GET, HEAD');
	});
});

describe('the D1 cost of a scrape', () => {
	it('is one batch of two SELECTs, however many jobs there are', async () => {
		const seen: string[][] = [];
		const counted = interceptD1(env.DB, {
			statement: (sql) => seen.push([sql]),
			batch: (sqls) => seen.push(sqls),
		});
		await scrapeOk({ DB: counted });
		const empty = seen.splice(0);
		expect(empty).toHaveLength(1);
		expect(empty[0]).toHaveLength(2);
		expect(empty[0]!.every((sql) => /^\s*select\b/i.test(sql))).toBe(true);

		// 300 jobs of 3 models in every state, inserted in one statement.
		await env.DB.prepare(
			`INSERT INTO jobs (id, owner, status, prompt, model, params, created_at, updated_at)
			WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
			SELECT 'job-' || i, 'owner-' || (i % 7), CASE i % 5 WHEN 0 THEN 'pending' WHEN 1 THEN 'processing' WHEN 2 THEN 'completed' WHEN 3 THEN 'failed' ELSE 'cancelled' END,
				'p', 'model-' || (i % 3), '{}', i, i FROM n`,
		).run();
		const metrics = await scrapeOk({ DB: counted });
		expect(seen).toEqual(empty);
		expect(sampleValue(metrics, 'image_mcp_jobs_created_total{model="model-0"}')).toBe(100);
		expect(sampleValue(metrics, 'image_mcp_jobs_unfinished{model="model-1",status="pending"}')).toBe(20);
		// No per-user label anywhere.
		expect(metrics.order.some((key) => key.includes('owner'))).toBe(false);
	});

	it('reads the unfinished jobs through the status index, not the whole table', async () => {
		const { results } = await env.DB.prepare(
			"EXPLAIN QUERY PLAN SELECT model, status, count(*) FROM jobs WHERE status IN ('pending', 'processing') GROUP BY status, model",
		).all<{ detail: string }>();
		expect(results.map((row) => row.detail).join('\n')).toContain('USING INDEX jobs_status_updated_idx');
	});
});
