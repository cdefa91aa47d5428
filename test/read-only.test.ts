/**
 * READ_ONLY=true (issue 21, read-only mode): a browse-only deployment. The operations that
 * generate, cancel or delete are not listed and are refused with a message that says why, on
 * every face; everything that only reads works as before.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingWarnings } from '../src/env';
import { TOOLS } from '../src/tools';
import { createApp } from '../src/worker/app';
import { insertStoredImage } from './helpers/fixtures';
import { postWithEnv, rpcBody, type ToolResult } from './helpers/mcp';

const READ_ONLY = { READ_ONLY: 'true' };
const CHANGING = [
	'generate_image',
	'generate_image_and_wait',
	'cancel_job',
	'delete_image',
	'generate_variations',
	'save_style',
	'delete_style',
	'set_preferences',
];

async function rpc(method: string, params: unknown, overrides: Partial<Env> = READ_ONLY) {
	const response = await postWithEnv(overrides, rpcBody(method, params));
	return (await response.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
	const body = await rpc('tools/call', { name, arguments: args });
	return body.result as unknown as ToolResult;
}

const jobCount = () => env.DB.prepare('SELECT count(*) AS n FROM jobs').first<number>('n');

describe('a read-only deployment', () => {
	it('lists only the operations that change nothing', async () => {
		const listed = ((await rpc('tools/list', {})).result!.tools as { name: string }[]).map((tool) => tool.name);
		expect(listed).toEqual(TOOLS.map((tool) => tool.name).filter((name) => !CHANGING.includes(name)));
		// Without READ_ONLY, all of them.
		const all = ((await rpc('tools/list', {}, {})).result!.tools as { name: string }[]).map((tool) => tool.name);
		expect(all).toEqual(TOOLS.map((tool) => tool.name));
	});

	it('refuses generating, naming the setting, and creates nothing', async () => {
		const before = await jobCount();
		for (const name of ['generate_image', 'generate_image_and_wait']) {
			const result = await call(name, { prompt: 'a kite' });
			expect(result.isError, name).toBe(true);
			expect(result.content[0]!.text).toContain(`read-only (READ_ONLY=true): ${name} is turned off`);
			expect(result.content[0]!.text).toContain('list_generations');
		}
		const asTask = await rpc('tools/call', { name: 'generate_image', arguments: { prompt: 'a kite' }, task: {} });
		expect(asTask.error).toMatchObject({ code: -32602, message: expect.stringContaining('READ_ONLY=true') });
		expect(await jobCount()).toBe(before);
	});

	it('refuses cancelling and deleting, and the image stays', async () => {
		const { job, key } = await insertStoredImage(new Uint8Array([1, 2, 3]));
		expect((await call('delete_image', { image: key })).isError).toBe(true);
		expect((await call('cancel_job', { job_id: job.id })).isError).toBe(true);
		expect(await env.IMAGES.head(key)).not.toBeNull();
		const listed = await call('list_generations', {});
		expect(listed.isError).toBeFalsy();
		expect(JSON.stringify(listed.structuredContent)).toContain(job.id);
	});

	it('says so at /, in the JSON and on the page, whose curl example only reads', async () => {
		const get = (accept: string) =>
			createApp().fetch(
				new Request('http://localhost/', { headers: { accept } }),
				{ ...env, ...READ_ONLY },
				createExecutionContext(),
			);
		const json = (await (await get('application/json')).json()) as { read_only: boolean; tools: string[] };
		expect(json.read_only).toBe(true);
		expect(json.tools.some((name) => CHANGING.includes(name))).toBe(false);
		const page = await (await get('text/html')).text();
		expect(page).toContain('<b>Read-only:</b>');
		expect(page).toContain('list_generations');
		expect(page).not.toContain('generate_image_and_wait');
	});

	it('treats a value other than true or false as read-only, with a warning', () => {
		expect(settingWarnings({ READ_ONLY: 'yes' } as Env)).toEqual([
			'READ_ONLY "yes" is not true or false; the server is read-only until it is fixed.',
		]);
		expect(settingWarnings({ READ_ONLY: 'false' } as Env)).toEqual([]);
	});
});
