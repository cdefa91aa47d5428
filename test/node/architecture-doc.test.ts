/**
 * docs/architecture.md lists every source file, and only files that exist, so the map of the
 * code cannot drift from the code. Add a row when you add a file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(path);
		return entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
	});
}

describe('docs/architecture.md', () => {
	it('has a row for every file under src/', () => {
		const missing = sourceFiles(join(ROOT, 'src')).filter((file) => !DOC.includes(`| \`${file}\``));
		expect(missing).toEqual([]);
	});

	it('names no file that does not exist', () => {
		const listed = [...DOC.matchAll(/^\| `(src\/[^`*]+\.ts)`/gm)].map((match) => match[1]!);
		const existing = new Set(sourceFiles(join(ROOT, 'src')));
		expect(listed.length).toBeGreaterThan(50);
		expect(listed.filter((file) => !existing.has(file))).toEqual([]);
	});
});
