/**
 * Per-user limits through the real app, D1 and rate limiter (docs/limits.md): spend budgets
 * checked atomically in D1, and the rate limit on generate calls for role "user".
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { insertJob } from './helpers/fixtures';
import { textJson } from './helpers/mcp';
import { callAs, recordingQueue, type TestUser, usersEnv } from './helpers/users';

const DAY_MS = 24 * 60 * 60 * 1000;
/** dall-e-2 at 1024x1024 costs $0.02 an image (src/providers/openai.ts). */
const PRICED = { prompt: 'a paper boat', model: 'dall-e-2', width: 1024, height: 1024 };

const jobCount = (owner: string) =>
	env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(owner).first<number>('n');

function startOfUtcDay(now = Date.now()) {
	const date = new Date(now);
	return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function startOfUtcMonth(now = Date.now()) {
	const date = new Date(now);
	return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** OpenAI configured (never called: the queue only records) and an AUTH_TOKENS table. */
async function pricedSetup(users: TestUser[], extra: Partial<Env> = {}) {
	const { queue, sent } = recordingQueue();
	const bindings = await usersEnv(users, { OPENAI_API_KEY: 'test', JOBS: queue, ...extra });
	return { bindings, sent };
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe('daily and monthly budgets', () => {
	it('refuses the call that would exceed the daily budget, saying what was spent and when it resets', async () => {
		const { bindings, sent } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0.05 }]);
		for (let i = 0; i < 2; i++) {
			const created = await callAs(bindings, 'alice', 'generate_image', PRICED);
			expect(created.isError).toBeUndefined();
			expect(textJson(created).estimated_cost_usd).toBe(0.02);
		}
		const refused = await callAs(bindings, 'alice', 'generate_image', PRICED);
		expect(refused.isError).toBe(true);
		const tomorrow = new Date(startOfUtcDay() + DAY_MS).toISOString();
		expect(textJson(refused)).toEqual({
			success: false,
			error:
				'Daily budget reached: you have spent $0.04 of your $0.05 daily budget (UTC day) and this request is estimated at $0.02. ' +
				`It resets at ${tomorrow}. Nothing was created. Use a cheaper or free model (list_models shows costs), ask for fewer images, or try again after the reset; get_usage shows your spending.`,
			limit: 'daily_budget',
			limit_usd: 0.05,
			spent_usd: 0.04,
			remaining_usd: 0.01,
			request_usd: 0.02,
			resets_at: tomorrow,
		});
		expect(await jobCount('alice')).toBe(2);
		expect(sent).toHaveLength(2);
	});

	it('takes a count batch whole or not at all', async () => {
		const { bindings, sent } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0.05 }]);
		const refused = await callAs(bindings, 'alice', 'generate_image', { ...PRICED, count: 3 });
		expect(textJson(refused).error).toContain('this request is estimated at $0.06');
		expect(await jobCount('alice')).toBe(0);
		const fits = await callAs(bindings, 'alice', 'generate_image', { ...PRICED, count: 2 });
		expect(textJson(fits).job_ids).toHaveLength(2);
		expect(sent).toHaveLength(2);
	});

	it('does not charge failed or cancelled jobs: marking one frees its share of the budget', async () => {
		const { bindings } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0.04 }]);
		const first = textJson(await callAs(bindings, 'alice', 'generate_image', PRICED));
		const second = textJson(await callAs(bindings, 'alice', 'generate_image', PRICED));
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBe(true);

		await env.DB.prepare("UPDATE jobs SET status = 'failed' WHERE id = ?").bind(first.job_id).run();
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBeUndefined();
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBe(true);

		const cancelled = await callAs(bindings, 'alice', 'cancel_job', { job_id: second.job_id });
		expect(textJson(cancelled).cancelled_count).toBe(1);
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBeUndefined();
	});

	it('starts every UTC day afresh: what was spent yesterday does not count today', async () => {
		const { bindings } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0.05 }]);
		await insertJob({ owner: 'alice', estimatedCostUsd: 0.05, createdAt: startOfUtcDay() - 1 });
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBeUndefined();
		await insertJob({ owner: 'alice', estimatedCostUsd: 0.03, createdAt: startOfUtcDay() });
		const refused = textJson(await callAs(bindings, 'alice', 'generate_image', PRICED));
		expect(refused).toMatchObject({ limit: 'daily_budget', spent_usd: 0.05 });
	});

	it('applies the deployment monthly budget over the UTC calendar month, and not to last month', async () => {
		const { bindings } = await pricedSetup([{ id: 'alice' }], { MONTHLY_BUDGET_USD: '0.10' });
		await insertJob({ owner: 'alice', estimatedCostUsd: 5, createdAt: startOfUtcMonth() - 1 });
		await insertJob({ owner: 'alice', estimatedCostUsd: 0.07, createdAt: startOfUtcMonth() });
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBeUndefined();
		const refused = await callAs(bindings, 'alice', 'generate_image', PRICED);
		const now = new Date();
		const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
		expect(textJson(refused)).toMatchObject({
			error: expect.stringContaining(
				`Monthly budget reached: you have spent $0.09 of your $0.10 monthly budget (UTC calendar month) and this request is estimated at $0.02. It resets at ${nextMonth}.`,
			),
			limit: 'monthly_budget',
			resets_at: nextMonth,
		});
	});

	it('lets only the calls that fit through when they arrive together', async () => {
		const { bindings, sent } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0.05 }]);
		const results = await Promise.all(
			Array.from({ length: 5 }, () => callAs(bindings, 'alice', 'generate_image', PRICED)),
		);
		expect(results.filter((result) => !result.isError)).toHaveLength(2);
		expect(results.filter((result) => result.isError)).toHaveLength(3);
		for (const refused of results.filter((result) => result.isError)) {
			expect(textJson(refused).error).toContain('Daily budget reached: you have spent $0.04 of your $0.05');
		}
		expect(await jobCount('alice')).toBe(2);
		expect(sent).toHaveLength(2);
	});

	it('never refuses or charges an idempotent retry again', async () => {
		const { bindings, sent } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0.02 }]);
		const args = { ...PRICED, idempotency_key: 'boat-1' };
		const first = textJson(await callAs(bindings, 'alice', 'generate_image', args));
		const retry = await callAs(bindings, 'alice', 'generate_image', args);
		expect(retry.isError).toBeUndefined();
		expect(textJson(retry)).toMatchObject({ job_id: first.job_id, reused: true });
		expect(await jobCount('alice')).toBe(1);
		expect(sent).toHaveLength(1);
	});

	it('never refuses a free model, even with the budget spent or zero', async () => {
		const { bindings } = await pricedSetup([{ id: 'alice', daily_budget_usd: 0 }]);
		await insertJob({ owner: 'alice', estimatedCostUsd: 1 });
		const free = await callAs(bindings, 'alice', 'generate_image', { prompt: 'free', model: 'offline' });
		expect(free.isError).toBeUndefined();
		expect(textJson(free).estimated_cost_usd).toBe(0);
		expect(textJson(await callAs(bindings, 'alice', 'generate_image', PRICED)).error).toContain(
			'you have spent $1.00 of your $0.00 daily budget',
		);
	});

	it('takes a principal override over the default, null meaning no budget, for admins too', async () => {
		const { bindings } = await pricedSetup(
			[
				{ id: 'alice', daily_budget_usd: null },
				{ id: 'bob', daily_budget_usd: 0.04 },
				{ id: 'root', role: 'admin' },
			],
			{ DAILY_BUDGET_USD: '0.01' },
		);
		expect((await callAs(bindings, 'alice', 'generate_image', PRICED)).isError).toBeUndefined();
		expect((await callAs(bindings, 'bob', 'generate_image', PRICED)).isError).toBeUndefined();
		const root = textJson(await callAs(bindings, 'root', 'generate_image', PRICED));
		expect(root).toMatchObject({ limit: 'daily_budget', limit_usd: 0.01, spent_usd: 0 });
	});
});

