/// <reference types="node" />
/**
 * Size and start-up of the deployable Worker, as wrangler measures them:
 * - the bundle `wrangler deploy --dry-run --outdir` writes, and the total and gzip upload size
 *   it reports (Cloudflare's limits apply to the gzip figure);
 * - the start-up time `wrangler check startup` reports: it runs the bundle's top-level code in
 *   a local workerd under a CPU profiler (the "Active" time), several times, and the profile
 *   says where the time goes (self time per function, summed over the runs).
 *
 *   node --experimental-strip-types bench/size.ts [--runs 5] [--top 8]
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { runWrangler } from '../test/e2e/dev-server.ts';
import { formatTable, positiveInteger, type Stats, summarise } from './stats.ts';

/** Target (issue 7). */
export const TARGET_GZIP_KIB = 600;

export interface SizeOptions {
	/** `wrangler check startup` runs. */
	runs: number;
	/** Functions listed by self time. */
	top: number;
	log?: (line: string) => void;
}

export interface SizeResult {
	bench: 'size';
	node: string;
	/** What wrangler reports for the upload. */
	upload_kib: number;
	upload_gzip_kib: number;
	/** The bundle in --outdir (source maps excluded), and its gzip -9 size computed here. */
	bundle_files: Array<{ file: string; kib: number; gzip_kib: number }>;
	target_gzip_kib: number;
	meets_target: boolean;
	/** "Active" CPU time of the start-up, per run (ms). */
	startup_active_ms: Stats;
	/** Self time by function over all runs, largest first (ms, summed; share of the non-idle time, %). */
	startup_top: Array<{ function: string; self_ms: number; share: number }>;
}

function numberAfter(text: string, pattern: RegExp, what: string): number {
	const match = pattern.exec(text);
	if (!match) throw new Error(`Could not find ${what} in wrangler's output:\n${text.slice(-2000)}`);
	return Number(match[1]);
}

interface CpuProfile {
	nodes: Array<{
		id: number;
		callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
	}>;
	samples: number[];
	timeDeltas: number[];
}

/** Where a bundle line came from, shortened: `zod/v4/core/schemas.js`, `src/mcp/server.ts`. */
function originOf(map: SourceMap | undefined, line: number, column: number): string | undefined {
	const entry = map?.findEntry(line, Math.max(0, column)) as { originalSource?: string } | undefined;
	const source = entry?.originalSource;
	if (!source) return undefined;
	const inModules = source.lastIndexOf('node_modules/');
	if (inModules >= 0) return source.slice(inModules + 'node_modules/'.length);
	const inSrc = source.lastIndexOf('/src/');
	return inSrc >= 0 ? source.slice(inSrc + 1) : source;
}

/** Self time (µs) per function in a V8 CPU profile, named by the source the bundle line came from. */
function selfTimes(profile: CpuProfile, map: SourceMap | undefined, into: Map<string, number>): void {
	const names = new Map(
		profile.nodes.map((node) => {
			const { functionName, url, lineNumber, columnNumber } = node.callFrame;
			const name = functionName || '(anonymous)';
			if (!url) return [node.id, name];
			const origin = originOf(map, lineNumber, columnNumber) ?? `${url.split('/').pop()}:${lineNumber + 1}`;
			return [node.id, `${name} (${origin})`];
		}),
	);
	profile.samples.forEach((id, index) => {
		const name = names.get(id) ?? '?';
		into.set(name, (into.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0));
	});
}

const kib = (bytes: number) => Math.round((bytes / 1024) * 100) / 100;

export async function runSize(options: SizeOptions): Promise<SizeResult> {
	const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	const work = await mkdtemp(join(tmpdir(), 'image-mcp-size-'));
	try {
		log('Building with wrangler deploy --dry-run...');
		const outdir = join(work, 'dist');
		const built = await runWrangler(['deploy', '--dry-run', '--env', 'production', '--outdir', outdir]);
		const upload = numberAfter(built, /Total Upload: ([\d.]+) KiB/, 'the upload size');
		const uploadGzip = numberAfter(built, /gzip: ([\d.]+) KiB/, 'the gzip size');
		const files = (await readdir(outdir)).filter((file) => /\.(m?js|wasm)$/.test(file));
		const bundleFiles = await Promise.all(
			files.map(async (file) => {
				const bytes = await readFile(join(outdir, file));
				return {
					file,
					kib: kib((await stat(join(outdir, file))).size),
					gzip_kib: kib(gzipSync(bytes, { level: 9 }).length),
				};
			}),
		);

		const mapFile = join(outdir, 'index.js.map');
		const map = await readFile(mapFile, 'utf8')
			.then((text) => new SourceMap(JSON.parse(text)))
			.catch(() => undefined);
		const active: number[] = [];
		const self = new Map<string, number>();
		for (let i = 0; i < options.runs; i++) {
			const profilePath = join(work, `startup-${i}.cpuprofile`);
			const output = await runWrangler(['check', 'startup', '--env', 'production', '--outfile', profilePath]);
			active.push(numberAfter(output, /Active: ([\d.]+) ms/, 'the active start-up time'));
			selfTimes(JSON.parse(await readFile(profilePath, 'utf8')) as CpuProfile, map, self);
			log(`  start-up run ${i + 1}/${options.runs}: active ${active.at(-1)} ms`);
		}
		const busy = [...self.entries()].filter(([name]) => !name.startsWith('(idle)'));
		const total = busy.reduce((sum, [, value]) => sum + value, 0) || 1;
		const top = busy
			.sort((a, b) => b[1] - a[1])
			.slice(0, options.top)
			.map(([name, micros]) => ({
				function: name,
				self_ms: Math.round(micros / 100) / 10,
				share: Math.round((micros / total) * 1000) / 10,
			}));
		return {
			bench: 'size',
			node: process.version,
			upload_kib: upload,
			upload_gzip_kib: uploadGzip,
			bundle_files: bundleFiles,
			target_gzip_kib: TARGET_GZIP_KIB,
			meets_target: uploadGzip <= TARGET_GZIP_KIB,
			startup_active_ms: summarise(active),
			startup_top: top,
		};
	} finally {
		await rm(work, { recursive: true, force: true });
	}
}

function printReport(result: SizeResult): void {
	console.log(
		`\nSize and start-up of the deployable Worker (wrangler deploy --dry-run, wrangler check startup); node ${result.node}\n`,
	);
	console.log(
		`upload: ${result.upload_kib} KiB, gzip ${result.upload_gzip_kib} KiB (target ≤ ${result.target_gzip_kib} KiB gzip: ${result.meets_target ? 'met' : 'MISSED'})`,
	);
	for (const file of result.bundle_files) console.log(`  ${file.file}: ${file.kib} KiB, gzip -9 ${file.gzip_kib} KiB`);
	console.log('');
	console.log(formatTable([['start-up, active CPU', result.startup_active_ms]], ['p50', 'min', 'max', 'mean']));
	console.log(
		`\nwhere start-up time goes (self time summed over ${result.startup_active_ms.n} runs; share of the busy time):`,
	);
	for (const row of result.startup_top) {
		console.log(`  ${String(row.self_ms).padStart(7)} ms  ${String(row.share).padStart(5)}%  ${row.function}`);
	}
	console.log(`\n${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: { runs: { type: 'string', default: '5' }, top: { type: 'string', default: '8' } },
	});
	printReport(await runSize({ runs: positiveInteger(values.runs, 'runs'), top: positiveInteger(values.top, 'top') }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
