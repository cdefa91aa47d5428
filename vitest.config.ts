import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { hermeticWranglerConfig } from './test/hermetic-wrangler.ts';

const migrations = await readD1Migrations('./migrations');
/** wrangler.jsonc, untouched by a developer's .dev.vars (test/hermetic-wrangler.ts). */
const wranglerConfig = hermeticWranglerConfig();

/**
 * Quiet output: the MCP SDK ships source maps whose sources it does not publish, and Vite warns
 * about each such file in every workerd project. Nothing here can fix them, so that one warning
 * is dropped; every other is kept. (Vitest replaces `customLogger`, so this wraps the logger it
 * resolved.)
 */
const quietMissingSourcemaps: Plugin = {
	name: 'quiet-missing-sourcemaps',
	configResolved(config) {
		const warnOnce = config.logger.warnOnce.bind(config.logger);
		config.logger.warnOnce = (message, options) => {
			if (!message.includes('points to missing source files')) warnOnce(message, options);
		};
	},
};

/** The Worker's one-line local-dev notice, printed by every test file's fresh isolate: said once by `npm run dev`, noise here. */
const EXPECTED_NOTICES = ['[image-mcp] No AUTH_TOKEN set: serving loopback clients only'];

export default defineConfig({
	test: {
		onConsoleLog: (log) => !EXPECTED_NOTICES.some((notice) => log.includes(notice)),
		projects: [
			{
				// Unit and integration tests inside workerd, with real local D1, R2 and Queues.
				plugins: [
					quietMissingSourcemaps,
					cloudflareTest({
						wrangler: { configPath: wranglerConfig },
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
					quietMissingSourcemaps,
					cloudflareTest({
						wrangler: { configPath: wranglerConfig },
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
