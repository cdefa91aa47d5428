/** list_jobs and list_generations with all_users: everyone's items for admins, a clear refusal for users. */

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { insertJob } from './helpers/fixtures';
import { textJson } from './helpers/mcp';
import { callAs, recordingQueue, usersEnv } from './helpers/users';

async function setup() {
	const { queue } = recordingQueue();
	return usersEnv([{ id: 'alice' }, { id: 'bob' }, { id: 'root', role: 'admin' }], { JOBS: queue });
}

/** A completed job with its image row, as the consumer leaves it. */
async function finished(owner: string, createdAt: number) {
	const job = await insertJob({ owner, status: 'completed', createdAt, completedAt: createdAt });
	await env.DB.prepare(
		`INSERT INTO images (id, job_id, idx, owner, r2_key, content_type, width, height, bytes, seed, created_at)
		 VALUES (?, ?, 0, ?, ?, 'image/png', 64, 48, 100, 42, ?)`,
	)
		.bind(`${job.id}/0`, job.id, owner, `${job.id}/0`, createdAt)
		.run();
	return job;
}

describe('listings across users', () => {
	it("lists everyone's jobs and images for an admin with all_users, each with its owner", async () => {
		const bindings = await setup();
		const now = Date.now();
		const alices = await finished('alice', now - 2000);
		const bobs = await finished('bob', now - 1000);
		const pending = await insertJob({ owner: 'bob', createdAt: now });

		const jobs = textJson(await callAs(bindings, 'root', 'list_jobs', { all_users: true }));
		expect(jobs).toMatchObject({ total_count: 3, all_users: true });
		expect((jobs.jobs as { job_id: string; owner: string }[]).map(({ job_id, owner }) => ({ job_id, owner }))).toEqual([
			{ job_id: pending.id, owner: 'bob' },
			{ job_id: bobs.id, owner: 'bob' },
			{ job_id: alices.id, owner: 'alice' },
		]);

		const images = textJson(await callAs(bindings, 'root', 'list_generations', { all_users: true }));
		expect(images).toMatchObject({ total_count: 2, all_users: true });
		expect(
			(images.generations as { job_id: string; owner: string }[]).map(({ job_id, owner }) => ({ job_id, owner })),
		).toEqual([
			{ job_id: bobs.id, owner: 'bob' },
			{ job_id: alices.id, owner: 'alice' },
		]);

		// Without all_users an admin sees only their own, and items carry no owner.
		const own = textJson(await callAs(bindings, 'root', 'list_jobs'));
		expect(own).toMatchObject({ total_count: 0, all_users: false, jobs: [] });
		const alicesOwn = textJson(await callAs(bindings, 'alice', 'list_jobs'));
		expect(alicesOwn.jobs).toEqual([expect.not.objectContaining({ owner: expect.anything() })]);
	});

	it.each([
		['list_jobs', 'listing jobs'],
		['list_generations', 'listing images'],
	])('refuses %s with all_users to a user, naming the admin role', async (tool, what) => {
		const bindings = await setup();
		await finished('bob', Date.now());
		const refused = await callAs(bindings, 'alice', tool, { all_users: true });
		expect(refused.isError).toBe(true);
		expect(textJson(refused)).toEqual({
			success: false,
			error: `all_users: ${what} of every user needs the admin role, and you ("alice") are a user. Omit all_users (or pass false) to see your own.`,
		});
	});

	it('keeps id-based tools owner-scoped for admins too', async () => {
		const bindings = await setup();
		const alices = await finished('alice', Date.now());
		const status = await callAs(bindings, 'root', 'get_job_status', { job_id: alices.id });
		expect(status.isError).toBe(true);
		expect(textJson(status).error).toContain(`no job "${alices.id}" found for you`);
		const cancel = await callAs(bindings, 'root', 'cancel_job', { job_id: alices.id });
		expect(cancel.isError).toBe(true);
	});
});
