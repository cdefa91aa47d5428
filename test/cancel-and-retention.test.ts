/**
 * cancel_job, delete_image and image retention, through the real fetch handler, consumer,
 * cron handler, D1 and R2: what a caller sees, and what is left in storage.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { getDb } from '../src/db/client';
import { expireImages } from '../src/jobs/image-removal';
import { SWEEP_PENDING_AFTER_MS } from '../src/jobs/sweep';
import { waitForJobs } from '../src/jobs/wait';
import { runMaintenance } from '../src/scheduled';
import { createApp } from '../src/worker/app';
import { countImageRows, countR2Objects, countStoredImages, insertJob, readJobRow } from './helpers/fixtures';
import { BASE, callTool, textJson } from './helpers/mcp';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A job run to completion by the real consumer, optionally dated `ageDays` back. */
async function finishedJob(ageDays = 0, owner = 'default') {
	const job = await insertJob({ owner });
	await runJob(env, job.id, 1);
	if (ageDays) {
		await env.DB.prepare('UPDATE images SET created_at = ? WHERE job_id = ?')
			.bind(Date.now() - ageDays * DAY_MS, job.id)
			.run();
	}
	return job;
}

function imageUrl(jobId: string) {
	return `${BASE}/images/${jobId}/0.png`;
}

describe('cancel_job', () => {
	it('cancels a pending job before it starts: terminal, no image, and the consumer never runs it', async () => {
		const job = await insertJob();
		const result = await callTool('cancel_job', { job_id: job.id });
		expect(result.isError).toBeUndefined();
		expect(textJson(result)).toEqual({
			success: true,
			cancelled_count: 1,
			results: [
				{
					job_id: job.id,
					status: 'cancelled',
					cancelled: true,
					message: 'Cancelled before it started: nothing was generated or charged.',
				},
			],
		});
		expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'cancelled', attempts: 0, errorCode: 'cancelled' });
		expect(await countR2Objects(job.id)).toBe(0);

		const status = textJson(await callTool('get_job_status', { job_id: job.id }));
		expect(status).toMatchObject({ status: 'cancelled', done: true, images: [] });
	});

	it('cancels a running job: its late result is discarded and the object it wrote is removed', async () => {
		const job = await insertJob({ params: { width: 64, height: 48, steps: 4 } });
		// The provider is slow; cancel once the consumer has claimed the job, while it draws.
		const running = runJob({ ...env, OFFLINE_LATENCY_MS: '1000' }, job.id, 1);
		await vi.waitFor(
			async () => {
				expect(await readJobRow(job.id)).toMatchObject({ status: 'processing' });
			},
			{ timeout: 5_000, interval: 5 },
		);
		const result = textJson(await callTool('cancel_job', { job_id: job.id }));
		expect(result).toMatchObject({ cancelled_count: 1, results: [{ status: 'cancelled', cancelled: true }] });
		expect((result.results as { message: string }[])[0]?.message).toContain('may still be billed');

		expect(await running).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'cancelled' });
		expect(await countImageRows(job.id)).toBe(0);
		expect(await countR2Objects(job.id)).toBe(0);
	});

	it('removes an object a crashed consumer left behind for a processing job', async () => {
		const job = await insertJob({ status: 'processing', attempts: 1, startedAt: Date.now() });
		await env.IMAGES.put(`${job.id}/0`, new Uint8Array([1, 2, 3]));
		await callTool('cancel_job', { job_id: job.id });
		expect(await countR2Objects(job.id)).toBe(0);
	});

	it('says a finished job is finished, without error and without touching it', async () => {
		const done = await finishedJob();
		const failed = await insertJob({ status: 'failed', error: 'boom' });
		const result = await callTool('cancel_job', { job_ids: [done.id, failed.id, 'no-such-job'] });
		expect(result.isError).toBeUndefined();
		expect(textJson(result)).toEqual({
			success: true,
			cancelled_count: 0,
			results: [
				{
					job_id: done.id,
					status: 'completed',
					cancelled: false,
					message: 'Already completed; nothing to cancel. Use delete_image to remove its image.',
				},
				{ job_id: failed.id, status: 'failed', cancelled: false, message: 'Already failed; nothing to cancel.' },
				{ job_id: 'no-such-job', status: 'not_found', cancelled: false, message: 'No job of yours has this id.' },
			],
		});
		expect(await readJobRow(done.id)).toMatchObject({ status: 'completed' });
		expect(await countStoredImages(done.id)).toBe(1);
	});

	it("refuses another owner's job exactly like an unknown one", async () => {
		const theirs = await insertJob({ owner: 'someone-else' });
		const result = await callTool('cancel_job', { job_id: theirs.id });
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain(`no job "${theirs.id}" found for you`);
		expect(await readJobRow(theirs.id)).toMatchObject({ status: 'pending' });
	});

	it('cancels a whole count batch and wakes its waiters', async () => {
		const created = textJson(await callTool('generate_image', { prompt: 'three', count: 3, width: 64, height: 64 }));
		const ids = created.job_ids as string[];
		const cancelled = textJson(await callTool('cancel_job', { job_ids: ids }));
		// Some may have finished already on the real local queue; none is left running.
		const waited = textJson(await callTool('wait_for_completion', { job_ids: ids, timeout_seconds: 5 }));
		expect(waited).toMatchObject({ done: true, still_running: false });
		expect((cancelled.cancelled_count as number) + (waited.completed as number)).toBe(3);
	});

	it('needs exactly one of job_id or job_ids', async () => {
		const result = await callTool('cancel_job', {});
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain('give exactly one of job_id or job_ids');
	});
});

