/**
 * `npm test` must not depend on a developer's `.dev.vars` (issue 15, item 18): the README tells
 * people to put AUTH_TOKEN there, and wrangler reads it from the config's directory into every
 * workerd test. The workerd projects therefore load a copy of wrangler.jsonc from a directory of
 * its own (test/hermetic-wrangler.ts); this checks, with wrangler's own config reader, that the
 * copy sees exactly wrangler.jsonc's vars while the original would have taken the file's.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { hermeticWranglerConfig } from '../hermetic-wrangler.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function varsOf(configPath: string): Record<string, unknown> {
	const previous = process.env.WRANGLER_LOG;
	process.env.WRANGLER_LOG = 'error';
	try {
		const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
		return (workerOptions.bindings ?? {}) as Record<string, unknown>;
	} finally {
		if (previous === undefined) delete process.env.WRANGLER_LOG;
		else process.env.WRANGLER_LOG = previous;
	}
}

describe('the wrangler config the workerd tests load', () => {
	const developer = mkdtempSync(join(tmpdir(), 'image-mcp-devvars-'));
	const copies = mkdtempSync(join(tmpdir(), 'image-mcp-hermetic-'));
	afterAll(() => {
		rmSync(developer, { recursive: true, force: true });
		rmSync(copies, { recursive: true, force: true });
	});

	// A checkout as a developer has it: wrangler.jsonc with .dev.vars and .env beside it.
	copyFileSync(join(PROJECT_ROOT, 'wrangler.jsonc'), join(developer, 'wrangler.jsonc'));
	writeFileSync(join(developer, '.dev.vars'), 'AUTH_TOKEN=my-dev-token\nDEFAULT_MODEL=gpt-image-1\n');
	writeFileSync(join(developer, '.env'), 'OPENAI_API_KEY=sk-from-dotenv\n');

	it('would take AUTH_TOKEN and DEFAULT_MODEL from a .dev.vars beside wrangler.jsonc', () => {
		const vars = varsOf(join(developer, 'wrangler.jsonc'));
		expect(vars.AUTH_TOKEN).toBe('my-dev-token');
		expect(vars.DEFAULT_MODEL).toBe('gpt-image-1');
	});

	it('has exactly wrangler.jsonc’s vars in the hermetic copy, whatever env files sit beside it', () => {
		const hermetic = varsOf(hermeticWranglerConfig(developer, copies));
		expect(hermetic.AUTH_TOKEN).toBeUndefined();
		expect(hermetic.OPENAI_API_KEY).toBeUndefined();
		expect(hermetic.DEFAULT_MODEL).toBe('');
		expect(hermetic.LOCAL_DEV).toBe('true');
	});

	it('points the copy at the project’s own entry module', () => {
		const path = hermeticWranglerConfig(developer, copies);
		const { main } = unstable_getMiniflareWorkerOptions(path);
		expect(main).toBe(join(developer, 'src', 'index.ts'));
	});
});
