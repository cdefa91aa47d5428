/// <reference types="node" />
/**
 * Starts a real `wrangler dev` for end-to-end tests and benchmarks: the same
 * command a user runs, so the tests see what a user sees (bundling, workerd, local D1, R2 and
 * Queues), not a stand-in.
 *
 * Each server is isolated: its own free port, its own state directory (migrated first, with
 * the same `wrangler d1 migrations apply` the README uses) and an empty env file so a
 * developer's `.dev.vars` (say, with an AUTH_TOKEN) cannot change what the tests see.
 *
 * Plain Node with only builtins and no TypeScript-only syntax, so that
 * `node --experimental-strip-types bench/latency.ts` can import it as well as vitest.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is at test/e2e/dev-server.ts). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Loopback only: the server is token-less by default, and local dev serves only loopback clients. */
const HOST = '127.0.0.1';
const DEFAULT_STARTUP_TIMEOUT_MS = 120_000;
const HEALTH_POLL_INTERVAL_MS = 150;
const STOP_GRACE_MS = 5_000;
/** Enough of wrangler's output to explain a failed start, without keeping a long run's logs in memory. */
const MAX_LOG_CHARS = 64 * 1024;

export interface DevServerOptions {
	/** Extra `--var KEY:VALUE` pairs, e.g. `{ OFFLINE_LATENCY_MS: '500', AUTH_TOKEN: 'secret' }`. */
	vars?: Record<string, string>;
	/**
	 * Another Worker to serve instead of this project's (`--config <path>`,
	 * no migrations), e.g. the trivial floor Worker of bench/request-cost.ts. It must answer
	 * GET /health with 200.
	 */
	configPath?: string;
	/**
	 * Skip `wrangler d1 migrations apply` before starting, as a newcomer's first plain
	 * `wrangler dev` does (the Worker then migrates its local D1 itself). Default false.
	 */
	skipMigrations?: boolean;
	/** How long to wait for GET /health to answer 200 (default 120 s). */
	startupTimeoutMs?: number;
	/**
	 * Keep the state directory when the server stops, so its D1 and R2 files can be read
	 * afterwards (the caller deletes it). Default false: stop() deletes it.
	 */
	keepStateDir?: boolean;
}

export interface DevServer {
	/** Origin of the server, e.g. `http://127.0.0.1:43567` (no trailing slash). */
	url: string;
	/** Milliseconds from spawning `wrangler dev` to the first healthy answer (migrations not included). */
	startupMs: number;
	/** The `--persist-to` directory: local D1, R2 and queue state live under `<stateDir>/v3`. */
	stateDir: string;
	/** wrangler's recent stdout and stderr, for failure messages. */
	logs(): string;
	/** Kills the whole process tree (wrangler, its child node and workerd) and deletes the state directory (unless keepStateDir). */
	stop(): Promise<void>;
}

/** A port nothing listens on right now (the kernel picks it; there is a small race until wrangler binds it). */
export function findFreePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, HOST, () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => (port ? resolve(port) : reject(new Error('Could not find a free port.'))));
		});
	});
}

/**
 * Wrangler needs Node 22, and the system `node` may be older: use the Node running us when it
 * is new enough (it is under `npm test`, which puts node_modules/.bin first on PATH), else the
 * project's own Node from the `node` devDependency.
 */
export function nodeBinary(): string {
	const major = Number(process.versions.node.split('.')[0]);
	return major >= 22 ? process.execPath : join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
}

const WRANGLER = join(PROJECT_ROOT, 'node_modules', '.bin', 'wrangler');

/**
 * No telemetry, no interactive prompts or hotkeys, no colour codes in the captured logs, and no
 * fetch of a real `Request.cf` from workers.cloudflare.com (the Worker does not read it, and
 * offline the failed fetch prints a stack trace into every server's log).
 */
function wranglerEnv(): NodeJS.ProcessEnv {
	return {
		...process.env,
		WRANGLER_SEND_METRICS: 'false',
		CLOUDFLARE_CF_FETCH_ENABLED: 'false',
		CI: 'true',
		NO_COLOR: '1',
		FORCE_COLOR: '0',
	};
}

/** Runs a wrangler command to completion (quiet, no telemetry) and returns its stdout and stderr together. */
export function runWrangler(args: string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile(
			nodeBinary(),
			[WRANGLER, ...args],
			{ cwd: PROJECT_ROOT, env: wranglerEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
			(error, stdout, stderr) => {
				const output = `${stdout}${stderr}`;
				if (error) reject(new Error(`wrangler ${args.join(' ')} failed: ${error.message}\n${output}`));
				else resolve(output);
			},
		);
	});
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}