describe('delete_image', () => {
	it("deletes the owner's image from R2, keeps the job, and listings say it was deleted", async () => {
		const job = await finishedJob();
		const result = await callTool('delete_image', { image: imageUrl(job.id) });
		expect(textJson(result)).toMatchObject({
			success: true,
			job_id: job.id,
			index: 0,
			deleted: true,
			status: 'deleted',
		});
		expect(await countR2Objects(job.id)).toBe(0);
		expect(await countImageRows(job.id)).toBe(1);

		const status = textJson(await callTool('get_job_status', { job_id: job.id }));
		expect(status).toMatchObject({ status: 'completed', images: [] });
		expect(status.image_url).toBeUndefined();
		expect(status.removed_images).toEqual([
			{
				index: 0,
				reason: 'deleted',
				removed_at: expect.any(String),
				message: expect.stringContaining('Deleted by its owner'),
			},
		]);
		const gallery = textJson(await callTool('list_generations', {}));
		expect(gallery.generations).toEqual([
			expect.objectContaining({ job_id: job.id, status: 'deleted', message: expect.stringContaining('Deleted') }),
		]);
		expect((gallery.generations as Record<string, unknown>[])[0]?.image_url).toBeUndefined();

		const again = textJson(await callTool('delete_image', { image: `image://${job.id}/0` }));
		expect(again).toMatchObject({
			deleted: false,
			status: 'deleted',
			message: 'Already deleted; nothing more to delete.',
		});
	});

	it('serves 410 Gone with the reason for a deleted image, and 404 for one that never existed', async () => {
		const job = await finishedJob();
		expect((await exports.default.fetch(imageUrl(job.id))).status).toBe(200);
		await callTool('delete_image', { image: job.id });
		const gone = await exports.default.fetch(imageUrl(job.id));
		expect(gone.status).toBe(410);
		expect(await gone.json()).toMatchObject({ error: 'This image was deleted by its owner.', reason: 'deleted' });
		expect((await exports.default.fetch(imageUrl(crypto.randomUUID()))).status).toBe(404);
	});

	it("treats another owner's image, a running job and a foreign URL as not deletable, with what to do", async () => {
		const theirs = await finishedJob(0, 'someone-else');
		const foreign = await callTool('delete_image', { image: `${theirs.id}/0` });
		expect(foreign.isError).toBe(true);
		expect(textJson(foreign).error).toContain(`no finished image "${theirs.id}/0" of yours`);
		expect(await countStoredImages(theirs.id)).toBe(1);

		const running = await insertJob({ status: 'processing' });
		const notYet = await callTool('delete_image', { image: running.id });
		expect(textJson(notYet).error).toContain('use cancel_job');

		const elsewhere = await callTool('delete_image', { image: 'https://example.com/cat.png' });
		expect(elsewhere.isError).toBe(true);
		expect(textJson(elsewhere).error).toContain('does not name an image of this server');
	});

	it('refuses a deleted image as a reference image, saying why', async () => {
		const job = await finishedJob();
		await callTool('delete_image', { image: job.id });
		const result = await callTool('generate_image', { prompt: 'same, at night', reference_images: [job.id] });
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain(`image "${job.id}/0" was deleted and can no longer be used`);
	});
});

