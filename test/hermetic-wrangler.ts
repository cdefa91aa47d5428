/// <reference types="node" />
/**
 * The wrangler config the workerd test projects load: wrangler.jsonc as it is, copied into a
 * directory of its own so that a developer's `.dev.vars`, `.dev.vars.*` or `.env` beside the real
 * one (say, with the AUTH_TOKEN the README suggests) cannot change what the tests see. Wrangler
 * reads those files from the config's directory, and the vitest plugin has no switch to skip
 * them. Paths in the copy (`main`, `migrations_dir`) are made absolute; nothing else changes.
 *
 * Runs in Node, when vitest loads its config.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where the copy goes: under node_modules/.cache, which no env file is ever put in. */
const HERMETIC_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'image-mcp-tests');

/** Each relative path the config names, as `"key": "value"` text: what the copy rewrites. */
const RELATIVE_PATHS = [
	['main', 'src/index.ts'],
	['migrations_dir', 'migrations'],
] as const;

/**
 * Writes the copy (every time, so it never goes stale) and returns its path. `from` is the
 * directory holding wrangler.jsonc and `to` the one the copy goes in (tests give others).
 */
export function hermeticWranglerConfig(from = PROJECT_ROOT, to = HERMETIC_DIR): string {
	let text = readFileSync(join(from, 'wrangler.jsonc'), 'utf8');
	for (const [key, value] of RELATIVE_PATHS) {
		const relative = `"${key}": "${value}"`;
		if (!text.includes(relative)) {
			throw new Error(`wrangler.jsonc no longer has ${relative}: update RELATIVE_PATHS in test/hermetic-wrangler.ts.`);
		}
		text = text.replaceAll(relative, `"${key}": ${JSON.stringify(join(from, value))}`);
	}
	mkdirSync(to, { recursive: true });
	const path = join(to, 'wrangler.jsonc');
	writeFileSync(path, text);
	return path;
}
