/// <reference types="node" />
/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, a devDependency)
 * against this server: the server scenarios that apply to a stateless, token-less local server
 * with our own tools and no test fixtures (docs/transports.md#conformance says which and why).
 *
 *   npm run conformance                                   # starts its own wrangler dev
 *   npm run conformance -- http://localhost:8787/mcp      # a server you started (npm run dev)
 *   npm run conformance -- --scenario ping [URL]          # one scenario
 *
 * The suite's client sends no Authorization header, so the server must be a local dev server
 * without AUTH_TOKEN; `dns-rebinding-protection` also needs a localhost URL. Each scenario is
 * one run of the suite's CLI, which writes its checks to a temporary directory that is read
 * and deleted here (nothing lands in the working tree). Exit code 1 when a scenario fails.
 *
 * Plain Node with only builtins, so `node --experimental-strip-types` runs it and vitest
 * (test/e2e/conformance.test.ts) imports it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeBinary, PROJECT_ROOT, startDevServer } from '../test/e2e/dev-server.ts';

/** Every server scenario of the suite (0.1.16) that applies to this server; the others need fixtures we do not have. */
export const CONFORMANCE_SCENARIOS = [
	'server-initialize',
	'ping',
	'tools-list',
	'dns-rebinding-protection',
	'logging-set-level',
	'resources-list',
	'prompts-list',
	'completion-complete',
] as const;

export type ConformanceScenario = (typeof CONFORMANCE_SCENARIOS)[number];

/** One check of a scenario, as the suite writes it to checks.json. */
export interface ConformanceCheck {
	id: string;
	name: string;
	description: string;
	status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
	errorMessage?: string;
	details?: unknown;
}

export interface ScenarioRun {
	scenario: string;
	checks: ConformanceCheck[];
	/** The checks that are not SUCCESS (a WARNING counts: every check of an applicable scenario must pass). */
	failures: ConformanceCheck[];
	/** The CLI's stdout and stderr, for failure messages. */
	output: string;
	ms: number;
}

const CLI = join(PROJECT_ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const RUN_TIMEOUT_MS = 60_000;

function runCli(args: string[], cwd: string): Promise<{ output: string; error: Error | null }> {
	return new Promise((resolve) => {
		execFile(
			nodeBinary(),
			[CLI, ...args],
			{ cwd, timeout: RUN_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
			(error, stdout, stderr) => resolve({ output: `${stdout}${stderr}`, error }),
		);
	});
}

/**
 * Runs one server scenario of the suite against `mcpUrl` (e.g. `http://127.0.0.1:8787/mcp`)
 * and returns its checks. Throws when the CLI wrote none (it crashed, or the scenario is unknown).
 */
export async function runConformanceScenario(mcpUrl: string, scenario: string): Promise<ScenarioRun> {
	const outDir = await mkdtemp(join(tmpdir(), 'image-mcp-conformance-'));
	const started = Date.now();
	try {
		// Exit code 1 just means a check failed; the checks say which.
		const { output, error } = await runCli(['server', '--url', mcpUrl, '--scenario', scenario, '-o', outDir], outDir);
		const [resultDir] = await readdir(outDir);
		let checks: ConformanceCheck[];
		try {
			checks = JSON.parse(await readFile(join(outDir, resultDir ?? '', 'checks.json'), 'utf8')) as ConformanceCheck[];
		} catch {
			throw new Error(
				`conformance server --scenario ${scenario} wrote no checks (${error?.message ?? 'no error'}):\n${output}`,
			);
		}
		const failures = checks.filter((check) => check.status !== 'SUCCESS');
		return { scenario, checks, failures, output, ms: Date.now() - started };
	} finally {
		await rm(outDir, { recursive: true, force: true });
	}
}

/** One line per check that did not pass: `[FAILURE] ping: Failed: MCP error -32601: Method not found`. */
export function describeFailures(run: ScenarioRun): string {
	return run.failures
		.map((check) => `[${check.status}] ${check.id}: ${check.errorMessage ?? check.description}`)
		.join('\n');
}

function isLocalUrl(url: string): boolean {
	return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

async function main(): Promise<void> {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: { scenario: { type: 'string', multiple: true } },
	});
	const scenarios = values.scenario ?? [...CONFORMANCE_SCENARIOS];
	const server = positionals[0] ? undefined : await startDevServer();
	// wrangler runs in its own process group, which Ctrl-C does not reach: stop it here.
	process.once('SIGINT', () => void server?.stop().then(() => process.exit(130)));
	const mcpUrl = positionals[0] ?? `${server!.url}/mcp`;
	let failed = 0;
	try {
		process.stderr.write(`MCP conformance suite against ${mcpUrl}\n`);
		for (const scenario of scenarios) {
			if (scenario === 'dns-rebinding-protection' && !isLocalUrl(mcpUrl)) {
				process.stdout.write(`skip  ${scenario}: needs a localhost URL\n`);
				continue;
			}
			const run = await runConformanceScenario(mcpUrl, scenario);
			const passed = run.failures.length === 0;
			process.stdout.write(
				`${(passed ? 'pass' : 'FAIL').padEnd(5)} ${scenario} [${run.checks.length} check${run.checks.length === 1 ? '' : 's'}, ${run.ms} ms]\n`,
			);
			if (!passed) process.stdout.write(`${describeFailures(run).replace(/^/gm, '      ')}\n`);
			if (!passed) failed++;
		}
	} finally {
		await server?.stop();
	}
	process.exitCode = failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
