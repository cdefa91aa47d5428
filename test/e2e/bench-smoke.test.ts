/**
 * CI smoke of the bench scripts (issue 7): each runs end to end at a tiny size and produces
 * the figures it prints. Correctness of the scripts only; no timing is asserted.
 */
import { describe, expect, it } from 'vitest';
import { runNoticeLag } from '../../bench/notice-lag.ts';

const finite = (value: number) => Number.isFinite(value);

describe('bench smoke', () => {
	it('notice-lag measures both transports, hinted and poll-only, and splits each lag in two', async () => {
		const result = await runNoticeLag({ n: 2, warmup: 0, size: 64, log: () => {} });
		expect(result.transports.map((row) => `${row.transport}/${row.mode}`)).toEqual([
			'streamable-http/same-isolate',
			'sse/same-isolate',
			'streamable-http/poll-only',
			'sse/poll-only',
		]);
		for (const row of result.transports) {
			expect(row.lag_ms.n).toBe(2);
			expect([row.lag_ms.p50, row.pipeline_ms.p50, row.notice_ms.p50].every(finite)).toBe(true);
			// The provider's own 500 ms is inside the job's duration, never counted as lag.
			expect(row.pipeline_ms.min).toBeGreaterThanOrEqual(0);
		}
		expect(JSON.parse(JSON.stringify(result))).toMatchObject({ bench: 'notice-lag', provider_latency_ms: 500 });
	}, 90_000);
});
