/** get_usage through the real app and D1: its figures are what was created and charged. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { insertJob } from './helpers/fixtures';
import { textJson } from './helpers/mcp';
import { callAs, recordingQueue, usersEnv } from './helpers/users';

const DAY_MS = 24 * 60 * 60 * 1000;
const PRICED = { prompt: 'a paper boat', model: 'dall-e-2', width: 1024, height: 1024 };

function today(offsetDays = 0) {
	return new Date(Date.now() + offsetDays * DAY_MS).toISOString().slice(0, 10);
}

function startOfUtcDay() {
	const date = new Date();
	return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

async function setup() {
	const { queue } = recordingQueue();
	const bindings = await usersEnv(
		[
			{ id: 'alice', daily_budget_usd: 0.5 },
			{ id: 'bob', monthly_budget_usd: 2 },
			{ id: 'root', role: 'admin' },
		],
		{ OPENAI_API_KEY: 'test', JOBS: queue, MONTHLY_BUDGET_USD: '10' },
	);
	return bindings;
}

describe('get_usage', () => {
	it('reports what the caller created per day and model, charged cost, budgets and the rate limit', async () => {
		const bindings = await setup();
		const batch = textJson(await callAs(bindings, 'alice', 'generate_image', { ...PRICED, count: 3 }));
		await callAs(bindings, 'alice', 'generate_image', { prompt: 'free', model: 'offline' });
		// One of the batch failed (not charged), one completed; a job from yesterday; someone else's.
		const [failed, completed] = batch.job_ids as string[];
		await env.DB.prepare("UPDATE jobs SET status = 'failed' WHERE id = ?").bind(failed).run();
		await env.DB.prepare("UPDATE jobs SET status = 'completed' WHERE id = ?").bind(completed).run();
		await insertJob({
			owner: 'alice',
			model: 'dall-e-2',
			status: 'completed',
			estimatedCostUsd: 0.02,
			createdAt: startOfUtcDay() - 1,
		});
		await insertJob({ owner: 'bob', model: 'dall-e-2', estimatedCostUsd: 0.02 });

		const result = await callAs(bindings, 'alice', 'get_usage', { days: 7 });
		expect(result.isError).toBeUndefined();
		const usage = textJson(result);
		expect(usage).toEqual(result.structuredContent);
		const tomorrow = new Date(startOfUtcDay() + DAY_MS).toISOString();
		expect(usage).toMatchObject({
			success: true,
			all_users: false,
			user: 'alice',
			days: 7,
			from: today(-6),
			to: today(),
			totals: { images: 2, jobs: 5, estimated_cost_usd: 0.06 },
			by_day: [
				{ date: today(), model: 'dall-e-2', images: 1, jobs: 3, estimated_cost_usd: 0.04 },
				{ date: today(), model: 'offline', images: 0, jobs: 1, estimated_cost_usd: 0 },
				{ date: today(-1), model: 'dall-e-2', images: 1, jobs: 1, estimated_cost_usd: 0.02 },
			],
			budget: {
				daily: { limit_usd: 0.5, spent_usd: 0.04, remaining_usd: 0.46, resets_at: tomorrow },
				monthly: { limit_usd: 10, resets_at: expect.stringMatching(/-01T00:00:00\.000Z$/) },
			},
			// The batch of 3 is one call, the offline job another; yesterday's is long out of the period.
			rate_limit: { limit: 30, period_seconds: 60, applies: true, recent_calls: 2, remaining: 28 },
		});
		expect(usage.users).toBeUndefined();
		expect(usage.summary).toContain(
			`You, ${today(-6)} to ${today()} (UTC): 2 image(s) from 5 job(s), estimated $0.06. Today (UTC): $0.04 of your $0.50 daily budget spent, $0.46 left until ${tomorrow}.`,
		);
		// A job from yesterday counts this month unless yesterday was last month.
		const monthly = (usage.budget as { monthly: { spent_usd: number } }).monthly.spent_usd;
		expect(monthly).toBe(new Date(startOfUtcDay() - 1).getUTCMonth() === new Date().getUTCMonth() ? 0.06 : 0.04);
	});

	it('reports only today for days 1, and nothing for a user with no jobs', async () => {
		const bindings = await setup();
		await insertJob({ owner: 'bob', estimatedCostUsd: 0.02, createdAt: startOfUtcDay() - 1 });
		const usage = textJson(await callAs(bindings, 'bob', 'get_usage', { days: 1 }));
		expect(usage).toMatchObject({
			from: today(),
			totals: { images: 0, jobs: 0, estimated_cost_usd: 0 },
			by_day: [],
			budget: { daily: { limit_usd: null, remaining_usd: null, spent_usd: 0 }, monthly: { limit_usd: 2 } },
		});
		expect(usage.summary).toContain('Today (UTC): $0.00 spent, no daily budget.');
	});

	it('refuses days outside 1–90', async () => {
		const bindings = await setup();
		const result = await callAs(bindings, 'alice', 'get_usage', { days: 91 });
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain('days: Too big');
	});

	it("gives an admin everyone's usage with all_users, per user, and refuses it to a user", async () => {
		const bindings = await setup();
		await callAs(bindings, 'alice', 'generate_image', { ...PRICED, count: 2 });
		await callAs(bindings, 'bob', 'generate_image', PRICED);
		await callAs(bindings, 'root', 'generate_image', { prompt: 'free', model: 'offline' });

		const all = textJson(await callAs(bindings, 'root', 'get_usage', { all_users: true }));
		expect(all).toMatchObject({
			all_users: true,
			user: 'root',
			totals: { images: 0, jobs: 4, estimated_cost_usd: 0.06 },
			users: [
				{ owner: 'alice', jobs: 2, estimated_cost_usd: 0.04, spent_today_usd: 0.04, spent_this_month_usd: 0.04 },
				{ owner: 'bob', jobs: 1, estimated_cost_usd: 0.02, spent_today_usd: 0.02, spent_this_month_usd: 0.02 },
				{ owner: 'root', jobs: 1, estimated_cost_usd: 0, spent_today_usd: 0, spent_this_month_usd: 0 },
			],
			rate_limit: { applies: false, remaining: null },
		});
		expect(all.by_day).toEqual([
			{ date: today(), model: 'dall-e-2', owner: 'alice', images: 0, jobs: 2, estimated_cost_usd: 0.04 },
			{ date: today(), model: 'dall-e-2', owner: 'bob', images: 0, jobs: 1, estimated_cost_usd: 0.02 },
			{ date: today(), model: 'offline', owner: 'root', images: 0, jobs: 1, estimated_cost_usd: 0 },
		]);
		expect(all.summary).toContain('All users (3)');

		const own = textJson(await callAs(bindings, 'root', 'get_usage'));
		expect(own).toMatchObject({ all_users: false, totals: { jobs: 1 } });

		const refused = await callAs(bindings, 'alice', 'get_usage', { all_users: true });
		expect(refused.isError).toBe(true);
		expect(textJson(refused).error).toBe(
			'all_users: reporting usage of every user needs the admin role, and you ("alice") are a user. Omit all_users (or pass false) to see your own.',
		);
	});
});
