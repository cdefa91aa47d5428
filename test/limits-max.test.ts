/**
 * Every documented maximum, and one past it, through the real app and local D1 (issue 15,
 * docs/limits.md). The maxima are the constants the code uses, so a change of limit moves
 * the test with it. D1 allows 100 bound parameters per statement: the maxima must hold
 * there, not only in the schemas.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { D1_MAX_BOUND_PARAMETERS } from '../src/db/limits';
import { images } from '../src/db/schema';
import { MAX_COUNT } from '../src/generation/request';
import { EXPIRE_BATCH, EXPIRE_CALL_BUDGET, EXPIRE_MAX_BATCHES, expireImages } from '../src/jobs/image-removal';
import { MAX_JOBS_PER_CALL, MAX_PAGE_LIMIT } from '../src/tools/jobs.tools';
import { MAX_BODY_BYTES } from '../src/worker/json-body';
import { countR2Objects, insertJob } from './helpers/fixtures';
import { callTool, post, rpcBody, textJson } from './helpers/mcp';
import { callAs, recordingQueue, usersEnv } from './helpers/users';

const DAY_MS = 24 * 60 * 60 * 1000;

const jobsWithPrompt = (prompt: string) =>
	env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE prompt = ?').bind(prompt).first<number>('n');

describe(`count: ${MAX_COUNT} (the maximum) and ${MAX_COUNT + 1}`, () => {
	it(`creates ${MAX_COUNT} jobs of the free model in one call, which binds more than ${D1_MAX_BOUND_PARAMETERS} values`, async () => {
		const prompt = `max count ${crypto.randomUUID()}`;
		const result = await callTool('generate_image', { prompt, count: MAX_COUNT, width: 64, height: 64 });
		expect(result.isError).toBeUndefined();
		expect(textJson(result).job_ids).toHaveLength(MAX_COUNT);
		expect(await jobsWithPrompt(prompt)).toBe(MAX_COUNT);
	});

	it(`generate_image_and_wait returns ${MAX_COUNT} finished images`, async () => {
		const prompt = `max count wait ${crypto.randomUUID()}`;
		const result = await callTool('generate_image_and_wait', { prompt, count: MAX_COUNT, width: 64, height: 64 });
		expect(result.isError, result.content[0]?.text).toBeUndefined();
		expect(textJson(result)).toMatchObject({ count: MAX_COUNT, completed: MAX_COUNT });
	});

	it(`creates ${MAX_COUNT} jobs of a budgeted, priced model atomically`, async () => {
		const { queue, sent } = recordingQueue();
		const bindings = await usersEnv([{ id: 'bea', daily_budget_usd: 100 }], { OPENAI_API_KEY: 'test', JOBS: queue });
		const prompt = `max count priced ${crypto.randomUUID()}`;
		const result = await callAs(bindings, 'bea', 'generate_image', {
			prompt,
			model: 'dall-e-2',
			width: 1024,
			height: 1024,
			count: MAX_COUNT,
		});
		expect(result.isError).toBeUndefined();
		expect(await jobsWithPrompt(prompt)).toBe(MAX_COUNT);
		expect(sent).toHaveLength(MAX_COUNT);
	});

	it(`creates ${MAX_COUNT} jobs as an MCP task`, async () => {
		const prompt = `max count task ${crypto.randomUUID()}`;
		const response = await post(
			rpcBody('tools/call', {
				name: 'generate_image',
				arguments: { prompt, count: MAX_COUNT, width: 64, height: 64 },
				task: { ttl: 60_000 },
			}),
		);
		const body = (await response.json()) as { result?: { task?: { taskId: string } }; error?: unknown };
		expect(body.error, JSON.stringify(body.error)).toBeUndefined();
		expect(body.result?.task?.taskId).toEqual(expect.any(String));
		expect(await jobsWithPrompt(prompt)).toBe(MAX_COUNT);
	});

	it(`refuses ${MAX_COUNT + 1}, naming the range, and creates nothing`, async () => {
		const prompt = `past max count ${crypto.randomUUID()}`;
		const result = await callTool('generate_image', { prompt, count: MAX_COUNT + 1 });
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain('count');
		expect(await jobsWithPrompt(prompt)).toBe(0);
	});
});

describe(`${MAX_JOBS_PER_CALL} job ids (the maximum) and ${MAX_JOBS_PER_CALL + 1}`, () => {
	it(`wait_for_completion and cancel_job take ${MAX_JOBS_PER_CALL}`, async () => {
		const ids = await Promise.all(
			Array.from({ length: MAX_JOBS_PER_CALL }, async () => (await insertJob({ status: 'pending' })).id),
		);
		const waited = await callTool('wait_for_completion', { job_ids: ids, timeout_seconds: 1 });
		expect(waited.isError, waited.content[0]?.text).toBeUndefined();
		expect(textJson(waited)).toMatchObject({ count: MAX_JOBS_PER_CALL });
		const cancelled = await callTool('cancel_job', { job_ids: ids });
		expect(cancelled.isError, cancelled.content[0]?.text).toBeUndefined();
	});

	it.each(['wait_for_completion', 'cancel_job'])(`%s refuses ${MAX_JOBS_PER_CALL + 1} ids`, async (tool) => {
		const ids = Array.from({ length: MAX_JOBS_PER_CALL + 1 }, () => crypto.randomUUID());
		const result = await callTool(tool, { job_ids: ids });
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain('job_ids');
	});
});

describe(`limit ${MAX_PAGE_LIMIT} (the maximum) and ${MAX_PAGE_LIMIT + 1} on every listing`, () => {
	it.each(['list_jobs', 'list_generations'])(
		`%s returns ${MAX_PAGE_LIMIT} and refuses ${MAX_PAGE_LIMIT + 1}`,
		async (tool) => {
			const owner = `lister-${crypto.randomUUID()}`;
			const bindings = await usersEnv([{ id: owner }]);
			for (let i = 0; i < MAX_PAGE_LIMIT + 2; i++) {
				const job = await insertJob({ owner, status: 'completed', createdAt: 1_000 + i, completedAt: 1_000 + i });
				await getDb(env)
					.insert(images)
					.values({
						id: `${job.id}/0`,
						jobId: job.id,
						idx: 0,
						owner,
						r2Key: `${job.id}/0`,
						contentType: 'image/png',
						width: 8,
						height: 8,
						bytes: 1,
						seed: 1,
						createdAt: 1_000 + i,
					});
			}
			const page = await callAs(bindings, owner, tool, { limit: MAX_PAGE_LIMIT });
			expect(page.isError).toBeUndefined();
			const listed = (page.structuredContent?.jobs ?? page.structuredContent?.generations) as unknown[];
			expect(listed).toHaveLength(MAX_PAGE_LIMIT);
			const past = await callAs(bindings, owner, tool, { limit: MAX_PAGE_LIMIT + 1 });
			expect(past.isError).toBe(true);
			expect(past.content[0]?.text).toContain(`${MAX_PAGE_LIMIT}`);
		},
	);
});

describe(`a request body of ${MAX_BODY_BYTES} bytes (the maximum) and ${MAX_BODY_BYTES + 1}`, () => {
	/** A ping padded to exactly `bytes` bytes of JSON. */
	function pingOf(bytes: number): string {
		const empty = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: '' } });
		const body = JSON.stringify({
			jsonrpc: '2.0',
			id: 1,
			method: 'ping',
			params: { pad: 'x'.repeat(bytes - empty.length) },
		});
		expect(new TextEncoder().encode(body).byteLength).toBe(bytes);
		return body;
	}

	it('answers a body of exactly the limit', async () => {
		const response = await post(pingOf(MAX_BODY_BYTES));
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: 1, result: {} });
	});

	it('refuses one byte more with 413, naming the limit', async () => {
		const response = await post(pingOf(MAX_BODY_BYTES + 1));
		expect(response.status).toBe(413);
		expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
			`${MAX_BODY_BYTES} bytes`,
		);
	});
});

