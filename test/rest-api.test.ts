import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_COUNT } from '../src/generation/request';
import { MAX_PAGE_LIMIT } from '../src/tools/jobs.tools';
import { MAX_WAIT_SECONDS } from '../src/tools/wait';
import { PROBLEM_CONTENT_TYPE } from '../src/worker/api/problem';
import { MAX_BODY_BYTES } from '../src/worker/json-body';
import { recordingQueue, usersEnv } from './helpers/users';
import { requestAs, unique } from './helpers/web';

interface Problem {
	type: string;
	title: string;
	status: number;
	detail: string;
	instance: string;
	field?: string;
	fields?: string[];
	[extension: string]: unknown;
}

/** A request to /api/v1 through the real app (requestAs), `path` below it. */
const api = (bindings: Partial<Env>, method: string, path: string, options?: Parameters<typeof requestAs>[3]) =>
	requestAs(bindings, method, `/api/v1${path}`, options);

async function problemOf(response: Response): Promise<Problem> {
	expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
	const problem = (await response.json()) as Problem;
	expect(problem.status).toBe(response.status);
	expect(problem.type).toMatch(/^urn:image-mcp:problem:/);
	return problem;
}

const jobCount = (owner: string) =>
	env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(owner).first<number>('n');

const FREE = { prompt: 'a paper kite', model: 'offline', width: 64, height: 64 };

