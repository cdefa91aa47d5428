/**
 * One canonical job id (src/ids.ts: lower case, as stored), accepted in any case on every
 * face: tools, tasks, image:// resources and /images URLs name the same job whichever case
 * a client writes (some clients upper-case UUIDs).
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { insertJob } from './helpers/fixtures';
import { BASE, callTool, post, rpcBody, textJson } from './helpers/mcp';

async function finishedUpperCase(): Promise<{ id: string; upper: string }> {
	const job = await insertJob({ params: { width: 64, height: 64, steps: 4 } });
	expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
	return { id: job.id, upper: job.id.toUpperCase() };
}

async function rpc(method: string, params: unknown) {
	const response = await post(rpcBody(method, params));
	return (await response.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

describe('a job id in upper case names the same job everywhere', () => {
	it.each([
		['get_job_status', (upper: string) => ({ job_id: upper, preview: 'none' })],
		['wait_for_completion', (upper: string) => ({ job_id: upper, preview: 'none' })],
		['wait_for_completion', (upper: string) => ({ job_ids: [upper], preview: 'none' })],
		['cancel_job', (upper: string) => ({ job_id: upper })],
		['delete_image', (upper: string) => ({ image: `image://${upper}/0` })],
	])('%s', async (tool, args) => {
		const { id, upper } = await finishedUpperCase();
		const result = await callTool(tool, args(upper));
		expect(result.isError, result.content[0]?.text).toBeUndefined();
		expect(JSON.stringify(textJson(result))).toContain(id);
	});

	it('tasks/get', async () => {
		const { id, upper } = await finishedUpperCase();
		const answer = await rpc('tasks/get', { taskId: upper });
		expect(answer.error).toBeUndefined();
		expect(answer.result).toMatchObject({ taskId: id, status: 'completed' });
	});

	it.each(['', '/metadata', '/view?width=16'])('resources/read image://<UPPER>/0%s', async (suffix) => {
		const { upper } = await finishedUpperCase();
		const answer = await rpc('resources/read', { uri: `image://${upper}/0${suffix}` });
		expect(answer.error).toBeUndefined();
		expect(answer.result?.contents).toHaveLength(1);
	});

	it.each(['0.png', '0', '0.webp?w=16'])('GET /images/<UPPER>/%s', async (tail) => {
		const { upper } = await finishedUpperCase();
		const response = await exports.default.fetch(`${BASE}/images/${upper}/${tail}`);
		expect(response.status).toBe(200);
		await response.arrayBuffer();
	});

	it('a made-up id in upper case is still not found', async () => {
		const made = crypto.randomUUID().toUpperCase();
		const result = await callTool('get_job_status', { job_id: made });
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain('no job');
	});
});
