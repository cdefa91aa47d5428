import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { handleQueueBatch } from '../src/consumer';
import { MAX_ATTEMPTS, MAX_RETRY_DELAY_SECONDS, retryDelaySeconds } from '../src/consumer/retry-policy';
import { runJob } from '../src/consumer/run-job';
import { SWEEP_STALE_LEASE_MS } from '../src/jobs/sweep';
import { ProviderError } from '../src/providers/errors';
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

describe('consumer: one delivery of one job', () => {
	it('completes a pending job: R2 object under the deterministic key, one image row, sniffed type and size', async () => {
		const job = await insertJob();
		expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });

		const row = await readJobRow(job.id);
		expect(row?.status).toBe('completed');
		expect(row?.attempts).toBe(1);
		expect(row?.completedAt).toBeGreaterThanOrEqual(job.createdAt);
		const image = await env.DB.prepare('SELECT * FROM images WHERE job_id = ?').bind(job.id).first();
		expect(image).toMatchObject({
			id: `${job.id}/0`,
			r2_key: `${job.id}/0`,
			content_type: 'image/png',
			width: 64,
			height: 48,
			seed: 42,
		});
		const object = await env.IMAGES.get(`${job.id}/0`);
		expect(object?.httpMetadata?.contentType).toBe('image/png');
		expect(object?.size).toBe(image?.bytes);
	});

	it('changes nothing when a finished job is delivered again', async () => {
		const job = await insertJob();
		await runJob(env, job.id, 1);
		const before = await readJobRow(job.id);
		expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toEqual(before);
		expect(await countImageRows(job.id)).toBe(1);
		expect(await countStoredImages(job.id)).toBe(1);
	});

	it('acks a message for an unknown job without writing anything', async () => {
		expect(await runJob(env, crypto.randomUUID(), 1)).toEqual({ action: 'ack' });
	});

	it('stores the real type sniffed from the bytes, not a claimed one (Workers AI FLUX answers JPEG as base64)', async () => {
		const { ai, calls } = scriptedAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		const job = await insertFluxJob();
		expect(await runJob({ ...env, AI: ai }, job.id, 1)).toEqual({ action: 'ack' });
		expect(calls[0]).toEqual({
			model: '@cf/black-forest-labs/flux-1-schnell',
			input: { prompt: 'a lighthouse at dusk', steps: 4, seed: 42 },
		});
		const image = await env.DB.prepare('SELECT content_type, width FROM images WHERE job_id = ?').bind(job.id).first();
		expect(image).toEqual({ content_type: 'image/jpeg', width: 1024 });
	});

	it('runs a Workers AI job on the offline stand-in in local dev, where there is no AI binding', async () => {
		const job = await insertFluxJob();
		expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
		const image = await env.DB.prepare('SELECT content_type, width, height FROM images WHERE job_id = ?')
			.bind(job.id)
			.first();
		expect(image).toEqual({ content_type: 'image/png', width: 1024, height: 1024 });
	});

	it('handles the SDXL byte-stream output shape', async () => {
		const stream = new Blob([fakeJpeg(512, 768)]).stream();
		const { ai, calls } = scriptedAi([stream]);
		const job = await insertJob({
			model: 'sdxl-lightning',
			params: { width: 512, height: 768, steps: 20, negative_prompt: 'blur' },
		});
		await runJob({ ...env, AI: ai }, job.id, 1);
		expect(calls[0]?.input).toMatchObject({
			width: 512,
			height: 768,
			num_steps: 20,
			negative_prompt: 'blur',
			seed: 42,
		});
		expect((await readJobRow(job.id))?.status).toBe('completed');
	});
});

describe('consumer: failures and retries', () => {
	it('keeps a job processing with its last error on a transient failure, then completes it once', async () => {
		const { ai } = scriptedAi([new Error('AiError: 503 upstream unavailable'), { image: base64(fakeJpeg(8, 8)) }]);
		const job = await insertFluxJob();
		const first = await runJob({ ...env, AI: ai }, job.id, 1);
		expect(first).toEqual({ action: 'retry', delaySeconds: 2 });
		const between = await readJobRow(job.id);
		expect(between).toMatchObject({ status: 'processing', errorCode: 'transient', leaseUntil: 0 });
		expect(between?.error).toMatch(/temporarily/);

		expect(await runJob({ ...env, AI: ai }, job.id, 2)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 2, error: null });
		expect(await countImageRows(job.id)).toBe(1);
	});

	it('waits at least as long as a rate limit says, and backs off exponentially', async () => {
		const { ai } = scriptedAi([new Error('429 Too Many Requests')]);
		const job = await insertFluxJob();
		expect(await runJob({ ...env, AI: ai }, job.id, 1)).toEqual({ action: 'retry', delaySeconds: 10 });
		const { ai: flaky } = scriptedAi([new Error('network connection lost')]);
		expect(await runJob({ ...env, AI: flaky }, job.id, 3)).toEqual({ action: 'retry', delaySeconds: 8 });
	});

	it("caps a rate limit's wait below the sweeper's window, so a waiting job is not taken for lost", () => {
		const limited = new ProviderError('rate_limited', 'slow down', 3600);
		expect(retryDelaySeconds(1, limited)).toBe(MAX_RETRY_DELAY_SECONDS);
		expect(MAX_RETRY_DELAY_SECONDS * 1000).toBeLessThan(SWEEP_STALE_LEASE_MS);
	});

	it('fails a job only on the last attempt, with the last error', async () => {
		const { ai } = scriptedAi([new Error('500 internal')]);
		const job = await insertFluxJob();
		expect(await runJob({ ...env, AI: ai }, job.id, MAX_ATTEMPTS)).toEqual({ action: 'ack' });
		const row = await readJobRow(job.id);
		expect(row).toMatchObject({ status: 'failed', errorCode: 'transient' });
		expect(row?.error).toMatch(new RegExp(`Gave up after ${MAX_ATTEMPTS} attempts`));
	});

	it('fails at once on a permanent error (content policy), without retrying', async () => {
		const { ai } = scriptedAi([new Error('Input flagged by safety filter: NSFW')]);
		const job = await insertFluxJob();
		expect(await runJob({ ...env, AI: ai }, job.id, 1)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'failed', errorCode: 'content_policy', attempts: 1 });
	});

	it('fails a job whose model is not configured in a deployment (no AI binding) with a clear reason', async () => {
		const job = await insertFluxJob();
		await runJob({ ...env, LOCAL_DEV: '' }, job.id, 1);
		const row = await readJobRow(job.id);
		expect(row).toMatchObject({ status: 'failed', errorCode: 'unavailable' });
		expect(row?.error).toContain('flux-schnell is not configured');
	});

	it('retries a transient "not an image" answer instead of storing garbage', async () => {
		const { ai } = scriptedAi([{ image: base64(new TextEncoder().encode('<html>oops</html>')) }]);
		const job = await insertFluxJob();
		expect(await runJob({ ...env, AI: ai }, job.id, 1)).toMatchObject({ action: 'retry' });
		expect(await countR2Objects(job.id)).toBe(0);
	});
});

