import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../src/consumer/retry-policy';
import { getDb } from '../src/db/client';
import { notifyJobSettled, settledSince } from '../src/jobs/events';
import { SWEEP_PENDING_AFTER_MS, SWEEP_STALE_LEASE_MS, sweepJobs } from '../src/jobs/sweep';
import { MAX_POLL_MS, nextExpectedCompletion, pollDelay, waitForJobs } from '../src/jobs/wait';
import { expectedRunMs, findModel } from '../src/providers/catalog';
import { insertJob, readJobRow } from './helpers/fixtures';

/** Records what the sweeper enqueues, so the test can tell which jobs it picked. */
function recordingQueue() {
	const sent: string[] = [];
	const queue = {
		async sendBatch(messages: { body: { jobId: string } }[]) {
			sent.push(...messages.map((message) => message.body.jobId));
		},
	} as unknown as Queue;
	return { queue, sent };
}

describe('sweeper', () => {
	it('re-enqueues pending jobs nobody picked up, and stale processing jobs with attempts left', async () => {
		const now = Date.now();
		const lost = await insertJob({ updatedAt: now - SWEEP_PENDING_AFTER_MS - 1 });
		const fresh = await insertJob({ updatedAt: now });
		const abandoned = await insertJob({
			status: 'processing',
			attempts: 1,
			leaseUntil: now - SWEEP_STALE_LEASE_MS - 1,
			updatedAt: now - SWEEP_STALE_LEASE_MS - 1,
		});
		const running = await insertJob({ status: 'processing', attempts: 1, leaseUntil: now + 60_000, updatedAt: now });
		const { queue, sent } = recordingQueue();

		expect(await sweepJobs({ DB: env.DB, JOBS: queue }, now)).toEqual({ requeued: 2, failed: 0 });
		expect(sent.sort()).toEqual([lost.id, abandoned.id].sort());
		expect(sent).not.toContain(fresh.id);
		expect(sent).not.toContain(running.id);
		// Touched, so a second sweep right after does not send them again.
		expect(await sweepJobs({ DB: env.DB, JOBS: queue }, now)).toEqual({ requeued: 0, failed: 0 });
	});

	it('run twice at once, enqueues each lost job exactly once', async () => {
		const now = Date.now();
		const lost = await Promise.all(
			Array.from({ length: 6 }, (_, i) =>
				i % 2
					? insertJob({ updatedAt: now - SWEEP_PENDING_AFTER_MS - 1 })
					: insertJob({ status: 'processing', attempts: 1, leaseUntil: 1, updatedAt: now - SWEEP_STALE_LEASE_MS - 1 }),
			),
		);
		const { queue, sent } = recordingQueue();
		const reports = await Promise.all([
			sweepJobs({ DB: env.DB, JOBS: queue }, now),
			sweepJobs({ DB: env.DB, JOBS: queue }, now),
		]);
		expect(reports[0]!.requeued + reports[1]!.requeued).toBe(6);
		expect(sent.sort()).toEqual(lost.map((job) => job.id).sort());
	});

	it('fails a stale processing job whose attempts are spent', async () => {
		const now = Date.now();
		const spent = await insertJob({
			status: 'processing',
			attempts: MAX_ATTEMPTS,
			leaseUntil: 1,
			updatedAt: now - SWEEP_STALE_LEASE_MS - 1,
		});
		const { queue, sent } = recordingQueue();
		expect(await sweepJobs({ DB: env.DB, JOBS: queue }, now)).toEqual({ requeued: 0, failed: 1 });
		expect(sent).toEqual([]);
		const row = await readJobRow(spent.id);
		expect(row).toMatchObject({ status: 'failed', errorCode: 'abandoned' });
		expect(row?.error).toBe(
			`The job was abandoned after ${MAX_ATTEMPTS} attempts: its consumer stopped answering. Last error: none recorded`,
		);
	});

	it('sends real messages that the real consumer completes', async () => {
		const lost = await insertJob({ updatedAt: Date.now() - SWEEP_PENDING_AFTER_MS - 1 });
		await sweepJobs(env, Date.now());
		const outcome = await waitForJobs(getDb(env), 'default', [lost.id], { timeoutMs: 10_000 });
		expect(outcome.settled).toBe(true);
		expect(outcome.rows[0]?.status).toBe('completed');
	});
});

