/**
 * The benchmarks that must run inside workerd (the Workers runtime): `npm run bench:png` and
 * `npm run bench:d1` run bench/workerd/*.run.ts here, at full size. `npm test` runs the same
 * files as the `bench-smoke` project (vitest.config.ts), small, to keep the scripts working.
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { hermeticWranglerConfig } from '../test/hermetic-wrangler.ts';

const migrations = await readD1Migrations('./migrations');
const wranglerConfig = hermeticWranglerConfig();

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: wranglerConfig },
			miniflare: { bindings: { TEST_MIGRATIONS: migrations, BENCH_MODE: 'full' } },
		}),
	],
	test: {
		include: ['bench/workerd/*.run.ts'],
		setupFiles: ['./test/apply-migrations.ts'],
		testTimeout: 300_000,
		// One file at a time: the figures are not disturbed by another bench on the same cores.
		fileParallelism: false,
		// The tables and the JSON line go to stdout as they are, without vitest's per-test headers.
		disableConsoleIntercept: true,
	},
});
