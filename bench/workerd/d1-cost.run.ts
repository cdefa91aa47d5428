/**
 * Cost per job in D1, counted by instrumenting the database layer (bench/workerd/counting-d1.ts),
 * inside workerd, through the real code paths: the MCP fetch handler for the tools, and the
 * consumer's runJob (what the queue handler calls for each message).
 * `npm run bench:d1` (full) or, small, in `npm test` (bench-smoke project).
 *
 * 1. Statements from generate_image to completed, per job: a plain call, a `count: 4` call,
 *    a call with an idempotency_key, and the same key again (answered from D1, no new job).
 *    The queue is a recorder here, so the jobs wait for the consumer this bench runs, with the
 *    counted binding, instead of racing to the local queue consumer. Target: ≤ 5.
 * 2. Reads per second while wait_for_completion waits 10 s on a job that does not finish
 *    (pending), and on one that is running and expected to finish later (its expected
 *    completion adds polls there). Target: ≤ 5 a second on average.
 */
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { runJob } from '../../src/consumer/run-job';
import { insertJob } from '../../test/helpers/fixtures';
import { postWithEnv, rpcBody } from '../../test/helpers/mcp';
import { countingD1, type D1Counts } from './counting-d1';

const FULL = env.BENCH_MODE === 'full';
const WAIT_SECONDS = FULL ? 10 : 2;
const TARGET = { statementsPerJob: 5, readsPerSecond: 5 };

const d1 = countingD1(env.DB);
const sent: string[] = [];
const recordingQueue = {
	async send(message: { jobId: string }) {
		sent.push(message.jobId);
	},
	async sendBatch(messages: Array<{ body: { jobId: string } }>) {
		for (const message of messages) sent.push(message.body.jobId);
	},
} as unknown as Queue;

async function callTool(name: string, args: Record<string, unknown>, bindings: Partial<Env> = {}) {
	const response = await postWithEnv(
		{ DB: d1.binding, JOBS: recordingQueue, ...bindings },
		rpcBody('tools/call', { name, arguments: args }),
	);
	const body = (await response.json()) as { result: { isError?: boolean; structuredContent: Record<string, unknown> } };
	if (body.result.isError) throw new Error(`${name} failed: ${JSON.stringify(body.result)}`);
	return body.result.structuredContent;
}

interface JobCost {
	case: string;
	jobs: number;
	create: D1Counts;
	consumer: D1Counts;
	per_job: number;
}

async function costOf(label: string, args: Record<string, unknown>): Promise<JobCost> {
	sent.length = 0;
	d1.take();
	const created = await callTool('generate_image', { prompt: `cost ${label}`, width: 64, height: 64, ...args });
	const create = d1.take();
	const ids = (created.job_ids as string[] | undefined) ?? [created.job_id as string];
	for (const jobId of sent) expect(await runJob({ ...env, DB: d1.binding }, jobId, 1)).toEqual({ action: 'ack' });
	const consumer = d1.take();
	const rows = await env.DB.prepare(`SELECT status FROM jobs WHERE id IN (${ids.map(() => '?').join(',')})`)
		.bind(...ids)
		.all<{ status: string }>();
	expect(rows.results.every((row) => row.status === 'completed')).toBe(true);
	return {
		case: label,
		jobs: ids.length,
		create,
		consumer,
		per_job: (create.statements + consumer.statements) / ids.length,
	};
}

interface WaitCost {
	case: string;
	seconds: number;
	reads: number;
	reads_per_second: number;
	reads_first_second: number;
	reads_after: number;
}

async function waitCost(label: string, jobId: string, bindings: Partial<Env> = {}): Promise<WaitCost> {
	d1.take();
	const started = Date.now();
	const outcome = await callTool('wait_for_completion', { job_id: jobId, timeout_seconds: WAIT_SECONDS }, bindings);
	const seconds = (Date.now() - started) / 1000;
	expect(outcome.still_running).toBe(true);
	const counts = d1.take();
	const firstSecond = counts.readTimes.filter((at) => at - started < 1000).length;
	return {
		case: label,
		seconds: Math.round(seconds * 10) / 10,
		reads: counts.reads,
		reads_per_second: Math.round((counts.reads / seconds) * 10) / 10,
		reads_first_second: firstSecond,
		reads_after: counts.reads - firstSecond,
	};
}