describe('rate limit on generate calls', () => {
	/** Unique per run: the local rate limiter keeps its counts in its own storage. */
	const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;
	const FREE = { prompt: 'a kite', model: 'offline' };

	it('refuses the 31st call of a user in a minute, saying so, while other users and admins go on', async () => {
		const { queue, sent } = recordingQueue();
		// The local limiter counts in windows aligned to the clock's minutes. Rather than sleep
		// away from a window's edge, a burst that straddled one (the minute changed during it)
		// is run again by a fresh user; two edges in a row cannot happen within a minute.
		let carol = '';
		let bindings: Partial<Env> = {};
		let refused: Awaited<ReturnType<typeof callAs>> | undefined;
		const [dave, root] = [unique('dave'), unique('root')];
		for (let attempt = 0; attempt < 2; attempt++) {
			carol = unique('carol');
			bindings = await usersEnv([{ id: carol }, { id: dave }, { id: root, role: 'admin' }], { JOBS: queue });
			sent.length = 0;
			const minute = Math.floor(Date.now() / 60_000);
			for (let i = 0; i < 30; i++) {
				const created = await callAs(bindings, carol, 'generate_image', FREE);
				expect(created.isError, `call ${i + 1}`).toBeUndefined();
			}
			refused = await callAs(bindings, carol, 'generate_image', { ...FREE, count: 2 });
			if (Math.floor(Date.now() / 60_000) === minute) break;
		}
		expect(refused?.isError).toBe(true);
		const json = textJson(refused!);
		const oldest = await env.DB.prepare('SELECT min(created_at) AS t FROM jobs WHERE owner = ?')
			.bind(carol)
			.first<number>('t');
		const resetsAt = new Date(oldest! + 60_000).toISOString();
		expect(json).toEqual({
			success: false,
			error:
				'Rate limit: at most 30 generate calls per 60 s per user; you made 30 in the last 60 s. ' +
				`Try again after ${resetsAt}. Nothing was created. One call with count up to 20 makes several images and counts once.`,
			limit: 'rate_limit',
			max_calls: 30,
			period_seconds: 60,
			recent_calls: 30,
			resets_at: resetsAt,
		});
		expect(await jobCount(carol)).toBe(30);
		expect(sent).toHaveLength(30);

		expect((await callAs(bindings, dave, 'generate_image', FREE)).isError).toBeUndefined();
		for (let i = 0; i < 31; i++) {
			expect((await callAs(bindings, root, 'generate_image', FREE)).isError, `admin call ${i + 1}`).toBeUndefined();
		}
	}, 60_000);

	it('counts a count batch as one call, and an idempotent retry of a limited user is still answered', async () => {
		const erin = unique('erin');
		// A limiter that has already said no: the refusal's figures come from D1.
		const refusing = { limit: async () => ({ success: false }) } as RateLimit;
		const { queue } = recordingQueue();
		const open = await usersEnv([{ id: erin }], { JOBS: queue });
		const first = textJson(await callAs(open, erin, 'generate_image', { ...FREE, count: 3, idempotency_key: 'k' }));
		await callAs(open, erin, 'generate_image', FREE);

		const limited = { ...open, JOB_RATE_LIMITER: refusing };
		const retry = await callAs(limited, erin, 'generate_image', { ...FREE, count: 3, idempotency_key: 'k' });
		expect(textJson(retry)).toMatchObject({ reused: true, job_ids: first.job_ids });
		const refused = textJson(await callAs(limited, erin, 'generate_image', FREE));
		expect(refused).toMatchObject({ limit: 'rate_limit', recent_calls: 2 });
		expect(refused.error).toContain('you made 2 in the last 60 s (calls refused by a budget count too)');
	});

	it('lets calls through, with a warning, on a deployment without the binding', async () => {
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
		const frank = unique('frank');
		const { queue } = recordingQueue();
		const bindings = await usersEnv([{ id: frank }], { JOBS: queue, JOB_RATE_LIMITER: undefined });
		expect((await callAs(bindings, frank, 'generate_image', FREE)).isError).toBeUndefined();
		expect(warn).toHaveBeenCalledWith(expect.stringContaining('JOB_RATE_LIMITER binding missing'));
	});
});
