/**
 * Fault injection (issue 5): whatever fails between acceptance and the end, every job ends
 * in one terminal state with one set of images. Deterministic: the faults are scripted and
 * the queue's redelivery is played by `deliverUntilSettled` against the real handlers, with
 * the real local D1 and R2 underneath.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../src/consumer/retry-policy';
import { runJob } from '../src/consumer/run-job';
import { DEAD_LETTER_DELIVERY, deliverDeadLetter, deliverUntilSettled, faultyD1 } from './helpers/faults';
import { hang, stubFetch } from './helpers/fetch-stub';
import {
	base64,
	countImageRows,
	countR2Objects,
	countStoredImages,
	fakeJpeg,
	insertFluxJob,
	insertJob,
	readJobRow,
	scriptedAi,
} from './helpers/fixtures';

/** The consumer's note of a retry: an update of a job's error that leaves its status alone. */
const RETRY_NOTE = /^update "jobs" set (?:(?! where |"status").)*"error_code" = /;

/** The lease of a consumer that died runs out (time passes; nothing else changes). */
const leaseRunsOut = (jobId: string) =>
	env.DB.prepare('UPDATE jobs SET lease_until = 1 WHERE id = ?').bind(jobId).run();

async function expectOneImage(jobId: string) {
	expect(await countImageRows(jobId)).toBe(1);
	expect(await countStoredImages(jobId)).toBe(1);
}

describe('faults between acceptance and the end', () => {
	it('a provider failing transiently twice, then answering: the job completes once, with one image', async () => {
		const transient = new Error('AiError: 503 upstream unavailable');
		const { ai, calls } = scriptedAi([transient, transient, { image: base64(fakeJpeg(1024, 1024)) }]);
		const job = await insertFluxJob();

		const log = await deliverUntilSettled(job.id, { ...env, AI: ai });

		expect(log).toEqual({ deliveries: ['retry', 'retry', 'ack'], deadLettered: false });
		expect(calls).toHaveLength(3);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 3, error: null });
		await expectOneImage(job.id);
	});

	it('the consumer dies after the R2 write and before the D1 update: redelivery completes it without a second image', async () => {
		const d1 = faultyD1();
		const job = await insertJob();
		// D1 goes away at the completing write and stays away for the rest of that delivery,
		// so nothing after the R2 write reaches the database: the same as the consumer dying there.
		d1.goDownAt(/status = 'completed'/);

		const log = await deliverUntilSettled(job.id, { ...env, DB: d1.binding }, async (attempt) => {
			if (attempt === 2) {
				d1.heal();
				await leaseRunsOut(job.id);
			}
		});

		expect(d1.failures()).toBeGreaterThanOrEqual(2); // the completing batch, the retry note, the lease release
		expect(log.deliveries).toEqual(['retry', 'ack']);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
		await expectOneImage(job.id);
		const [image] = (await env.DB.prepare('SELECT id, r2_key FROM images WHERE job_id = ?').bind(job.id).all()).results;
		expect(image).toEqual({ id: `${job.id}/0`, r2_key: `${job.id}/0` });
	});

	it('one D1 write failing mid-job: the retry completes it', async () => {
		const d1 = faultyD1();
		const job = await insertJob();
		d1.failWrites(/status = 'completed'/, 1);

		const log = await deliverUntilSettled(job.id, { ...env, DB: d1.binding });

		expect(d1.failures()).toBe(1);
		expect(log.deliveries).toEqual(['retry', 'ack']);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 2, error: null });
		await expectOneImage(job.id);
	});

	it('a provider hanging past its timeout: retried on every delivery, then failed with a timeout error', async () => {
		const requests = stubFetch(hang);
		const job = await insertJob({
			model: 'gpt-image-1',
			params: { width: 1024, height: 1024, quality: 'low' },
		});

		const log = await deliverUntilSettled(job.id, { ...env, OPENAI_API_KEY: 'sk-test', PROVIDER_TIMEOUT_MS: '50' });

		expect(requests).toHaveLength(MAX_ATTEMPTS);
		expect(log).toEqual({ deliveries: ['retry', 'retry', 'retry', 'ack'], deadLettered: false });
		const row = await readJobRow(job.id);
		expect(row).toMatchObject({ status: 'failed', errorCode: 'transient', attempts: MAX_ATTEMPTS });
		expect(row?.error).toBe(`Gave up after ${MAX_ATTEMPTS} attempts: OpenAI did not answer in time.`);
		expect(await countR2Objects(job.id)).toBe(0);
	});

	it('five concurrent deliveries of one message: one runs the provider, the others wait, one image', async () => {
		const { ai, calls } = scriptedAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		const job = await insertFluxJob();

		const outcomes = await Promise.all(Array.from({ length: 5 }, () => runJob({ ...env, AI: ai }, job.id, 1)));

		expect(calls).toHaveLength(1);
		expect(outcomes.filter((outcome) => outcome.action === 'ack').length).toBeGreaterThanOrEqual(1);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 1 });
		await expectOneImage(job.id);
	});

	it('a note of the retry failing: the lease is given back and the next delivery runs the job', async () => {
		const d1 = faultyD1();
		const { ai, calls } = scriptedAi([
			new Error('AiError: 503 upstream unavailable'),
			{ image: base64(fakeJpeg(8, 8)) },
		]);
		const job = await insertFluxJob();
		d1.failWrites(RETRY_NOTE, 1);

		const log = await deliverUntilSettled(job.id, { ...env, AI: ai, DB: d1.binding });

		expect(d1.failures()).toBe(1);
		expect(log.deliveries).toEqual(['retry', 'ack']);
		expect(calls).toHaveLength(2);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
		await expectOneImage(job.id);
	});

	it('D1 unreachable on every delivery: the dead-letter consumer fails the job with its last error once the lease ends', async () => {
		const d1 = faultyD1();
		const { ai } = scriptedAi([new Error('AiError: 503 upstream unavailable')]);
		const job = await insertFluxJob();
		// The first delivery claims the job, the provider fails, and D1 goes away as the
		// consumer notes the retry: the lease stays held and every later delivery fails at once.
		d1.goDownAt(RETRY_NOTE);

		const log = await deliverUntilSettled(job.id, { ...env, AI: ai, DB: d1.binding }, async (attempt) => {
			if (attempt === DEAD_LETTER_DELIVERY) d1.heal();
		});
		expect(d1.failures()).toBeGreaterThanOrEqual(5); // the retry note, the lease release, then every delivery
		expect(log).toEqual({ deliveries: ['retry', 'retry', 'retry', 'retry'], deadLettered: true, deadLetter: 'retry' });
		// The dead-letter consumer waits for the lease to end rather than fail a job that may be running.
		expect((await readJobRow(job.id))?.status).toBe('processing');

		await leaseRunsOut(job.id);
		expect(await deliverDeadLetter(job.id, env, 2)).toBe('ack');
		const row = await readJobRow(job.id);
		expect(row).toMatchObject({ status: 'failed', errorCode: 'retries_exhausted', attempts: 1 });
		expect(row?.error).toBe(
			'The job failed after 1 attempt(s): its deliveries kept failing before an error could be recorded. Try again.',
		);
	});
});
