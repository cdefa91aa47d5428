/// <reference types="node" />
/**
 * Load and "nothing lost, nothing stuck" check: many jobs through a real
 * `wrangler dev` (offline provider, local D1, R2 and Queues), with transient
 * provider failures injected by OFFLINE_FAILURE_RATE, then the server's own D1 and R2 files
 * read directly to check that every job ended and that images and objects match one to one.
 *
 *   node --experimental-strip-types bench/load.ts [--jobs 1000] [--concurrency 16]
 *     [--failure-rates 0,0.01,0.1] [--time-limit-s 900] [--size 256]
 *
 * Per failure rate, one fresh server, run one after another so they do not share the CPU:
 *   1. submit --jobs `generate_image` calls as curl would (plain JSON-RPC POST /mcp, no
 *      session), --concurrency at a time;
 *   2. wait for them all with `wait_for_completion` (20 ids a call, a few calls at a time,
 *      called again while still running) within --time-limit-s;
 *   3. ask the MCP tools how many jobs are completed and failed (list_jobs);
 *   4. stop the server, keep its state directory and open its D1 and R2 with miniflare,
 *      under the ids wrangler itself derives from wrangler.jsonc;
 *   5. check the invariants and print figures.
 * Prints a table per rate and one JSON line with every figure; exits 1 when any check fails.
 *
 * `runLoad` is the core, exported for test/e2e/load-smoke.test.ts.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { MAX_ATTEMPTS, retryDelaySeconds } from '../src/consumer/retry-policy.ts';
import type { ProviderError } from '../src/providers/errors.ts';
import { type DevServer, PROJECT_ROOT, startDevServer } from '../test/e2e/dev-server.ts';
import { formatTable, positiveInteger, round, type Stats, summarise } from './stats.ts';

/** wait_for_completion takes at most this many ids a call. */
const WAIT_BATCH = 20;
/** wait_for_completion calls in flight at once. */
const WAIT_CONCURRENCY = 4;
/** Seconds one wait_for_completion call may block (the tool allows up to 55). */
const WAIT_CALL_SECONDS = 20;
/** The single principal of a token-less local server (src/worker/auth.ts). */
const OWNER = 'default';
const TERMINAL = new Set(['completed', 'failed']);
/**
 * What the injected failures look like to the retry policy: transient, no Retry-After. (Only
 * `retryAfterSeconds` is read; the class itself cannot be imported under type stripping.)
 */
const INJECTED_FAILURE = { kind: 'transient', retryAfterSeconds: undefined } as unknown as ProviderError;

export interface LoadOptions {
	jobs: number;
	concurrency: number;
	/** OFFLINE_FAILURE_RATE of the server, 0–1. */
	failureRate: number;
	/** Submit to last job terminal must fit in this; else the run fails with what is still open. */
	timeLimitMs: number;
	/** Side of the square images, in pixels (the offline model takes 64–2048). */
	size?: number;
	/** Progress lines (default: stderr). */
	log?: (line: string) => void;
}

export interface Check {
	name: string;
	ok: boolean;
	detail: string;
}

export interface LoadResult {
	failure_rate: number;
	jobs: number;
	concurrency: number;
	size: string;
	/** First submit sent to the last job's completed_at in D1 (same machine clock). */
	wall_ms: number;
	jobs_per_second: number;
	/** generate_image round trip, client side. */
	submit_ms: Stats | null;
	/** created_at → completed_at of each terminal job, from D1 (the server's clock): queue wait, retries and backoff included. */
	submit_to_terminal_ms: Stats | null;
	completed: number;
	failed: number;
	/** Jobs with attempts > 1. */
	retried: number;
	/** Jobs by attempts, e.g. { "1": 900, "2": 95 }. */
	attempts: Record<string, number>;
	/** Fastest submit → terminal among jobs that needed k attempts, against the backoff they had to sit out. */
	backoff: Array<{ attempts: number; jobs: number; min_ms: number; backoff_ms: number }>;
	checks: Check[];
	ok: boolean;
}

interface JobRow {
	id: string;
	owner: string;
	status: string;
	attempts: number;
	error_code: string | null;
	created_at: number;
	completed_at: number | null;
}