describe('POST /api/v1/generations', () => {
	it('queues the jobs and answers 202 with their ids and a Location', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await api(bindings, 'POST', '/generations', { user: alice, body: { ...FREE, count: 2 } });
		expect(response.status).toBe(202);
		const body = (await response.json()) as { job_id: string; job_ids: string[]; status: string; count: number };
		expect(body).toMatchObject({ count: 2, status: 'pending', model: 'offline' });
		expect(response.headers.get('location')).toBe(`/api/v1/jobs/${body.job_id}`);
		expect(await jobCount(alice)).toBe(2);
	});

	it('with wait, answers 200 with the finished image once the job is done', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await api(bindings, 'POST', `/generations?wait=${MAX_WAIT_SECONDS}`, { user: alice, body: FREE });
		expect(response.status).toBe(200);
		const body = (await response.json()) as {
			done: boolean;
			results: { status: string; image_url: string; images: unknown[] }[];
		};
		expect(body.done).toBe(true);
		expect(body.results[0]).toMatchObject({ status: 'completed', image_url: expect.stringContaining('/images/') });
	});

	it('takes an Idempotency-Key: a retry returns the same jobs; the key on another request is a 409', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const headers = { 'idempotency-key': 'order-7' };
		const first = await api(bindings, 'POST', '/generations', { user: alice, body: FREE, headers });
		const again = await api(bindings, 'POST', '/generations', { user: alice, body: FREE, headers });
		const firstBody = (await first.json()) as { job_id: string; reused: boolean };
		const againBody = (await again.json()) as { job_id: string; reused: boolean };
		expect(againBody).toMatchObject({ job_id: firstBody.job_id, reused: true });
		expect(firstBody.reused).toBe(false);

		const other = await api(bindings, 'POST', '/generations', {
			user: alice,
			body: { ...FREE, prompt: 'something else' },
			headers,
		});
		expect(other.status).toBe(409);
		expect((await problemOf(other)).detail).toContain('used for an earlier request with a different prompt');

		const mismatch = await api(bindings, 'POST', '/generations', {
			user: alice,
			body: { ...FREE, idempotency_key: 'other' },
			headers,
		});
		expect(mismatch.status).toBe(400);
		expect((await problemOf(mismatch)).field).toBe('idempotency_key');
		expect(await jobCount(alice)).toBe(1);
	});

	it('refuses bad input with a problem naming the field, and creates nothing', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const cases: {
			body?: unknown;
			rawBody?: string;
			query?: string;
			headers?: Record<string, string>;
			status: number;
			field?: string;
			says: string;
		}[] = [
			{ body: { model: 'offline' }, status: 400, field: 'prompt', says: 'prompt' },
			{ body: { ...FREE, count: MAX_COUNT + 1 }, status: 400, field: 'count', says: `1–${MAX_COUNT}` },
			{ body: { ...FREE, colour: 'red' }, status: 400, field: 'colour', says: 'unknown argument' },
			{ body: { ...FREE, model: 'no-such-model' }, status: 400, field: 'model', says: 'no-such-model' },
			{
				body: FREE,
				query: `?wait=${MAX_WAIT_SECONDS + 1}`,
				status: 400,
				field: 'wait',
				says: `0 to ${MAX_WAIT_SECONDS}`,
			},
			{ body: FREE, query: '?wait=soon', status: 400, field: 'wait', says: 'not a number of seconds' },
			{ rawBody: '{"prompt": ', headers: { 'content-type': 'application/json' }, status: 400, says: 'not valid JSON' },
			{
				rawBody: 'prompt=x',
				headers: { 'content-type': 'application/xml' },
				status: 415,
				says: 'Content-Type: application/json',
			},
			{ rawBody: '', headers: { 'content-type': 'application/json' }, status: 400, says: 'body is empty' },
		];
		for (const entry of cases) {
			const response = await api(bindings, 'POST', `/generations${entry.query ?? ''}`, {
				user: alice,
				body: entry.body,
				rawBody: entry.rawBody,
				headers: entry.headers,
			});
			const label = JSON.stringify(entry);
			expect(response.status, label).toBe(entry.status);
			const problem = await problemOf(response);
			expect(problem.detail, label).toContain(entry.says);
			if (entry.field) expect(problem.field, label).toBe(entry.field);
		}
		expect(await jobCount(alice)).toBe(0);
	});

	it('takes a body of exactly MAX_BODY_BYTES and answers 413 to one byte more', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const framing = JSON.stringify({ ...FREE, prompt: '' }).length;
		const exact = JSON.stringify({ ...FREE, prompt: ' '.repeat(MAX_BODY_BYTES - framing) });
		expect(exact.length).toBe(MAX_BODY_BYTES);
		const atMax = await api(bindings, 'POST', '/generations', {
			user: alice,
			rawBody: exact,
			headers: { 'content-type': 'application/json' },
		});
		// Read in full and judged on its prompt (all spaces), not refused for its size.
		expect(atMax.status).toBe(400);
		expect((await problemOf(atMax)).field).toBe('prompt');
		const over = await api(bindings, 'POST', '/generations', {
			user: alice,
			rawBody: `${exact} `,
			headers: { 'content-type': 'application/json' },
		});
		expect(over.status).toBe(413);
		expect((await problemOf(over)).detail).toContain(`${MAX_BODY_BYTES} bytes`);
		expect(await jobCount(alice)).toBe(0);
	});

	it('answers 429 with Retry-After when the budget is reached, creating nothing', async () => {
		const bob = unique('bob');
		const { queue, sent } = recordingQueue();
		const bindings = await usersEnv([{ id: bob, daily_budget_usd: 0.001 }], { OPENAI_API_KEY: 'test', JOBS: queue });
		const response = await api(bindings, 'POST', '/generations', {
			user: bob,
			body: { prompt: 'a boat', model: 'dall-e-2', width: 1024, height: 1024 },
		});
		expect(response.status).toBe(429);
		const problem = await problemOf(response);
		expect(problem).toMatchObject({ type: 'urn:image-mcp:problem:budget-exceeded', limit: 'daily_budget' });
		const retryAfter = Number(response.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(86_400);
		expect(sent).toHaveLength(0);
		expect(await jobCount(bob)).toBe(0);
	});

	it('answers 429 with Retry-After when the rate limit refuses, creating nothing', async () => {
		const carol = unique('carol');
		const refusing = { limit: async () => ({ success: false }) } as RateLimit;
		const bindings = await usersEnv([{ id: carol }], { JOB_RATE_LIMITER: refusing });
		const response = await api(bindings, 'POST', '/generations', { user: carol, body: FREE });
		expect(response.status).toBe(429);
		expect(await problemOf(response)).toMatchObject({
			type: 'urn:image-mcp:problem:rate-limited',
			limit: 'rate_limit',
		});
		expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(await jobCount(carol)).toBe(0);
	});
});

