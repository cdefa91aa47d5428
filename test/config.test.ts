import { describe, expect, it } from 'vitest';
import { QUEUE_MAX_RETRIES } from '../src/consumer/retry-policy';
import { defaultBudgets, imageRetentionDays, providerTimeoutOverride, readConfig, settingWarnings } from '../src/env';
import { JOB_RATE_LIMIT } from '../src/jobs/rate-limit';
import wranglerConfigText from '../wrangler.jsonc?raw';

/** Strips // and /* *\/ comments outside strings, then parses. */
function parseJsonc(text: string): Record<string, unknown> {
	let out = '';
	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (char === '"') {
			const end = text.indexOf('"', i + 1);
			let close = end;
			while (text[close - 1] === '\\') close = text.indexOf('"', close + 1);
			out += text.slice(i, close + 1);
			i = close;
		} else if (char === '/' && text[i + 1] === '/') {
			i = text.indexOf('\n', i) - 1;
		} else if (char === '/' && text[i + 1] === '*') {
			i = text.indexOf('*/', i) + 1;
		} else {
			out += char;
		}
	}
	return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

const config = parseJsonc(wranglerConfigText) as Record<string, unknown> & {
	env: { production: Record<string, unknown> };
};
/** The top level: plain `wrangler dev`, `npm run dev` and the tests. */
const local = config;
/** `env.production`: what `npm run deploy` ships. */
const production = config.env.production;

/** What identifies each binding; deploy-only details (database_id, var values) may differ. */
function bindingShape(section: Record<string, unknown>) {
	const d1 = section.d1_databases as { binding: string; database_name: string; migrations_dir: string }[];
	const r2 = section.r2_buckets as { binding: string; bucket_name: string }[];
	return {
		d1: d1.map(({ binding, database_name, migrations_dir }) => ({ binding, database_name, migrations_dir })),
		r2: r2.map(({ binding, bucket_name }) => ({ binding, bucket_name })),
		queues: section.queues,
		triggers: section.triggers,
		ratelimits: section.ratelimits,
		vars: Object.keys(section.vars as object).sort(),
	};
}

describe('wrangler.jsonc', () => {
	it('gives env.production the same bindings and vars as the local top level, plus ai', () => {
		expect(bindingShape(production)).toEqual(bindingShape(local));
		expect(production.ai).toEqual({ binding: 'AI' });
		// ai at the top level would make plain `wrangler dev` ask for a Cloudflare account.
		expect(local.ai).toBeUndefined();
		// Deployed under the same Worker name, not wrangler's default "image-mcp-production".
		expect(production.name).toBe(local.name);
	});

	it('marks the top level, and only it, as the loopback-only local mode', () => {
		expect((local.vars as Record<string, string>).LOCAL_DEV).toBe('true');
		expect((production.vars as Record<string, string>).LOCAL_DEV).toBe('');
	});

	it('keeps plain `wrangler dev` on loopback, where token-less local mode is safe', () => {
		expect((local.dev as { ip?: string }).ip).toBe('127.0.0.1');
	});

	it('keeps JOB_RATE_LIMIT, which the refusal messages quote, in step with the JOB_RATE_LIMITER binding', () => {
		const ratelimits = config.ratelimits as { name: string; simple: { limit: number; period: number } }[];
		const binding = ratelimits.find((entry) => entry.name === 'JOB_RATE_LIMITER');
		expect(binding?.simple).toEqual({ limit: JOB_RATE_LIMIT.limit, period: JOB_RATE_LIMIT.periodSeconds });
	});

	it('keeps QUEUE_MAX_RETRIES in step with the jobs queue max_retries', () => {
		const queues = config.queues as {
			consumers: { queue: string; max_retries?: number; dead_letter_queue?: string }[];
		};
		const jobs = queues.consumers.find((consumer) => consumer.queue === 'image-mcp-jobs');
		expect(jobs?.max_retries).toBe(QUEUE_MAX_RETRIES);
		expect(jobs?.dead_letter_queue).toBe('image-mcp-jobs-dlq');
		expect(queues.consumers.some((consumer) => consumer.queue === 'image-mcp-jobs-dlq')).toBe(true);
	});
});

describe('optional settings with bad values', () => {
	const env = {} as Env;

	it('ignores a PROVIDER_TIMEOUT_MS that is not a positive number, with a warning, and uses a good one', () => {
		for (const bad of ['0', '-5', 'soon', '30s']) {
			expect(providerTimeoutOverride({ PROVIDER_TIMEOUT_MS: bad })).toBeUndefined();
			expect(settingWarnings({ ...env, PROVIDER_TIMEOUT_MS: bad })).toEqual([
				`PROVIDER_TIMEOUT_MS "${bad}" is not a positive number of milliseconds; the per-model timeouts apply.`,
			]);
		}
		expect(providerTimeoutOverride({ PROVIDER_TIMEOUT_MS: '90000' })).toBe(90_000);
		expect(settingWarnings({ ...env, PROVIDER_TIMEOUT_MS: '90000' })).toEqual([]);
	});

	it('has no default budget for an empty or bad DAILY_BUDGET_USD / MONTHLY_BUDGET_USD, warning only about the bad one', () => {
		expect(defaultBudgets({ DAILY_BUDGET_USD: '', MONTHLY_BUDGET_USD: ' ' })).toEqual({
			dailyUsd: null,
			monthlyUsd: null,
		});
		expect(defaultBudgets({ DAILY_BUDGET_USD: '0.50', MONTHLY_BUDGET_USD: '0' })).toEqual({
			dailyUsd: 0.5,
			monthlyUsd: 0,
		});
		// Fail closed: a value that is not a number is a $0 budget (free models only), never no budget.
		expect(defaultBudgets({ DAILY_BUDGET_USD: '$5', MONTHLY_BUDGET_USD: '-1' })).toEqual({
			dailyUsd: 0,
			monthlyUsd: 0,
		});
		expect(settingWarnings({ ...env, DAILY_BUDGET_USD: '0.50', MONTHLY_BUDGET_USD: '' })).toEqual([]);
		expect(settingWarnings({ ...env, DAILY_BUDGET_USD: '$5' })).toEqual([
			'DAILY_BUDGET_USD "$5" is not a number of US dollars, so it counts as $0: only free models can be used until it is fixed. Use e.g. "5" or "0.50", or leave it empty for no budget.',
		]);
	});

	it('keeps images forever for an empty, zero or bad IMAGE_RETENTION_DAYS, warning only about the bad one', () => {
		expect(imageRetentionDays({ IMAGE_RETENTION_DAYS: '' })).toBeNull();
		expect(imageRetentionDays({ IMAGE_RETENTION_DAYS: '0' })).toBeNull();
		expect(imageRetentionDays({ IMAGE_RETENTION_DAYS: '-3' })).toBeNull();
		expect(imageRetentionDays({ IMAGE_RETENTION_DAYS: '0.5' })).toBe(0.5);
		expect(settingWarnings({ ...env, IMAGE_RETENTION_DAYS: '0' })).toEqual([]);
		expect(settingWarnings({ ...env, IMAGE_RETENTION_DAYS: '-3' })[0]).toContain('IMAGE_RETENTION_DAYS "-3"');
	});

	it('turns same-isolate wait hints off only for WAIT_IN_MEMORY=false', () => {
		expect(readConfig({ ...env, WAIT_IN_MEMORY: 'false' }).waitInMemory).toBe(false);
		expect(readConfig({ ...env, WAIT_IN_MEMORY: 'no' }).waitInMemory).toBe(true);
		expect(readConfig(env).waitInMemory).toBe(true);
	});
});