interface ImageRow {
	id: string;
	job_id: string;
	idx: number;
	r2_key: string;
	bytes: number;
}

interface ListableBucket {
	list(options: { limit: number; cursor?: string }): Promise<{
		objects: Array<{ key: string; size: number }>;
		truncated: boolean;
		cursor?: string;
	}>;
}

interface ToolAnswer {
	isError: boolean;
	structured: Record<string, unknown>;
	text: string;
}

let requestId = 0;

/** One `tools/call` the way the seed's curl scripts send it: only Content-Type, no initialize, no session. */
async function callTool(
	server: DevServer,
	name: string,
	args: Record<string, unknown>,
	timeoutMs: number,
): Promise<ToolAnswer> {
	const response = await fetch(`${server.url}/mcp`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: ++requestId, method: 'tools/call', params: { name, arguments: args } }),
		signal: AbortSignal.timeout(timeoutMs),
	});
	const text = await response.text();
	let body: { result?: { isError?: boolean; structuredContent?: Record<string, unknown>; content?: unknown[] } };
	try {
		body = JSON.parse(text);
	} catch {
		throw new Error(`${name}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
	}
	if (response.status !== 200 || !body.result?.structuredContent) {
		throw new Error(`${name}: HTTP ${response.status}: ${text.slice(0, 500)}`);
	}
	return { isError: body.result.isError === true, structured: body.result.structuredContent, text };
}

/** Runs `worker` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, worker: (item: T, index: number) => Promise<void>) {
	let next = 0;
	const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) {
			const index = next++;
			await worker(items[index]!, index);
		}
	});
	await Promise.all(runners);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The D1 database id and R2 bucket name wrangler gives the `DB` and `IMAGES` bindings of
 * the local (top-level) config, from wrangler's own config reader: opening the state directory under other
 * ids would silently create new, empty stores.
 */
function localStorageIds(): { d1: string; r2: string } {
	const previous = process.env.WRANGLER_LOG;
	// Keep wrangler's informational config output off the bench output.
	process.env.WRANGLER_LOG = 'error';
	try {
		const { workerOptions } = unstable_getMiniflareWorkerOptions(join(PROJECT_ROOT, 'wrangler.jsonc'));
		const idOf = (entry: unknown, what: string): string => {
			if (typeof entry === 'string') return entry;
			if (entry && typeof entry === 'object' && typeof (entry as { id?: unknown }).id === 'string') {
				return (entry as { id: string }).id;
			}
			throw new Error(`wrangler.jsonc has no ${what}.`);
		};
		const d1 = (workerOptions.d1Databases ?? {}) as Record<string, unknown>;
		const r2 = (workerOptions.r2Buckets ?? {}) as Record<string, unknown>;
		return { d1: idOf(d1.DB, 'D1 binding DB'), r2: idOf(r2.IMAGES, 'R2 binding IMAGES') };
	} finally {
		if (previous === undefined) delete process.env.WRANGLER_LOG;
		else process.env.WRANGLER_LOG = previous;
	}
}

/** Reads every job, image row and R2 object from a stopped server's state directory. */
async function readState(stateDir: string): Promise<{
	jobs: JobRow[];
	images: ImageRow[];
	objects: Map<string, number>;
	ids: { d1: string; r2: string };
}> {
	const ids = localStorageIds();
	const mf = new Miniflare(
		convertV4MiniflareOptions({
			modules: true,
			script: '',
			resourcePersistencePath: join(stateDir, 'v3'),
			d1Databases: { DB: ids.d1 },
			r2Buckets: { IMAGES: ids.r2 },
		}),
	);
	try {
		const db = await mf.getD1Database('DB');
		const migrated = await db
			.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('jobs', 'images')")
			.first<{ n: number }>();
		if (migrated?.n !== 2) {
			throw new Error(`D1 "${ids.d1}" under ${stateDir} has no jobs/images tables: not the database the server used.`);
		}
		const jobs = (
			await db
				.prepare('SELECT id, owner, status, attempts, error_code, created_at, completed_at FROM jobs')
				.all<JobRow>()
		).results;
		const images = (await db.prepare('SELECT id, job_id, idx, r2_key, bytes FROM images').all<ImageRow>()).results;

		// Miniflare's R2 type degrades without @cloudflare/workers-types in scope (Node types here): name what is used.
		const bucket = (await mf.getR2Bucket('IMAGES')) as unknown as ListableBucket;
		const objects = new Map<string, number>();
		let cursor: string | undefined;
		do {
			const page = await bucket.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
			for (const object of page.objects) objects.set(object.key, object.size);
			cursor = page.truncated ? page.cursor : undefined;
		} while (cursor);
		return { jobs, images, objects, ids };
	} finally {
		await mf.dispose();
	}
}

function check(name: string, ok: boolean, detail: string): Check {
	return { name, ok, detail };
}

function sample<T>(items: T[], n = 3): string {
	return items
		.slice(0, n)
		.map((item) => String(item))
		.join(', ');
}

/** Submits, waits, reads the server's state and checks it. Starts and stops its own server. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
	const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	const side = options.size ?? 256;
	const rate = options.failureRate;
	log(`failure rate ${rate}: starting wrangler dev...`);
	const server = await startDevServer({
		vars: { OFFLINE_LATENCY_MS: '0', OFFLINE_FAILURE_RATE: String(rate) },
		keepStateDir: true,
	});
	try {
		log(`  healthy after ${server.startupMs} ms; submitting ${options.jobs} jobs, ${options.concurrency} at a time`);

		// 1. Submit.
		const jobIds: string[] = new Array(options.jobs);
		const submitMs: number[] = [];
		const submitErrors: string[] = [];
		const firstSubmitAt = Date.now();
		const deadline = firstSubmitAt + options.timeLimitMs;
		const indices = Array.from({ length: options.jobs }, (_, i) => i);
		await pool(indices, options.concurrency, async (i) => {
			const started = performance.now();
			try {
				const answer = await callTool(
					server,
					'generate_image',
					{ prompt: `load ${rate} #${i}`, model: 'offline', width: side, height: side },
					30_000,
				);
				const id = answer.structured.job_id;
				if (answer.isError || typeof id !== 'string') throw new Error(answer.text.slice(0, 300));
				submitMs.push(performance.now() - started);
				jobIds[i] = id;
			} catch (error) {
				submitErrors.push(`#${i}: ${error instanceof Error ? error.message : String(error)}`);
			}
		});
		const submitted = jobIds.filter((id): id is string => typeof id === 'string');
		log(`  submitted ${submitted.length} in ${Date.now() - firstSubmitAt} ms (${submitErrors.length} errors); waiting`);

		// 2. Wait, re-calling while still running, until the time limit.
		const seen = new Map<string, string>();
		let waitErrors = 0;
		await pool(chunks(submitted, WAIT_BATCH), WAIT_CONCURRENCY, async (batch) => {
			let open = batch;
			while (open.length > 0) {
				const remainingS = Math.floor((deadline - Date.now()) / 1000);
				if (remainingS < 1) return;
				try {
					const answer = await callTool(
						server,
						'wait_for_completion',
						{ job_ids: open, timeout_seconds: Math.min(WAIT_CALL_SECONDS, remainingS) },
						(WAIT_CALL_SECONDS + 30) * 1000,
					);
					const results = answer.structured.results as Array<{ job_id: string; status: string }> | undefined;
					if (!results) throw new Error(answer.text.slice(0, 300));
					for (const job of results) seen.set(job.job_id, job.status);
					open = open.filter((id) => !TERMINAL.has(seen.get(id) ?? ''));
				} catch (error) {
					// A failed wait call loses nothing: note it and ask again.
					waitErrors++;
					if (waitErrors <= 5) log(`  wait_for_completion failed: ${error}`);
					await sleep(1000);
				}
			}
		});
		const clientSawAllAt = Date.now();
		const openAtEnd = submitted.filter((id) => !TERMINAL.has(seen.get(id) ?? ''));
		log(
			openAtEnd.length === 0
				? `  all terminal after ${clientSawAllAt - firstSubmitAt} ms (as seen by the client)`
				: `  TIME LIMIT of ${options.timeLimitMs / 1000} s passed with ${openAtEnd.length} job(s) not terminal`,
		);

		// 3. What the MCP tools say, to compare with what we read from the files.
		const toolTotals: Record<string, number> = {};
		for (const status of ['all', 'completed', 'failed'] as const) {
			const answer = await callTool(
				server,
				'list_jobs',
				status === 'all' ? { limit: 1 } : { status, limit: 1 },
				30_000,
			);
			toolTotals[status] = Number(answer.structured.total_count);
		}

		// 4. Stop the server (state kept) and read its D1 and R2 files.
		await server.stop();
		const state = await readState(server.stateDir);
		log(
			`  read D1 "${state.ids.d1}" and R2 "${state.ids.r2}": ${state.jobs.length} jobs, ${state.images.length} image rows, ${state.objects.size} objects`,
		);

		// 5. Checks.
		const jobsById = new Map(state.jobs.map((job) => [job.id, job]));
		const submittedSet = new Set(submitted);
		const owned = state.jobs.filter((job) => job.owner === OWNER);
		const lost = submitted.filter((id) => !jobsById.has(id));
		const notTerminal = state.jobs.filter((job) => !TERMINAL.has(job.status));
		const completedJobs = state.jobs.filter((job) => job.status === 'completed');
		const failedJobs = state.jobs.filter((job) => job.status === 'failed');
		const disagreeing = submitted.filter((id) => seen.has(id) && seen.get(id) !== jobsById.get(id)?.status);

		const imagesByJob = new Map<string, ImageRow[]>();
		for (const image of state.images) imagesByJob.set(image.job_id, [...(imagesByJob.get(image.job_id) ?? []), image]);
		const slots = new Map<string, number>();
		for (const image of state.images) {
			const slot = `${image.job_id}/${image.idx}`;
			slots.set(slot, (slots.get(slot) ?? 0) + 1);
		}
		const duplicateSlots = [...slots].filter(([, count]) => count > 1).map(([slot]) => slot);
		const completedWithout = completedJobs.filter((job) => (imagesByJob.get(job.id)?.length ?? 0) !== 1);
		const failedWith = failedJobs.filter((job) => (imagesByJob.get(job.id)?.length ?? 0) > 0);
		const orphanImages = state.images.filter((image) => !submittedSet.has(image.job_id) || !jobsById.has(image.job_id));
		const rowKeys = new Set(state.images.map((image) => image.r2_key));
		// `<job_id>/<index>` is an image; `<job_id>/<index>/…` is derived from it (its preview).
		const imageKey = (key: string) => key.split('/').slice(0, 2).join('/');
		const storedImages = new Map([...state.objects].filter(([key]) => imageKey(key) === key));
		const derived = [...state.objects.keys()].filter((key) => imageKey(key) !== key);
		const derivedWithoutImage = derived.filter((key) => !storedImages.has(imageKey(key)));
		const objectsWithoutRow = [...storedImages.keys()].filter((key) => !rowKeys.has(key));
		const rowsWithoutObject = state.images.filter((image) => !storedImages.has(image.r2_key));
		const wrongSize = state.images.filter(
			(image) => storedImages.has(image.r2_key) && storedImages.get(image.r2_key) !== image.bytes,
		);
		const failedEarly = failedJobs.filter((job) => job.attempts < MAX_ATTEMPTS || job.error_code !== 'transient');

		const checks: Check[] = [
			check(
				'every submit accepted',
				submitErrors.length === 0,
				submitErrors.length ? `${submitErrors.length} failed: ${sample(submitErrors, 2)}` : `${submitted.length}`,
			),
			check(
				'job ids unique',
				submittedSet.size === submitted.length,
				`${submittedSet.size} distinct of ${submitted.length}`,
			),
			check('none lost: every job id in D1', lost.length === 0, lost.length ? `missing: ${sample(lost)}` : 'all found'),
			check(
				"owner's job count == N",
				owned.length === options.jobs && state.jobs.length === options.jobs,
				`${owned.length} owned by "${OWNER}", ${state.jobs.length} in all, N = ${options.jobs}`,
			),
			check(
				'all terminal (completed/failed) in time',
				notTerminal.length === 0 && openAtEnd.length === 0,
				notTerminal.length
					? `${notTerminal.length} not terminal: ${sample(notTerminal.map((job) => `${job.id} ${job.status} attempts ${job.attempts}`))}`
					: `within ${options.timeLimitMs / 1000} s`,
			),
			check(
				'MCP tools agree with the files',
				disagreeing.length === 0 &&
					toolTotals.all === state.jobs.length &&
					toolTotals.completed === completedJobs.length &&
					toolTotals.failed === failedJobs.length,
				`list_jobs all/completed/failed ${toolTotals.all}/${toolTotals.completed}/${toolTotals.failed}, ` +
					`D1 ${state.jobs.length}/${completedJobs.length}/${failedJobs.length}; ` +
					`${submitted.length - disagreeing.length} of ${submitted.length} statuses match wait_for_completion`,
			),
			check(
				'no duplicate image rows',
				duplicateSlots.length === 0,
				duplicateSlots.length ? sample(duplicateSlots) : `${state.images.length} rows`,
			),
			check(
				'completed: exactly one image row',
				completedWithout.length === 0,
				completedWithout.length ? sample(completedWithout.map((job) => job.id)) : `${completedJobs.length} jobs`,
			),
			check(
				'failed: no image row',
				failedWith.length === 0,
				failedWith.length ? sample(failedWith.map((job) => job.id)) : `${failedJobs.length} jobs`,
			),
			check(
				'no image rows of unknown jobs',
				orphanImages.length === 0,
				orphanImages.length ? sample(orphanImages.map((image) => image.id)) : 'none',
			),
			check(
				'R2 images == image rows, same keys and sizes',
				storedImages.size === state.images.length &&
					objectsWithoutRow.length === 0 &&
					rowsWithoutObject.length === 0 &&
					wrongSize.length === 0,
				`${storedImages.size} images, ${state.images.length} rows; ${objectsWithoutRow.length} images without row, ` +
					`${rowsWithoutObject.length} rows without image, ${wrongSize.length} size mismatches`,
			),
			check(
				'previews only beside a stored image',
				derivedWithoutImage.length === 0,
				`${derived.length} previews for ${storedImages.size} images; ${derivedWithoutImage.length} without their image` +
					(derivedWithoutImage.length ? `: ${sample(derivedWithoutImage)}` : ''),
			),
			check(
				`failed only after ${MAX_ATTEMPTS} transient attempts`,
				failedEarly.length === 0 && (rate > 0 || failedJobs.length === 0),
				failedEarly.length
					? sample(failedEarly.map((job) => `${job.id} attempts ${job.attempts} ${job.error_code}`))
					: `${failedJobs.length} failed (expected about ${round(options.jobs * rate ** MAX_ATTEMPTS)})`,
			),
		];

		// Figures.
		const terminalJobs = state.jobs.filter((job) => TERMINAL.has(job.status) && job.completed_at !== null);
		const latencies = terminalJobs.map((job) => job.completed_at! - job.created_at);
		const lastTerminalAt = Math.max(...terminalJobs.map((job) => job.completed_at!));
		const wallMs = terminalJobs.length ? lastTerminalAt - firstSubmitAt : Number.NaN;
		const attempts: Record<string, number> = {};
		for (const job of state.jobs) attempts[job.attempts] = (attempts[job.attempts] ?? 0) + 1;
		const backoff: LoadResult['backoff'] = [];
		for (let k = 2; k <= MAX_ATTEMPTS; k++) {
			const withK = terminalJobs.filter((job) => job.attempts === k);
			if (withK.length === 0) continue;
			let backoffMs = 0;
			for (let attempt = 1; attempt < k; attempt++) {
				backoffMs += retryDelaySeconds(attempt, INJECTED_FAILURE) * 1000;
			}
			backoff.push({
				attempts: k,
				jobs: withK.length,
				min_ms: Math.min(...withK.map((job) => job.completed_at! - job.created_at)),
				backoff_ms: backoffMs,
			});
		}
		const result: LoadResult = {
			failure_rate: rate,
			jobs: options.jobs,
			concurrency: options.concurrency,
			size: `${side}x${side}`,
			wall_ms: Math.round(wallMs),
			jobs_per_second: round(options.jobs / (wallMs / 1000)),
			submit_ms: submitMs.length ? summarise(submitMs) : null,
			submit_to_terminal_ms: latencies.length ? summarise(latencies) : null,
			completed: completedJobs.length,
			failed: failedJobs.length,
			retried: state.jobs.filter((job) => job.attempts > 1).length,
			attempts,
			backoff,
			checks,
			ok: checks.every((entry) => entry.ok),
		};
		log(`  ${result.ok ? 'all checks pass' : 'CHECKS FAILED'}; ${result.jobs_per_second} jobs/s`);
		if (!result.ok) log(`--- wrangler dev, last output ---\n${server.logs().slice(-4000)}`);
		return result;
	} finally {
		await server.stop();
		await rm(server.stateDir, { recursive: true, force: true, maxRetries: 3 });
	}
}