describe('jobs, images, models and usage', () => {
	it('gets a job, long-polls it with wait, and lists jobs with keyset paging', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const created = (await (
			await api(bindings, 'POST', '/generations', { user: alice, body: { ...FREE, count: 3 } })
		).json()) as { job_ids: string[] };
		const [first] = created.job_ids;

		const got = await api(bindings, 'GET', `/jobs/${first}?wait=${MAX_WAIT_SECONDS}`, { user: alice });
		expect(got.status).toBe(200);
		expect(await got.json()).toMatchObject({ done: true, results: [{ job_id: first, status: 'completed' }] });
		const plain = await api(bindings, 'GET', `/jobs/${first}`, { user: alice });
		expect(await plain.json()).toMatchObject({ job_id: first, status: 'completed' });

		const seen: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await api(bindings, 'GET', `/jobs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
				user: alice,
			});
			expect(page.status).toBe(200);
			const body = (await page.json()) as { jobs: { job_id: string }[]; next_cursor?: string; has_more: boolean };
			seen.push(...body.jobs.map((job) => job.job_id));
			expect(body.has_more).toBe(body.next_cursor !== undefined);
			cursor = body.next_cursor;
		} while (cursor);
		expect(seen.sort()).toEqual([...created.job_ids].sort());

		const generations = await api(bindings, 'GET', '/generations?limit=50', { user: alice });
		expect(((await generations.json()) as { generations: unknown[] }).generations.length).toBeGreaterThanOrEqual(1);
	});

	it('refuses bad query parameters naming them, at the limit and one past it', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		expect((await api(bindings, 'GET', `/jobs?limit=${MAX_PAGE_LIMIT}`, { user: alice })).status).toBe(200);
		const over = await api(bindings, 'GET', `/jobs?limit=${MAX_PAGE_LIMIT + 1}`, { user: alice });
		expect(over.status).toBe(400);
		expect((await problemOf(over)).field).toBe('limit');
		const unknown = await api(bindings, 'GET', '/jobs?colour=red', { user: alice });
		expect((await problemOf(unknown)).field).toBe('colour');
		const badCursor = await api(bindings, 'GET', '/jobs?cursor=not-ours', { user: alice });
		expect((await problemOf(badCursor)).field).toBe('cursor');
		const status = await api(bindings, 'GET', '/jobs?status=finished', { user: alice });
		expect((await problemOf(status)).field).toBe('status');
	});

	it('cancels a pending job, and answers 409 for one that already finished', async () => {
		const alice = unique('alice');
		const { queue } = recordingQueue();
		const bindings = await usersEnv([{ id: alice }], { JOBS: queue });
		const created = (await (await api(bindings, 'POST', '/generations', { user: alice, body: FREE })).json()) as {
			job_id: string;
		};
		const cancelled = await api(bindings, 'POST', `/jobs/${created.job_id}/cancel`, { user: alice });
		expect(cancelled.status).toBe(200);
		expect(await cancelled.json()).toMatchObject({ cancelled_count: 1 });
		const again = await api(bindings, 'POST', `/jobs/${created.job_id}/cancel`, { user: alice });
		expect(again.status).toBe(409);
		expect((await problemOf(again)).detail).toContain('already cancelled');
	});

	it('deletes an image (again: deleted false) and scopes every id to its owner', async () => {
		const alice = unique('alice');
		const mallory = unique('mallory');
		const bindings = await usersEnv([{ id: alice }, { id: mallory }]);
		const done = (await (
			await api(bindings, 'POST', `/generations?wait=${MAX_WAIT_SECONDS}`, { user: alice, body: FREE })
		).json()) as { results: { job_id: string }[] };
		const jobId = done.results[0]!.job_id;

		for (const [method, path] of [
			['GET', `/jobs/${jobId}`],
			['POST', `/jobs/${jobId}/cancel`],
			['DELETE', `/images/${jobId}/0`],
		] as const) {
			const response = await api(bindings, method, path, { user: mallory });
			expect(response.status, `${method} ${path}`).toBe(404);
			expect((await problemOf(response)).detail).toMatch(/for you|of yours/);
		}
		const listed = (await (await api(bindings, 'GET', '/jobs', { user: mallory })).json()) as { jobs: unknown[] };
		expect(listed.jobs).toEqual([]);

		const deleted = await api(bindings, 'DELETE', `/images/${jobId}/0`, { user: alice });
		expect(await deleted.json()).toMatchObject({ deleted: true, status: 'deleted' });
		const twice = await api(bindings, 'DELETE', `/images/${jobId}/0`, { user: alice });
		expect(await twice.json()).toMatchObject({ deleted: false });
	});

	it('lists models and usage; all_users needs the admin role (403)', async () => {
		const alice = unique('alice');
		const root = unique('root');
		const bindings = await usersEnv([{ id: alice }, { id: root, role: 'admin' }]);
		const models = (await (await api(bindings, 'GET', '/models', { user: alice })).json()) as {
			models: { name: string }[];
		};
		expect(models.models.map((model) => model.name)).toContain('offline');
		const usage = await api(bindings, 'GET', '/usage?days=7', { user: alice });
		expect(await usage.json()).toMatchObject({ user: alice, days: 7 });

		const refused = await api(bindings, 'GET', '/usage?all_users=true', { user: alice });
		expect(refused.status).toBe(403);
		expect((await problemOf(refused)).field).toBe('all_users');
		const admin = await api(bindings, 'GET', '/jobs?all_users=true', { user: root });
		expect(admin.status).toBe(200);
	});
});

describe('auth and routing', () => {
	it('answers 401 with a challenge without a token or with a wrong one', async () => {
		const bindings = await usersEnv([{ id: 'someone' }]);
		for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
			const response = await api(bindings, 'GET', '/jobs', { headers });
			expect(response.status).toBe(401);
			expect(response.headers.get('www-authenticate')).toContain('Bearer');
			expect((await problemOf(response)).type).toBe('urn:image-mcp:problem:unauthorized');
		}
		const create = await api(bindings, 'POST', '/generations', { body: FREE });
		expect(create.status).toBe(401);
	});

	it('answers 404 for an unknown route and 405 naming the methods of a known one', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const missing = await api(bindings, 'GET', '/nothing-here', { user: alice });
		expect(missing.status).toBe(404);
		expect((await problemOf(missing)).detail).toContain('/openapi.json');
		const wrong = await api(bindings, 'PUT', '/jobs', { user: alice });
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get('allow')).toBe('GET');
	});

	it('refuses a cross-site browser request (Origin not allowed)', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await api(bindings, 'POST', '/generations', {
			user: alice,
			body: FREE,
			headers: { origin: 'https://evil.example' },
		});
		expect(response.status).toBe(403);
		await problemOf(response);
		expect(await jobCount(alice)).toBe(0);
	});
});

describe('styles, preferences and variations over REST', () => {
	it('saves (201, then 200), gets, lists and deletes a style, and generates with it', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const style = { name: 'watercolour', brief: 'soft watercolour washes', defaults: { model: 'offline' } };
		const created = await api(bindings, 'POST', '/styles', { user: alice, body: style });
		expect(created.status).toBe(201);
		expect(created.headers.get('location')).toBe('/api/v1/styles/watercolour');
		expect((await api(bindings, 'POST', '/styles', { user: alice, body: style })).status).toBe(200);
		expect(await (await api(bindings, 'GET', '/styles/watercolour', { user: alice })).json()).toMatchObject({
			brief: 'soft watercolour washes',
		});
		const listed = (await (await api(bindings, 'GET', '/styles?tag=none', { user: alice })).json()) as {
			count: number;
		};
		expect(listed.count).toBe(0);

		const generated = await api(bindings, 'POST', '/generations', {
			user: alice,
			body: { prompt: 'a harbour', style: 'watercolour', width: 64, height: 64 },
		});
		expect(generated.status).toBe(202);
		expect(await generated.json()).toMatchObject({ style: 'watercolour', prompt_given: 'a harbour', model: 'offline' });

		const bad = await api(bindings, 'POST', '/styles', { user: alice, body: { name: 'Bad Name', brief: 'x' } });
		expect(bad.status).toBe(400);
		expect((await problemOf(bad)).field).toBe('name');
		expect((await api(bindings, 'DELETE', '/styles/watercolour', { user: alice })).status).toBe(200);
		expect((await api(bindings, 'GET', '/styles/watercolour', { user: alice })).status).toBe(404);
	});

	it('patches preferences, and the next create uses them', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const patched = await api(bindings, 'PATCH', '/preferences', {
			user: alice,
			body: { default_model: 'offline', default_size: '96x64' },
		});
		expect(patched.status).toBe(200);
		const created = (await (
			await api(bindings, 'POST', '/generations', { user: alice, body: { prompt: 'a gate' } })
		).json()) as {
			width: number;
		};
		expect(created.width).toBe(96);
		const bad = await api(bindings, 'PATCH', '/preferences', { user: alice, body: { previews: 'sometimes' } });
		expect((await problemOf(bad)).field).toBe('previews');
		expect(await (await api(bindings, 'GET', '/preferences', { user: alice })).json()).toMatchObject({
			default_model: 'offline',
			default_size: '96x64',
		});
	});

	it('creates variations of a job of mine (202, with its parent), and of nobody else’s (404)', async () => {
		const alice = unique('alice');
		const mallory = unique('mallory');
		const bindings = await usersEnv([{ id: alice }, { id: mallory }]);
		const parent = (await (await api(bindings, 'POST', '/generations', { user: alice, body: FREE })).json()) as {
			job_id: string;
		};
		const made = await api(bindings, 'POST', `/jobs/${parent.job_id}/variations`, { user: alice, body: { count: 2 } });
		expect(made.status).toBe(202);
		expect(await made.json()).toMatchObject({ count: 2, parent_job_id: parent.job_id });
		const theirs = await api(bindings, 'POST', `/jobs/${parent.job_id}/variations`, { user: mallory, body: {} });
		expect(theirs.status).toBe(404);
		expect(await jobCount(mallory)).toBe(0);
	});
});
