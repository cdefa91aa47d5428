/**
 * get_job_status and list_jobs say how an image was made: besides the prompt, model and size,
 * the aspect ratio and tier asked for, the negative prompt and the reference images given.
 */
import { describe, expect, it } from 'vitest';
import { insertJob } from './helpers/fixtures';
import { callTool, textJson } from './helpers/mcp';

describe('how a job was asked for', () => {
	it('shows aspect ratio, size tier, negative prompt, reference images and mask; omits what was not given', async () => {
		const earlier = crypto.randomUUID();
		const job = await insertJob({
			model: 'flash',
			params: {
				width: 1344,
				height: 768,
				aspect_ratio: '16:9',
				image_size: '2K',
				negative_prompt: 'people',
				reference_images: [
					{ kind: 'image', r2_key: `${earlier}/0` },
					{ kind: 'url', url: 'https://example.com/cat.png' },
				],
				mask: { kind: 'url', url: 'https://example.com/mask.png' },
			},
		});
		const expected = {
			aspect_ratio: '16:9',
			image_size: '2K',
			negative_prompt: 'people',
			reference_images: [`image://${earlier}/0`, 'https://example.com/cat.png'],
			mask_image: 'https://example.com/mask.png',
		};
		expect(textJson(await callTool('get_job_status', { job_id: job.id }))).toMatchObject(expected);
		const listed = textJson(await callTool('list_jobs', { limit: 50 })) as { jobs: Record<string, unknown>[] };
		expect(listed.jobs.find((entry) => entry.job_id === job.id)).toMatchObject(expected);

		const plain = await insertJob({ params: { width: 64, height: 64 } });
		const view = textJson(await callTool('get_job_status', { job_id: plain.id }));
		for (const key of Object.keys(expected)) expect(view).not.toHaveProperty(key);
	});
});