function printReport(results: LoadResult[]): void {
	const rows: Array<[string, Stats]> = [];
	for (const result of results) {
		if (result.submit_ms) rows.push([`generate_image round trip, rate ${result.failure_rate}`, result.submit_ms]);
		if (result.submit_to_terminal_ms) {
			rows.push([`submit → terminal (D1 times), rate ${result.failure_rate}`, result.submit_to_terminal_ms]);
		}
	}
	console.log(formatTable(rows, ['p50', 'p95', 'p99', 'min', 'max', 'mean']));

	const header = ['failure rate', 'jobs/s', 'wall s', 'completed', 'failed', 'retried', 'attempts'];
	const lines = results.map((result) => [
		String(result.failure_rate),
		result.jobs_per_second.toFixed(1),
		(result.wall_ms / 1000).toFixed(1),
		String(result.completed),
		String(result.failed),
		String(result.retried),
		Object.entries(result.attempts)
			.map(([k, count]) => `${k}:${count}`)
			.join(' '),
	]);
	const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
	const format = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
	console.log(`\n${format(header)}\n${'-'.repeat(format(header).length)}`);
	for (const line of lines) console.log(format(line));

	for (const result of results) {
		console.log(`\nChecks, failure rate ${result.failure_rate}:`);
		for (const entry of result.checks) console.log(`  ${entry.ok ? 'ok  ' : 'FAIL'} ${entry.name}: ${entry.detail}`);
		for (const entry of result.backoff) {
			console.log(
				`  info jobs with ${entry.attempts} attempts: ${entry.jobs}, fastest ${(entry.min_ms / 1000).toFixed(1)} s submit → terminal (backoff alone ${entry.backoff_ms / 1000} s)`,
			);
		}
	}
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			jobs: { type: 'string', default: '1000' },
			concurrency: { type: 'string', default: '16' },
			'failure-rates': { type: 'string', default: '0,0.01,0.1' },
			'time-limit-s': { type: 'string', default: '900' },
			size: { type: 'string', default: '256' },
		},
	});
	const jobs = positiveInteger(values.jobs, 'jobs');
	const concurrency = positiveInteger(values.concurrency, 'concurrency');
	const timeLimitMs = positiveInteger(values['time-limit-s'], 'time-limit-s') * 1000;
	const size = positiveInteger(values.size, 'size');
	const rates = values['failure-rates'].split(',').map((part) => {
		const rate = Number(part.trim());
		if (part.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
			throw new Error(`--failure-rates: "${part}" is not a number from 0 to 1.`);
		}
		return rate;
	});

	const results: LoadResult[] = [];
	// One after another: each run gets the machine to itself.
	for (const failureRate of rates) {
		results.push(await runLoad({ jobs, concurrency, failureRate, timeLimitMs, size }));
	}

	console.log(
		`\nLoad: ${jobs} jobs per failure rate, ${concurrency} submits in flight, ${size}x${size} offline images, ` +
			`OFFLINE_LATENCY_MS 0; node ${process.version}\n`,
	);
	printReport(results);
	const ok = results.every((result) => result.ok);
	console.log(`\n${ok ? 'All invariants hold.' : 'INVARIANTS FAILED.'}\n`);
	console.log(JSON.stringify({ bench: 'load', jobs, concurrency, size, node: process.version, ok, runs: results }));
	if (!ok) process.exitCode = 1;
}

// Run only as a script, not when a test imports runLoad.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