describe('retention', () => {
	it('expires images older than IMAGE_RETENTION_DAYS from R2, marks them, and leaves newer ones', async () => {
		const old = await finishedJob(31);
		const recent = await finishedJob(29);
		const report = await runMaintenance({ ...env, IMAGE_RETENTION_DAYS: '30' }, Date.now());
		expect(report.expiredImages).toBe(1);
		expect(await countR2Objects(old.id)).toBe(0);
		expect(await countStoredImages(recent.id)).toBe(1);
		const rows = await env.DB.prepare('SELECT job_id, removed_reason FROM images ORDER BY created_at').all();
		expect(rows.results).toEqual([
			{ job_id: old.id, removed_reason: 'expired' },
			{ job_id: recent.id, removed_reason: null },
		]);
		// Nothing else is deleted: both jobs and both rows remain.
		expect(await readJobRow(old.id)).toMatchObject({ status: 'completed' });

		const status = textJson(await callTool('get_job_status', { job_id: old.id }));
		expect(status.removed_images).toEqual([expect.objectContaining({ reason: 'expired' })]);
		const gone = await exports.default.fetch(imageUrl(old.id));
		expect(gone.status).toBe(410);
		expect(await gone.json()).toMatchObject({ reason: 'expired' });
	});

	it('marks rows before deleting objects, and undoes the marks when R2 refuses, so the next run retries', async () => {
		const old = await finishedJob(31);
		const order: string[] = [];
		const failingBucket = new Proxy(env.IMAGES, {
			get(target, property) {
				if (property === 'delete') {
					return async () => {
						const row = await env.DB.prepare('SELECT removed_reason FROM images WHERE job_id = ?')
							.bind(old.id)
							.first<string | null>('removed_reason');
						order.push(`delete while row is ${row ?? 'live'}`);
						throw new Error('R2 is down');
					};
				}
				const value = Reflect.get(target, property);
				return typeof value === 'function' ? value.bind(target) : value;
			},
		});
		await expect(expireImages({ ...env, IMAGES: failingBucket }, getDb(env), 30, Date.now())).rejects.toThrow(
			'R2 is down',
		);
		expect(order).toEqual(['delete while row is expired']);
		// The marks were undone: the image is live and served, not a 410 with its bytes still stored.
		expect(
			await env.DB.prepare('SELECT removed_reason FROM images WHERE job_id = ?').bind(old.id).first('removed_reason'),
		).toBeNull();
		expect((await exports.default.fetch(imageUrl(old.id))).status).toBe(200);

		expect(await expireImages(env, getDb(env), 30, Date.now())).toBe(1);
		expect(await countR2Objects(old.id)).toBe(0);
		expect((await exports.default.fetch(imageUrl(old.id))).status).toBe(410);
	});

	it('keeps everything when IMAGE_RETENTION_DAYS is empty or 0, and reports a bad value', async () => {
		const old = await finishedJob(3650);
		expect((await runMaintenance({ ...env, IMAGE_RETENTION_DAYS: '' }, Date.now())).expiredImages).toBeNull();
		expect((await runMaintenance({ ...env, IMAGE_RETENTION_DAYS: '0' }, Date.now())).expiredImages).toBeNull();
		expect(await countStoredImages(old.id)).toBe(1);

		const health = await createApp().fetch(
			new Request(`${BASE}/health`),
			{ ...env, IMAGE_RETENTION_DAYS: '30d' },
			createExecutionContext(),
		);
		const body = (await health.json()) as { image_retention_days: unknown; config_warnings?: string[] };
		expect(body.image_retention_days).toBeNull();
		expect(body.config_warnings).toContainEqual(expect.stringContaining('IMAGE_RETENTION_DAYS "30d"'));
	});

	it('two retention runs at once delete and mark each image once', async () => {
		const jobs = await Promise.all([finishedJob(10), finishedJob(10), finishedJob(10)]);
		const db = getDb(env);
		const counts = await Promise.all([expireImages(env, db, 1, Date.now()), expireImages(env, db, 1, Date.now())]);
		expect(counts[0] + counts[1]).toBe(3);
		for (const job of jobs) expect(await countR2Objects(job.id)).toBe(0);
	});

	it('the cron handler runs the sweeper: a job whose queue send was lost gets run', async () => {
		const lost = await insertJob({ updatedAt: Date.now() - SWEEP_PENDING_AFTER_MS - 1 });
		// The main Worker's own scheduled handler (service_binding_extra_handlers, vitest.config.ts).
		const worker = exports.default as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
		await worker.scheduled({ cron: '*/5 * * * *' });
		const outcome = await waitForJobs(getDb(env), 'default', [lost.id], { timeoutMs: 10_000 });
		expect(outcome.settled).toBe(true);
		expect(await readJobRow(lost.id)).toMatchObject({ status: 'completed' });
	});
});