describe('retention of many due images', () => {
	const PER_RUN = EXPIRE_BATCH * EXPIRE_MAX_BATCHES;

	/** `count` finished images created long ago, each with its object and preview in R2 (and a transform when asked). */
	async function dueImages(count: number, transforms: boolean): Promise<{ keys: string[]; old: number }> {
		const old = Date.now() - 10 * DAY_MS;
		const keys: string[] = [];
		const rows: (typeof images.$inferInsert)[] = [];
		for (let i = 0; i < count; i++) {
			const job = await insertJob({ status: 'completed', createdAt: old + i, completedAt: old + i });
			const key = `${job.id}/0`;
			keys.push(key);
			rows.push({
				id: key,
				jobId: job.id,
				idx: 0,
				owner: 'default',
				r2Key: key,
				contentType: 'image/png',
				width: 8,
				height: 8,
				bytes: 1,
				seed: 1,
				createdAt: old + i,
				hasTransforms: transforms,
			});
		}
		for (let start = 0; start < rows.length; start += 5) {
			await getDb(env)
				.insert(images)
				.values(rows.slice(start, start + 5));
		}
		await Promise.all(keys.map((key) => env.IMAGES.put(key, new Uint8Array([1]))));
		await Promise.all(keys.map((key) => env.IMAGES.put(`${key}/preview.webp`, new Uint8Array([2]))));
		if (transforms) {
			await Promise.all(keys.map((key) => env.IMAGES.put(`${key}/t/w4-h--scale-down-q-.webp`, new Uint8Array([3]))));
		}
		return { keys, old };
	}

	/** The real bucket, with its calls counted by method. */
	function countingBucket() {
		const calls = { list: 0, delete: 0 };
		const bucket = new Proxy(env.IMAGES, {
			get(target, property) {
				const value = Reflect.get(target, property);
				if (typeof value !== 'function') return value;
				return (...args: unknown[]) => {
					if (property === 'list' || property === 'delete') calls[property]++;
					return value.apply(target, args);
				};
			},
		});
		return { bucket, calls };
	}

	it(`expires ${PER_RUN} due images in one run (more than ${D1_MAX_BOUND_PARAMETERS} ids marked), and the rest in the next`, async () => {
		const due = PER_RUN + 200;
		const { keys, old } = await dueImages(due, false);
		const { bucket, calls } = countingBucket();

		expect(await expireImages({ ...env, IMAGES: bucket }, getDb(env), 1, Date.now())).toBe(PER_RUN);
		// Never transformed: the preview's key is known, so nothing is listed.
		expect(calls).toEqual({ list: 0, delete: EXPIRE_MAX_BATCHES });
		const live = () =>
			env.DB.prepare('SELECT count(*) AS n FROM images WHERE removed_at IS NULL AND created_at < ?')
				.bind(old + due)
				.first<number>('n');
		expect(await live()).toBe(due - PER_RUN);
		// Marked rows have no objects left; the oldest went first.
		expect(await countR2Objects(keys[0]!)).toBe(0);
		expect(await countR2Objects(keys[PER_RUN - 1]!)).toBe(0);
		expect(await countR2Objects(keys[PER_RUN]!)).toBe(2);

		expect(await expireImages(env, getDb(env), 1, Date.now())).toBe(due - PER_RUN);
		expect(await live()).toBe(0);
		expect(await countR2Objects(keys.at(-1)!)).toBe(0);
	}, 120_000);

	it(`stays within ${EXPIRE_CALL_BUDGET} service calls when every image has transforms to list, and the next run goes on`, async () => {
		const due = PER_RUN;
		const { keys } = await dueImages(due, true);
		const { bucket, calls } = countingBucket();

		const first = await expireImages({ ...env, IMAGES: bucket }, getDb(env), 1, Date.now());
		expect(first).toBeGreaterThan(0);
		expect(first).toBeLessThan(due);
		// One list per image; D1 spends 2 statements per batch on top.
		expect(calls.list).toBe(first);
		const batches = Math.ceil(first / EXPIRE_BATCH);
		expect(calls.list + calls.delete + 2 * batches).toBeLessThanOrEqual(EXPIRE_CALL_BUDGET);
		// Each removed image went with its preview and its transform.
		expect(await countR2Objects(keys[first - 1]!)).toBe(0);
		expect(await countR2Objects(keys[first]!)).toBe(3);

		expect(await expireImages(env, getDb(env), 1, Date.now())).toBe(due - first);
		expect(await countR2Objects(keys.at(-1)!)).toBe(0);
	}, 120_000);
});
