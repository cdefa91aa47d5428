/**
 * Nothing lost, nothing stuck, in small: the load bench's core (bench/load.ts) against a real
 * `wrangler dev` with 10% injected transient provider failures, so some jobs go through the
 * queue's retries with backoff. Checks correctness only, from the server's own D1 and R2
 * files; the figures it also measures belong to `npm run bench:load`, not here.
 */
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/load.ts';

describe('load smoke: 40 jobs at OFFLINE_FAILURE_RATE 0.1', () => {
	it('ends every job, loses none, stores exactly one image row and one R2 image per completed job', async () => {
		const result = await runLoad({ jobs: 40, concurrency: 8, failureRate: 0.1, timeLimitMs: 45_000, log: () => {} });

		const failing = result.checks.filter((check) => !check.ok);
		expect(failing, JSON.stringify(failing, null, 2)).toEqual([]);
		expect(result.completed + result.failed).toBe(40);
		expect(result.checks.map((check) => check.name)).toEqual(
			expect.arrayContaining([
				'none lost: every job id in D1',
				"owner's job count == N",
				'all terminal (completed/failed) in time',
				'no duplicate image rows',
				'completed: exactly one image row',
				'failed: no image row',
				'R2 images == image rows, same keys and sizes',
				'previews only beside a stored image',
			]),
		);
	}, 90_000);
});
