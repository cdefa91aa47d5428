/**
 * MCP Inspector 0.15 (what `npx @modelcontextprotocol/inspector` installs on Node 20) fills
 * every optional field of its form: `""` for a string, `[]` for a list. Each tool takes that
 * as "not given"; a required field sent empty is still refused.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runJob } from '../src/consumer/run-job';
import { TOOLS } from '../src/tools';
import { insertJob } from './helpers/fixtures';
import { callTool, textJson } from './helpers/mcp';

/** What the Inspector's form sends for each optional string or list argument of `tool`. */
function emptyOptionals(tool: string): Record<string, unknown> {
	const schema = TOOLS.find((candidate) => candidate.name === tool)!.input;
	if (!(schema instanceof z.ZodObject)) throw new Error(`${tool} has no object schema`);
	const filled: Record<string, unknown> = {};
	for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
		if (!field.safeParse(undefined).success) continue;
		let inner: z.ZodType = field;
		while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable) {
			inner = inner.unwrap() as z.ZodType;
		}
		if (inner instanceof z.ZodString || inner instanceof z.ZodEnum) filled[key] = '';
		else if (inner instanceof z.ZodArray) filled[key] = [];
	}
	return filled;
}

async function finishedJobId(): Promise<string> {
	const job = await insertJob({ params: { width: 64, height: 64, steps: 4 } });
	await runJob(env, job.id, 1);
	return job.id;
}

async function savedStyle(): Promise<string> {
	await callTool('save_style', { name: 'empty-optionals', brief: 'plain' });
	return 'empty-optionals';
}

describe('empty optional fields from a form-filling client mean "not given"', () => {
	it('generate_image_and_wait with only a prompt and every optional field empty makes the image', async () => {
		const args = { ...emptyOptionals('generate_image_and_wait'), prompt: 'a kite over a beach' };
		expect(args).toMatchObject({ reference_images: [], model: '' });
		const result = await callTool('generate_image_and_wait', args);
		expect(result.isError, result.content[0]?.text).toBeUndefined();
		expect(textJson(result)).toMatchObject({ completed: 1 });
	});

	it.each([
		['generate_image', async () => ({ prompt: 'a kite' })],
		['get_job_status', async () => ({ job_id: await finishedJobId() })],
		['wait_for_completion', async () => ({ job_id: await finishedJobId() })],
		['cancel_job', async () => ({ job_id: await finishedJobId() })],
		['list_jobs', async () => ({})],
		['list_generations', async () => ({})],
		['list_models', async () => ({})],
		['get_usage', async () => ({})],
		['delete_image', async () => ({ image: `image://${await finishedJobId()}/0` })],
		['browse_gallery', async () => ({})],
		['get_image', async () => ({ job_id: await finishedJobId() })],
		['gallery_page', async () => ({})],
		['view_image', async () => ({ job_id: await finishedJobId() })],
		['generate_variations', async () => ({ job_id: await finishedJobId() })],
		['save_style', async () => ({ name: 'empty-optionals', brief: 'plain' })],
		['list_styles', async () => ({})],
		['get_style', async () => ({ name: await savedStyle() })],
		['delete_style', async () => ({ name: await savedStyle() })],
		['set_preferences', async () => ({})],
		['get_preferences', async () => ({})],
		['get_server_info', async () => ({})],
	])('%s', async (tool, required) => {
		const args = { ...emptyOptionals(tool), ...(await required()) };
		const result = await callTool(tool, args);
		expect(result.isError, `${JSON.stringify(args)}: ${result.content[0]?.text}`).toBeUndefined();
	});

	it('a required field sent empty is still refused, naming it', async () => {
		const result = await callTool('generate_image', { ...emptyOptionals('generate_image'), prompt: '' });
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain('prompt: must not be empty');
	});

	it('covers every tool', () => {
		expect(TOOLS.map((tool) => tool.name).sort()).toEqual(
			[
				'cancel_job',
				'delete_image',
				'generate_image',
				'generate_image_and_wait',
				'get_job_status',
				'get_usage',
				'list_generations',
				'list_jobs',
				'list_models',
				'wait_for_completion',
				'browse_gallery',
				'get_image',
				'gallery_page',
				'view_image',
				'generate_variations',
				'save_style',
				'list_styles',
				'get_style',
				'delete_style',
				'set_preferences',
				'get_preferences',
				'get_server_info',
			].sort(),
		);
	});
});