function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => child.once('exit', () => resolve()));
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

async function isHealthy(url: string): Promise<boolean> {
	try {
		const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
		await response.arrayBuffer();
		return response.status === 200;
	} catch {
		return false;
	}
}

/** Starts tried before giving up when another process takes a chosen port first. */
const PORT_ATTEMPTS = 3;

/** wrangler dev exited because a port chosen free was taken before it bound it. */
class PortTakenError extends Error {}

/**
 * Migrates a fresh state directory, starts `wrangler dev` on it and resolves once
 * GET /health answers 200. Rejects with wrangler's output when it exits or is not healthy in time.
 * A port taken between choosing it and wrangler binding it (another server starting on this
 * machine) is not the server's fault: it starts again on new ports, a few times.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await startDevServerOnce(options);
		} catch (error) {
			if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
		}
	}
}

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
	const stateDir = await mkdtemp(join(tmpdir(), 'image-mcp-e2e-'));
	const envFile = join(stateDir, 'test.env');
	// Given explicitly, an env file replaces .dev.vars and .env (and process.env is not read).
	// The test's vars go in it too, single-quoted (literal in dotenv), so JSON values survive.
	await writeFile(
		envFile,
		Object.entries(options.vars ?? {})
			.map(([key, value]) => {
				if (value.includes("'") || value.includes('\n')) throw new Error(`var ${key}: no quotes or newlines`);
				return `${key}='${value}'\n`;
			})
			.join(''),
	);
	try {
		if (!options.configPath && !options.skipMigrations) {
			await runWrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir]);
		}
	} catch (error) {
		await rm(stateDir, { recursive: true, force: true });
		throw error;
	}

	const [port, inspectorPort] = await Promise.all([findFreePort(), findFreePort()]);
	const url = `http://${HOST}:${port}`;
	const args = [
		WRANGLER,
		'dev',
		...(options.configPath ? ['--config', options.configPath] : []),
		'--ip',
		HOST,
		'--port',
		String(port),
		// Its own inspector port: 9229 may be held by another `wrangler dev` on this machine.
		'--inspector-port',
		String(inspectorPort),
		'--persist-to',
		stateDir,
		'--env-file',
		envFile,
		'--show-interactive-dev-session=false',
	];

	const started = Date.now();
	// Its own process group, so stop() can kill wrangler's node child and workerd with it.
	const child = spawn(nodeBinary(), args, {
		cwd: PROJECT_ROOT,
		env: wranglerEnv(),
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let log = '';
	const append = (chunk: Buffer) => {
		log += chunk.toString('utf8');
		if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS);
	};
	child.stdout?.on('data', append);
	child.stderr?.on('data', append);
	// If the test process dies without calling stop(), do not leave workerd running.
	const killOnExit = () => killGroup(child, 'SIGKILL');
	process.once('exit', killOnExit);

	let stopped: Promise<void> | undefined;
	const stop = (): Promise<void> => {
		stopped ??= (async () => {
			process.removeListener('exit', killOnExit);
			killGroup(child, 'SIGTERM');
			const gone = await Promise.race([exited(child).then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
			// workerd may outlive its parent for a moment; make sure the whole group is gone.
			killGroup(child, 'SIGKILL');
			if (!gone) await exited(child);
			if (!options.keepStateDir) await rm(stateDir, { recursive: true, force: true, maxRetries: 3 });
		})();
		return stopped;
	};

	// A server that never became healthy is never handed out, so nobody else would delete its state.
	const stopAndForget = async (): Promise<void> => {
		await stop();
		await rm(stateDir, { recursive: true, force: true, maxRetries: 3 });
	};

	const deadline = started + (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
	while (!(await isHealthy(url))) {
		if (child.exitCode !== null || child.signalCode !== null) {
			await stopAndForget();
			const message = `wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${log}`;
			throw log.includes('Address already in use') ? new PortTakenError(message) : new Error(message);
		}
		if (Date.now() > deadline) {
			await stopAndForget();
			throw new Error(`wrangler dev did not answer GET ${url}/health with 200 in time:\n${log}`);
		}
		await sleep(HEALTH_POLL_INTERVAL_MS);
	}
	return { url, startupMs: Date.now() - started, stateDir, logs: () => log, stop };
}
