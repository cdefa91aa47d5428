import { describe, expect, it } from 'vitest';
import { QUEUE_MAX_RETRIES } from '../src/consumer/retry-policy';
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

const config = parseJsonc(wranglerConfigText) as Record<string, unknown> & { env: { local: Record<string, unknown> } };
const local = config.env.local;

describe('wrangler.jsonc', () => {
	it('gives env.local (dev and tests) the same bindings as the deployed top level, minus ai', () => {
		for (const key of ['d1_databases', 'r2_buckets', 'queues', 'triggers'] as const) {
			expect(local[key], key).toEqual(config[key]);
		}
		expect(config.ai).toEqual({ binding: 'AI' });
		expect(local.ai).toBeUndefined();
	});

	it('gives env.local the same vars except LOCAL_DEV, which marks the loopback-only local mode', () => {
		const { LOCAL_DEV: localFlag, ...localVars } = local.vars as Record<string, string>;
		const { LOCAL_DEV: deployedFlag, ...deployedVars } = config.vars as Record<string, string>;
		expect(localVars).toEqual(deployedVars);
		expect(localFlag).toBe('true');
		expect(deployedFlag).toBe('');
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
