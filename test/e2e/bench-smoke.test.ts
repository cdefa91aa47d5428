/**
 * CI smoke of the bench scripts (issue 7): each runs end to end at a tiny size and produces
 * the figures it prints. Correctness of the scripts only; no timing is asserted.
 */
import { describe, expect, it } from 'vitest';
import { runLatency } from '../../bench/latency.ts';
import { runNoticeLag } from '../../bench/notice-lag.ts';
import { runRequestCost } from '../../bench/request-cost.ts';
import { runRestRate } from '../../bench/rest-rate.ts';
import { runSize } from '../../bench/size.ts';
import { runSseLatency } from '../../bench/sse-latency.ts';
import type { Stats } from '../../bench/stats.ts';

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

	it('latency times generate_image and both waits, and derives the wait overhead', async () => {
		const figures = await runLatency({ n: 2, warmup: 0, width: 64, height: 64 });
		for (const key of ['generate_image_sdk_ms', 'generate_and_wait_sdk_0ms_ms', 'generate_and_wait_sdk_500ms_ms']) {
			expect((figures[key] as Stats).n).toBe(2);
		}
		expect(figures.size).toBe('64x64');
		expect(Number.isFinite(figures.wait_overhead_p50_ms)).toBe(true);
	}, 90_000);

	it('sse-latency times ping and tools/list on both SSE paths and Streamable HTTP', async () => {
		const rows = await runSseLatency({ n: 2, warmup: 0, idleN: 1, idleMs: 50 });
		expect(Object.keys(rows)).toHaveLength(8);
		for (const stats of Object.values(rows)) expect(finite(stats.p50)).toBe(true);
	}, 90_000);

	it('size builds the bundle, reads its gzip size and profiles start-up', async () => {
		const result = await runSize({ runs: 1, top: 3, log: () => {} });
		expect(result.upload_gzip_kib).toBeGreaterThan(0);
		expect(result.bundle_files.map((file) => file.file)).toContain('index.js');
		expect(result.startup_active_ms.n).toBe(1);
		expect(result.startup_top.length).toBeGreaterThan(0);
	}, 90_000);

	it('request-cost measures ours and both floors for each method and concurrency', async () => {
		const result = await runRequestCost({ durationS: 1, rounds: 1, warmupS: 0, log: () => {} });
		expect(result.cells.map((cell) => `${cell.method}/${cell.concurrency}`)).toEqual([
			'tools/list/1',
			'tools/list/16',
			'generate_image/1',
			'generate_image/16',
		]);
		for (const cell of result.cells) {
			expect([cell.floor.rps, cell.ours.rps, cell.second_floor.rps].every((rps) => rps > 0)).toBe(true);
			expect(finite(cell.ratio) && finite(cell.second_floor.ratio)).toBe(true);
		}
		expect(result.tools_list_bytes).toBeGreaterThan(10_000);
	}, 90_000);

	it('rest-rate measures the REST create route and tools/call side by side at each concurrency', async () => {
		const result = await runRestRate({ durationS: 1, rounds: 1, warmupS: 0, log: () => {} });
		expect(result.cells.map((cell) => cell.concurrency)).toEqual([1, 8]);
		for (const cell of result.cells) {
			expect(cell.rest.rps > 0 && cell.mcp.rps > 0).toBe(true);
			expect(finite(cell.ratio)).toBe(true);
		}
	}, 90_000);
});