describe('consumer: concurrency and cancellation', () => {
	it('lets only one of two concurrent deliveries of the same job run it', async () => {
		const job = await insertJob();
		const outcomes = await Promise.all([runJob(env, job.id, 1), runJob(env, job.id, 1)]);
		expect(outcomes).toContainEqual({ action: 'ack' });
		const row = await readJobRow(job.id);
		expect(row).toMatchObject({ status: 'completed', attempts: 1 });
		expect(await countImageRows(job.id)).toBe(1);
		expect(await countStoredImages(job.id)).toBe(1);
	});

	it('sends a delivery that finds the job leased by another back to the queue until the lease ends', async () => {
		const job = await insertJob({ status: 'processing', leaseUntil: Date.now() + 20_000, attempts: 1 });
		const outcome = await runJob(env, job.id, 1);
		expect(outcome.action).toBe('retry');
		expect(outcome.action === 'retry' && outcome.delaySeconds).toBeGreaterThanOrEqual(19);
		expect((await readJobRow(job.id))?.attempts).toBe(1);
	});

	it('re-runs a job whose consumer died mid-way (lease expired) without a second image', async () => {
		const job = await insertJob();
		await runJob(env, job.id, 1);
		// Simulate a crash after the R2 write and before the D1 update: job back in processing, row gone.
		await env.DB.batch([
			env.DB.prepare('DELETE FROM images WHERE job_id = ?').bind(job.id),
			env.DB.prepare("UPDATE jobs SET status = 'processing', lease_until = 1, completed_at = NULL WHERE id = ?").bind(
				job.id,
			),
		]);
		expect(await runJob(env, job.id, 2)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
		expect(await countImageRows(job.id)).toBe(1);
		expect(await countStoredImages(job.id)).toBe(1);
	});

	it('discards a late result of a job cancelled while the provider ran, and removes its R2 object', async () => {
		const job = await insertFluxJob();
		const ai = {
			async run() {
				await env.DB.prepare("UPDATE jobs SET status = 'cancelled' WHERE id = ?").bind(job.id).run();
				return { image: base64(fakeJpeg(16, 16)) };
			},
		} as unknown as Ai;
		expect(await runJob({ ...env, AI: ai }, job.id, 1)).toEqual({ action: 'ack' });
		expect((await readJobRow(job.id))?.status).toBe('cancelled');
		expect(await countImageRows(job.id)).toBe(0);
		expect(await countR2Objects(job.id)).toBe(0);
	});

	it('never runs a cancelled job', async () => {
		const job = await insertJob({ status: 'cancelled' });
		expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
	});
});

describe('queue handler', () => {
	it('acks and retries each message of a batch on its own', async () => {
		const ok = await insertJob();
		const leased = await insertJob({ status: 'processing', leaseUntil: Date.now() + 60_000 });
		const batch = createMessageBatch('image-mcp-jobs', [
			{ id: 'a', timestamp: new Date(), attempts: 1, body: { jobId: ok.id } },
			{ id: 'b', timestamp: new Date(), attempts: 1, body: { jobId: leased.id } },
			{ id: 'c', timestamp: new Date(), attempts: 1, body: { nonsense: true } },
		]);
		const ctx = createExecutionContext();
		await handleQueueBatch(batch, env);
		const result = await getQueueResult(batch, ctx);
		expect(result.explicitAcks.sort()).toEqual(['a', 'c']);
		expect(result.retryMessages.map((message) => message.msgId)).toEqual(['b']);
		expect((await readJobRow(ok.id))?.status).toBe('completed');
	});

	it('fails a dead-lettered job with its last error, and leaves finished jobs alone', async () => {
		const stuck = await insertJob({ status: 'processing', attempts: 4, error: 'Workers AI failed temporarily.' });
		const done = await insertJob({ status: 'completed' });
		const batch = createMessageBatch('image-mcp-jobs-dlq', [
			{ id: 'x', timestamp: new Date(), attempts: 1, body: { jobId: stuck.id } },
			{ id: 'y', timestamp: new Date(), attempts: 1, body: { jobId: done.id } },
		]);
		await handleQueueBatch(batch, env);
		const row = await readJobRow(stuck.id);
		expect(row?.status).toBe('failed');
		expect(row?.error).toBe('The job failed after 4 attempt(s). Last error: Workers AI failed temporarily.');
		expect((await readJobRow(done.id))?.status).toBe('completed');
	});
});