it('counts D1 statements per job and reads per second of a wait, and prints them', async () => {
	const plain = await costOf('plain', {});
	const batch = await costOf('count 4', { count: 4 });
	const keyed = await costOf('idempotency_key', { idempotency_key: 'bench-key' });
	d1.take();
	await callTool('generate_image', {
		prompt: 'cost idempotency_key',
		width: 64,
		height: 64,
		idempotency_key: 'bench-key',
	});
	const repeat = d1.take();

	const pending = await insertJob();
	const waitPending = await waitCost('pending job (never starts)', pending.id);
	const running = await insertJob({
		status: 'processing',
		attempts: 1,
		startedAt: Date.now(),
		leaseUntil: Date.now() + 60_000,
	});
	const waitRunning = await waitCost(`running job expected at ${WAIT_SECONDS / 2} s (never finishes)`, running.id, {
		OFFLINE_LATENCY_MS: String((WAIT_SECONDS / 2) * 1000),
	});

	const jobRows = [plain, batch, keyed].map((row) => [
		row.case.padEnd(18),
		String(row.jobs).padStart(5),
		`${row.create.statements} (${row.create.reads}r ${row.create.writes}w, ${row.create.roundTrips} trips)`.padStart(
			26,
		),
		`${row.consumer.statements} (${row.consumer.reads}r ${row.consumer.writes}w, ${row.consumer.roundTrips} trips)`.padStart(
			26,
		),
		String(Math.round(row.per_job * 100) / 100).padStart(9),
	]);
	const waitRows = [waitPending, waitRunning].map((row) => [
		row.case.padEnd(44),
		String(row.seconds).padStart(5),
		String(row.reads).padStart(6),
		String(row.reads_per_second).padStart(8),
		String(row.reads_first_second).padStart(10),
		String(row.reads_after).padStart(7),
	]);
	const perJob = Math.max(plain.per_job, batch.per_job, keyed.per_job);
	const perSecond = Math.max(waitPending.reads_per_second, waitRunning.reads_per_second);
	console.log(
		[
			'',
			`D1 cost per job, counted at the binding (${FULL ? 'full' : 'smoke'} run)`,
			'',
			`${'case'.padEnd(18)} ${'jobs'.padStart(5)}${'create: statements'.padStart(26)}${'consumer: statements'.padStart(26)}${'per job'.padStart(9)}`,
			...jobRows.map((cells) => cells.join(' ')),
			`${'same key again'.padEnd(18)} ${'0'.padStart(5)}${`${repeat.statements} (${repeat.reads}r ${repeat.writes}w, ${repeat.roundTrips} trips)`.padStart(26)}`,
			'',
			`${'wait_for_completion'.padEnd(44)} ${'s'.padStart(5)} ${'reads'.padStart(6)} ${'reads/s'.padStart(8)} ${'1st second'.padStart(10)} ${'after'.padStart(7)}`,
			...waitRows.map((cells) => cells.join(' ')),
			'',
			`${perJob <= TARGET.statementsPerJob ? 'meets' : 'MISSES'} target: ≤ ${TARGET.statementsPerJob} statements per job (worst case ${perJob})`,
			`${perSecond <= TARGET.readsPerSecond ? 'meets' : 'MISSES'} target: ≤ ${TARGET.readsPerSecond} reads/s while waiting (worst case ${perSecond})`,
			'',
			'statements of the plain job:',
			...[
				...plain.create.sql.map((sql) => `  create   ${sql}`),
				...plain.consumer.sql.map((sql) => `  consumer ${sql}`),
			],
			'',
			JSON.stringify({
				bench: 'd1-cost',
				mode: FULL ? 'full' : 'smoke',
				target: TARGET,
				jobs: [plain, batch, keyed].map(({ create, consumer, ...row }) => ({
					...row,
					create: {
						statements: create.statements,
						reads: create.reads,
						writes: create.writes,
						round_trips: create.roundTrips,
					},
					consumer: {
						statements: consumer.statements,
						reads: consumer.reads,
						writes: consumer.writes,
						round_trips: consumer.roundTrips,
					},
				})),
				idempotent_repeat: { statements: repeat.statements, reads: repeat.reads, writes: repeat.writes },
				waits: [waitPending, waitRunning],
				meets_target: perJob <= TARGET.statementsPerJob && perSecond <= TARGET.readsPerSecond,
			}),
		].join('\n'),
	);
	expect(plain.create.statements).toBeGreaterThan(0);
	expect(waitPending.reads).toBeGreaterThan(1);
}, 120_000);