describe('waiting', () => {
	it("plans a poll at a started job's expected completion, once, and not for unstarted or finished jobs", async () => {
		const now = Date.now();
		const running = await insertJob({ status: 'processing', startedAt: now - 400 });
		const queued = await insertJob();
		const done = await insertJob({ status: 'completed', startedAt: now - 900 });
		const run = () => 500;
		expect(nextExpectedCompletion([running, queued, done], run, new Set(), now)).toBe(now + 100);
		// Already polled for: nothing more planned for it.
		expect(nextExpectedCompletion([running], run, new Set([now + 100]), now)).toBeUndefined();
		// Long past (a retry, or a slow provider): the ordinary backoff carries on.
		expect(nextExpectedCompletion([running], () => 50, new Set(), now)).toBeUndefined();
		// Unknown model, or no estimate given.
		expect(nextExpectedCompletion([running], () => undefined, new Set(), now)).toBeUndefined();
		expect(nextExpectedCompletion([running], undefined, new Set(), now)).toBeUndefined();
		expect(nextExpectedCompletion([queued, done], run, new Set(), now)).toBeUndefined();
	});

	it('expects the offline provider to take its configured delay, also as a stand-in, and real models their typical time', () => {
		expect(expectedRunMs({ ...env, OFFLINE_LATENCY_MS: '500' }, 'offline')).toBe(500);
		expect(expectedRunMs({ ...env, OFFLINE_LATENCY_MS: '500' }, 'flux-schnell')).toBe(500);
		expect(expectedRunMs({ ...env, OPENAI_API_KEY: 'sk' }, 'gpt-image-1')).toBe(
			findModel(env, 'gpt-image-1')?.typicalLatencyMs,
		);
		expect(expectedRunMs(env, 'gpt-image-1')).toBeUndefined();
	});

	it('polls fast at first and backs off to at most about three reads a second', () => {
		expect(pollDelay(0)).toBe(20);
		expect(pollDelay(1)).toBe(30);
		expect(pollDelay(2)).toBe(45);
		expect(pollDelay(20)).toBe(MAX_POLL_MS);
		expect(MAX_POLL_MS).toBe(300);
	});

	it('returns unsettled with the current rows when the timeout passes', async () => {
		const job = await insertJob();
		const outcome = await waitForJobs(getDb(env), 'default', [job.id], { timeoutMs: 300 });
		expect(outcome).toMatchObject({ settled: false, rows: [{ id: job.id, status: 'pending' }] });
	});

	it('reports each poll while waiting, for progress notifications', async () => {
		const job = await insertJob();
		const polls: number[] = [];
		await waitForJobs(getDb(env), 'default', [job.id], {
			timeoutMs: 200,
			onPoll: (_rows, elapsed) => void polls.push(elapsed),
		});
		expect(polls.length).toBeGreaterThanOrEqual(3);
		expect(polls).toEqual([...polls].sort((a, b) => a - b));
	});

	it('keeps in-isolate completion hints per job, for waiters that started before the completion', () => {
		const before = Date.now();
		const id = crypto.randomUUID();
		expect(settledSince([id], before)).toBe(false);
		notifyJobSettled(id);
		expect(settledSince([crypto.randomUUID(), id], before)).toBe(true);
		expect(settledSince([crypto.randomUUID()], before)).toBe(false);
		expect(settledSince([id], Date.now() + 1000)).toBe(false);
	});

	it("treats another owner's job as missing", async () => {
		const job = await insertJob({ owner: 'someone-else' });
		const outcome = await waitForJobs(getDb(env), 'default', [job.id], { timeoutMs: 1000 });
		expect(outcome.rows).toEqual([]);
	});
});
