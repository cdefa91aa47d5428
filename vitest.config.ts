import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations('./migrations');

export default defineConfig({
	test: {
		projects: [
			{
				// Unit and integration tests inside workerd, with real local D1, R2 and Queues.
				plugins: [
					cloudflareTest({
						wrangler: { configPath: './wrangler.jsonc', environment: 'local' },
						miniflare: {
							bindings: { TEST_MIGRATIONS: migrations },
							// `exports.default.queue(...)` in integration tests.
							compatibilityFlags: ['service_binding_extra_handlers'],
						},
					}),
				],
				test: {
					name: 'workers',
					include: ['test/**/*.test.ts'],
					exclude: ['test/e2e/**', 'test/node/**'],
					setupFiles: ['./test/apply-migrations.ts'],
				},
			},
			{
				// The workerd benchmarks (bench/workerd/*.run.ts), small: the scripts keep working.
				plugins: [
					cloudflareTest({
						wrangler: { configPath: './wrangler.jsonc', environment: 'local' },
						miniflare: { bindings: { TEST_MIGRATIONS: migrations, BENCH_MODE: 'smoke' } },
					}),
				],
				test: {
					name: 'bench-smoke',
					include: ['bench/workerd/*.run.ts'],
					setupFiles: ['./test/apply-migrations.ts'],
				},
			},
			{
				// Checks that need the file system: docs rendered from the code.
				test: { name: 'node', environment: 'node', include: ['test/node/**/*.test.ts'] },
			},
			{
				// End to end: a real `wrangler dev` driven by the official MCP SDK client and raw fetch.
				test: {
					name: 'e2e',
					environment: 'node',
					include: ['test/e2e/**/*.test.ts'],
					testTimeout: 60_000,
					// Starting a server (migrations, then wrangler dev) takes seconds alone but can take
					// minutes on a loaded 2-core CI machine while the workerd tests run beside it; the
					// helper's own limits (60 s + 120 s) fail first, with wrangler's output.
					hookTimeout: 300_000,
				},
			},
		],
	},
});
