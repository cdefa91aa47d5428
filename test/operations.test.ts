/**
 * The operations of src/tools/ called as a face calls them: a plain context and arguments in,
 * a Result out. No MCP server, transport or JSON-RPC is involved, so what these pin holds for
 * every face (MCP, REST, the web app) alike. Real local D1, R2 and Queues underneath.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { readConfig } from '../src/env';
import { createJobs } from '../src/jobs/create';
import { JOB_RATE_LIMIT } from '../src/jobs/rate-limit';
import type { Principal, ToolContext, ToolOutcome } from '../src/tools/context';
import { findTool, TOOLS } from '../src/tools/index';
import { parseArguments } from '../src/tools/validation';
import { EXPECTED_TOOLS } from './helpers/expected-tools';

const BASE = 'https://images.test';

function contextFor(principal: Principal, overrides: Partial<Env> = {}): ToolContext {
	const testEnv = { ...env, ...overrides } as Env;
	return {
		env: testEnv,
		config: readConfig(testEnv),
		db: getDb(testEnv),
		principal,
		urls: { workerBase: BASE, r2Base: undefined },
		maxWaitSeconds: 20,
		signal: new AbortController().signal,
		reportProgress: async () => {},
		log: async () => {},
	};
}

const user = (id = `ops-${crypto.randomUUID()}`): Principal => ({ id, name: id, role: 'user', via: 'token' });

/** Parses the arguments with the operation's own schema and runs it, as every face does. */
async function run(name: string, args: unknown, context: ToolContext): Promise<ToolOutcome> {
	const tool = findTool(name);
	if (!tool) throw new Error(`no operation ${name}`);
	const parsed = parseArguments(tool.name, tool.input, args);
	if (!parsed.ok) return { ok: false, error: { message: parsed.error } };
	return tool.handler(parsed.value, context);
}

function structured(outcome: ToolOutcome): Record<string, unknown> {
	if (!outcome.ok) throw new Error(`expected success, got: ${outcome.error.message}`);
	return outcome.value.structured;
}

describe('operations called without MCP', () => {
	it('lists every operation in the order faces show them, each with a schema for its input and its output', () => {
		expect(TOOLS.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
		for (const tool of TOOLS) {
			expect(tool.input.safeParse).toBeTypeOf('function');
			expect(tool.output.safeParse).toBeTypeOf('function');
		}
	});

	it('generate, wait, status and list: each answer matches its output schema, images carry their URLs', async () => {
		const context = contextFor(user());
		const started = structured(await run('generate_image', { prompt: 'a red kite', width: 64, height: 64 }, context));
		expect(findTool('generate_image')!.output.parse(started)).toBeTruthy();
		expect(started).toMatchObject({ success: true, status: 'pending', count: 1, model: 'offline', reused: false });

		const waited = await run('wait_for_completion', { job_id: started.job_id }, context);
		const done = structured(waited);
		expect(findTool('wait_for_completion')!.output.parse(done)).toBeTruthy();
		expect(done).toMatchObject({ done: true, status: 'completed' });
		expect(done.image_url).toBe(`${BASE}/images/${started.job_id}/0.png`);
		expect(waited.ok && waited.value.images?.map((image) => image.resource_uri)).toEqual([
			`image://${started.job_id}/0`,
		]);

		const status = structured(await run('get_job_status', { job_id: started.job_id }, context));
		expect(findTool('get_job_status')!.output.parse(status)).toBeTruthy();
		expect(status).toMatchObject({ job_id: started.job_id, status: 'completed', done: true });

		const listed = structured(await run('list_generations', {}, context));
		expect(listed).toMatchObject({ total_count: 1, returned_count: 1 });
		expect((listed.generations as { job_id: string }[])[0]?.job_id).toBe(started.job_id);
	});

	it('answers a handled failure as an error result that names the field and what is allowed, and creates nothing', async () => {
		const context = contextFor(user());
		const unknown = await run('generate_image', { prompt: 'p', model: 'no-such-model' }, context);
		expect(unknown.ok).toBe(false);
		expect(!unknown.ok && unknown.error.message).toMatch(
			/^model: unknown model "no-such-model"\. Allowed models: .*offline/,
		);

		const badCount = await run('generate_image', { prompt: 'p', count: 21 }, context);
		expect(!badCount.ok && badCount.error.message).toMatch(/count: .*Expected: How many images to make, 1–20/);

		const jobs = structured(await run('list_jobs', {}, context));
		expect(jobs.total_count).toBe(0);
	});

	it('scopes by the context principal: another user reads as unknown, all_users is refused to a user', async () => {
		const owner = contextFor(user());
		const started = structured(await run('generate_image', { prompt: 'mine', width: 64, height: 64 }, owner));
		const stranger = contextFor(user());
		const other = await run('get_job_status', { job_id: started.job_id }, stranger);
		expect(!other.ok && other.error.message).toContain(`no job "${started.job_id}" found for you`);
		const everyone = await run('list_jobs', { all_users: true }, stranger);
		expect(!everyone.ok && everyone.error.message).toMatch(/^all_users: .* needs the admin role/);
	});

	it('refuses over budget with the figures as details, before anything is queued', async () => {
		// OpenAI configured but never called: the refusal comes before anything is queued.
		const context = contextFor(user(), { DAILY_BUDGET_USD: '0', OPENAI_API_KEY: 'test' } as Partial<Env>);
		const refused = await run('generate_image', { prompt: 'p', model: 'dall-e-2', width: 256, height: 256 }, context);
		expect(refused.ok).toBe(false);
		if (refused.ok) return;
		expect(refused.error.message).toMatch(/^Daily budget reached/);
		expect(refused.error.details).toMatchObject({ limit: 'daily_budget', limit_usd: 0 });
		expect(structured(await run('list_jobs', {}, context)).total_count).toBe(0);
	});
});

describe('createJobs: the rate limit is a typed refusal of creation, like the budget', () => {
	it(`creates up to ${JOB_RATE_LIMIT.limit} calls in a period, then refuses the next with when it resets`, async () => {
		const owner = `rate-${crypto.randomUUID()}`;
		const db = getDb(env);
		const input = {
			owner,
			model: 'offline',
			prompt: 'p',
			params: { width: 64, height: 64 },
			seed: 1,
			count: 1,
			estimatedCostPerImageUsd: 0,
			rateLimit: { limiter: env.JOB_RATE_LIMITER },
		};
		for (let call = 0; call < JOB_RATE_LIMIT.limit; call++) {
			const created = await createJobs(db, env.JOBS, input);
			expect(created.ok).toBe(true);
		}
		const refused = await createJobs(db, env.JOBS, input);
		expect(refused.ok).toBe(false);
		if (refused.ok) return;
		expect(refused.error.reason).toBe('rate_limited');
		if (refused.error.reason !== 'rate_limited') return;
		expect(refused.error.refusal).toMatchObject({
			limit: JOB_RATE_LIMIT.limit,
			periodSeconds: JOB_RATE_LIMIT.periodSeconds,
			recentCalls: JOB_RATE_LIMIT.limit,
		});
		// Nothing was created for the refused call.
		const rows = await env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(owner).first<number>('n');
		expect(rows).toBe(JOB_RATE_LIMIT.limit);
		// An exempt caller (no rateLimit) is not counted.
		const exempt = await createJobs(db, env.JOBS, { ...input, rateLimit: undefined });
		expect(exempt.ok).toBe(true);
	});
});
