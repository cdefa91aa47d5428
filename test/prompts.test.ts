/**
 * MCP prompts and argument completion through the real app: the model-family guides follow
 * this deployment's catalog, iterate_on_image reads only the caller's own jobs, and completion
 * offers only the caller's jobs and the configured models.
 */
import { env } from 'cloudflare:workers';
import type {
	CompleteResult,
	GetPromptResult,
	InitializeResult,
	ListPromptsResult,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { images, type JobRow } from '../src/db/schema';
import { MODEL_CATALOG } from '../src/providers/catalog';
import { MODEL_FAMILIES } from '../src/tools/prompt-guides';
import { insertJob } from './helpers/fixtures';
import { callTool, post, postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';
import { recordingQueue, usersEnv } from './helpers/users';

interface RpcAnswer<T> {
	result?: T;
	error?: { code: number; message: string };
}

interface CallOptions {
	/** Bindings for the app (a provider key, AUTH_TOKENS); the test defaults otherwise. */
	bindings?: Partial<Env>;
	/** Calls with this user's token from usersEnv. */
	user?: string;
}

async function rpc<T>(method: string, params: unknown, options: CallOptions = {}): Promise<RpcAnswer<T>> {
	const body = rpcBody(method, params);
	const headers: Record<string, string> = options.user ? { authorization: `Bearer token-${options.user}` } : {};
	const response =
		options.bindings || options.user ? await postWithEnv(options.bindings ?? {}, body, headers) : await post(body);
	return (await response.json()) as RpcAnswer<T>;
}

async function getPrompt(name: string, args: Record<string, unknown>, options?: CallOptions) {
	const answer = await rpc<GetPromptResult>('prompts/get', { name, arguments: args }, options);
	if (!answer.result) throw new Error(`prompts/get ${name} answered ${JSON.stringify(answer)}`);
	return answer.result;
}

async function promptError(name: string, args: Record<string, unknown>, options?: CallOptions) {
	const answer = await rpc<GetPromptResult>('prompts/get', { name, arguments: args }, options);
	if (!answer.error) throw new Error(`prompts/get ${name} succeeded: ${JSON.stringify(answer.result)}`);
	return answer.error;
}

/** The text of the prompt's first message: the guide, or the iterate instructions. */
function textOf(result: GetPromptResult): string {
	const content = result.messages[0]?.content;
	return content?.type === 'text' ? content.text : '';
}

/** The first ```json block of a prompt's text: the example or next generate_image_and_wait arguments. */
function jsonBlock(text: string): Record<string, unknown> {
	const match = /```json\n([\s\S]*?)\n```/.exec(text);
	if (!match?.[1]) throw new Error(`no json block in:\n${text}`);
	return JSON.parse(match[1]);
}

async function complete(params: Record<string, unknown>, options?: CallOptions) {
	const answer = await rpc<CompleteResult>('completion/complete', params, options);
	if (!answer.result) throw new Error(`completion/complete answered ${JSON.stringify(answer)}`);
	return answer.result.completion;
}

async function insertImage(job: JobRow, overrides: Partial<typeof images.$inferInsert> = {}) {
	const idx = overrides.idx ?? 0;
	await getDb(env)
		.insert(images)
		.values({
			id: `${job.id}/${idx}`,
			jobId: job.id,
			idx,
			owner: job.owner,
			r2Key: `${job.id}/${idx}`,
			contentType: 'image/png',
			width: 64,
			height: 48,
			bytes: 1234,
			createdAt: Date.now(),
			...overrides,
		});
}

/** A completed job with one stored image, straight in D1. */
async function completedJob(overrides: Partial<JobRow> = {}): Promise<JobRow> {
	const job = await insertJob({ status: 'completed', completedAt: Date.now(), ...overrides });
	await insertImage(job);
	return job;
}

/** Every provider configured (with fake keys) and a queue that keeps jobs instead of running them. */
function allProvidersEnv(): Partial<Env> {
	return {
		OPENAI_API_KEY: 'sk-test',
		GEMINI_API_KEY: 'gemini-test',
		SD_WEBUI_URL: 'https://sd.example.test',
		JOBS: recordingQueue().queue,
	};
}

const GUIDES = ['flux_prompt_guide', 'stable_diffusion_prompt_guide', 'gpt_image_prompt_guide', 'gemini_prompt_guide'];

describe('prompts/list', () => {
	it('is advertised at initialize, with completions', async () => {
		const answer = await rpc<InitializeResult>('initialize', {
			protocolVersion: '2025-11-25',
			capabilities: {},
			clientInfo: { name: 'test', version: '1' },
		});
		expect(answer.result?.capabilities).toMatchObject({ prompts: { listChanged: false }, completions: {} });
	});

	it('lists the four guides, iterate_on_image and apply_style, each with a title, description and arguments', async () => {
		const { result } = await rpc<ListPromptsResult>('prompts/list', {});
		const prompts = result?.prompts ?? [];
		expect(prompts.map((prompt) => prompt.name)).toEqual([...GUIDES, 'iterate_on_image', 'apply_style']);
		for (const prompt of prompts) {
			expect(prompt.title).toBeTruthy();
			expect(prompt.description).toBeTruthy();
			for (const argument of prompt.arguments ?? []) expect(argument.description).toBeTruthy();
		}
		for (const guide of prompts.slice(0, 4)) {
			expect(guide.arguments?.map(({ name, required }) => ({ name, required }))).toEqual([
				{ name: 'subject', required: false },
				{ name: 'model', required: false },
			]);
		}
		const iterate = prompts[4];
		expect(iterate?.title).toBe('Iterate on an image');
		expect(iterate?.arguments?.map(({ name, required }) => ({ name, required }))).toEqual([
			{ name: 'job_id', required: true },
			{ name: 'change', required: true },
		]);
	});

	it("describes each guide's model argument with the models configured here", async () => {
		const { result } = await rpc<ListPromptsResult>('prompts/list', {});
		const modelArgument = (name: string) =>
			result?.prompts.find((prompt) => prompt.name === name)?.arguments?.find((arg) => arg.name === 'model');
		expect(modelArgument('flux_prompt_guide')?.description).toContain(
			'flux-schnell, flux-2-dev, flux-2-klein-4b, flux-2-klein-9b',
		);
		expect(modelArgument('gpt_image_prompt_guide')?.description).toContain('No OpenAI gpt-image / DALL·E model');
	});
});

describe('model-family guides', () => {
	it('cover every catalog model once, except the offline test pattern and the Leonardo models', () => {
		const covered = MODEL_FAMILIES.flatMap((family) => family.members);
		expect(new Set(covered).size).toBe(covered.length);
		const catalog = MODEL_CATALOG.map((entry) => entry.alias);
		expect(covered.filter((alias) => !catalog.includes(alias))).toEqual([]);
		expect(catalog.filter((alias) => !covered.includes(alias))).toEqual(['offline', 'lucid-origin', 'phoenix']);
	});

	it('name the configured models of their family, and the ones that are not configured', async () => {
		const flux = textOf(await getPrompt('flux_prompt_guide', {}));
		for (const alias of ['flux-schnell', 'flux-2-dev', 'flux-2-klein-4b', 'flux-2-klein-9b']) {
			expect(flux).toContain(`- \`${alias}\`: `);
		}
		expect(flux).not.toContain('`sdxl-base`');
		// Locally Workers AI is out of reach: the guide says who really draws.
		expect(flux).toContain('Local run: drawn by the offline test pattern');

		const sd = textOf(await getPrompt('stable_diffusion_prompt_guide', {}));
		for (const alias of ['sdxl-lightning', 'sdxl-base', 'dreamshaper', 'sd-1.5-img2img', 'sd-1.5-inpainting']) {
			expect(sd).toContain(`- \`${alias}\`: `);
		}
		expect(sd).toContain('Not configured here: sd-webui (enabled by SD_WEBUI_URL).');
	});

	it.each([
		['gpt_image_prompt_guide', 'OpenAI gpt-image / DALL·E', 'OPENAI_API_KEY', 'gpt-image-1.5'],
		['gemini_prompt_guide', 'Gemini', 'GEMINI_API_KEY', 'flash'],
	])('%s says when no model of its family is configured, and what enables one', async (name, label, key, alias) => {
		const text = textOf(await getPrompt(name, {}));
		expect(text).toContain(`No ${label} model is configured in this deployment`);
		expect(text).toContain(`refused here until ${key} is set`);
		expect(text).toContain('flux-schnell (flux_prompt_guide)');
		expect(text).not.toContain(`- \`${alias}\`: `);

		const configured = textOf(await getPrompt(name, {}, { bindings: { [key]: 'test-key' } }));
		expect(configured).not.toContain('is configured in this deployment');
		expect(configured).toContain(`- \`${alias}\`: `);
	});

	it("list every aspect ratio of each Gemini model, flash's extra-wide and tall ones included", async () => {
		const text = textOf(await getPrompt('gemini_prompt_guide', {}, { bindings: { GEMINI_API_KEY: 'k' } }));
		expect(text).toContain(
			'aspect_ratio 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, 1:4, 4:1, 1:8, 8:1 (default 1:1) at image_size 1K, 2K, 4K',
		);
		expect(text).not.toContain('which generate_image does not accept');
	});

	it('weave the subject into the closing instruction', async () => {
		const subject = 'a red fox curled up in fresh snow';
		const text = textOf(await getPrompt('flux_prompt_guide', { subject }));
		const task = text.slice(text.indexOf('## Your task'));
		expect(task).toContain(`The user wants: "${subject}". Write one prompt for it following this guide`);
		expect(task).toContain('call generate_image_and_wait');

		for (const args of [{}, { subject: '  ' }]) {
			const plain = textOf(await getPrompt('flux_prompt_guide', args));
			expect(plain).not.toContain('The user wants');
			expect(plain).toContain('When the user describes an image, write the prompt following this guide.');
		}
	});

	it('tailor the example to the model asked for, and refuse one outside the family', async () => {
		const text = textOf(await getPrompt('flux_prompt_guide', { model: 'flux-2-dev' }));
		expect(jsonBlock(text).model).toBe('flux-2-dev');
		expect(text).toContain('Use model flux-2-dev.');

		const wrong = await promptError('flux_prompt_guide', { model: 'flash' });
		expect(wrong.code).toBe(-32602);
		expect(wrong.message).toBe(
			'Invalid arguments for prompt flux_prompt_guide: model: "flash" is not a FLUX model configured here (flash is covered by gemini_prompt_guide). Allowed: flux-schnell, flux-2-dev, flux-2-klein-4b, flux-2-klein-9b, or omit model.',
		);
		const none = await promptError('gemini_prompt_guide', { model: 'pro' });
		expect(none.message).toContain('No Gemini model is configured in this deployment, so omit model.');
	});

	it('give an example call that generate_image accepts as it stands, for every model that needs no input image', async () => {
		const bindings = allProvidersEnv();
		let checked = 0;
		for (const family of MODEL_FAMILIES) {
			for (const alias of family.members) {
				const entry = MODEL_CATALOG.find((candidate) => candidate.alias === alias);
				if (entry?.capabilities.requiresReferenceImage) continue;
				const args = jsonBlock(textOf(await getPrompt(family.prompt, { model: alias }, { bindings })));
				expect(args.model).toBe(alias);
				const response = await postWithEnv(
					bindings,
					rpcBody('tools/call', { name: 'generate_image', arguments: args }),
				);
				const { result } = (await response.json()) as { result: ToolResult };
				expect(result.isError, `${alias}: ${result.content[0]?.text}`).toBeUndefined();
				checked++;
			}
		}
		expect(checked).toBe(15);
	});
});

describe('iterate_on_image', () => {
	it('gives the original prompt, model, size, seed and the change, with the image as a resource_link', async () => {
		const made = await callTool('generate_image_and_wait', {
			prompt: 'a lighthouse at dusk',
			width: 128,
			height: 96,
			seed: 4242,
			negative_prompt: 'fog',
		});
		const jobId = String(textJson(made).job_id);
		const imageUrl = String(textJson(made).image_url);

		const result = await getPrompt('iterate_on_image', { job_id: jobId, change: 'make it night, with stars' });
		expect(result.messages.map((message) => [message.role, message.content.type])).toEqual([
			['user', 'text'],
			['user', 'resource_link'],
		]);
		const text = textOf(result);
		expect(text).toContain('- prompt: "a lighthouse at dusk"');
		expect(text).toContain('- model: offline');
		expect(text).toContain('- size: 128×96');
		expect(text).toContain('- seed: 4242 (exact)');
		expect(text).toContain('- negative_prompt: "fog"');
		expect(text).toContain('## The change requested\n\nmake it night, with stars');
		expect(text).toContain(`- image: ${imageUrl} (attached as image://${jobId}/0)`);
		expect(text).toContain('Revise the original prompt minimally to apply the change');
		expect(text).toContain('Call generate_image_and_wait');
		expect(result.messages[1]?.content).toEqual({
			type: 'resource_link',
			uri: `image://${jobId}/0`,
			name: `${jobId}-0.png`,
			title: 'a lighthouse at dusk',
			description: expect.stringContaining(imageUrl),
			mimeType: 'image/png',
			size: expect.any(Number),
		});
		expect(jsonBlock(text)).toEqual({
			prompt: '<the revised prompt>',
			model: 'offline',
			width: 128,
			height: 96,
			seed: 4242,
			steps: 4,
			negative_prompt: 'fog',
			reference_images: [`image://${jobId}/0`],
		});
	});

	it('gives arguments that generate_image accepts once the prompt is revised, using the image as reference', async () => {
		const job = await completedJob({
			params: { width: 96, height: 64, steps: 4, guidance: 5 },
			seed: 9,
		});
		const args = jsonBlock(textOf(await getPrompt('iterate_on_image', { job_id: job.id, change: 'add a moon' })));
		const created = await callTool('generate_image', { ...args, prompt: 'a lighthouse at night under a moon' });
		expect(created.isError, created.content[0]?.text).toBeUndefined();
		const row = await env.DB.prepare('SELECT params, seed FROM jobs WHERE id = ?')
			.bind(textJson(created).job_id)
			.first<{ params: string; seed: number }>();
		expect(row?.seed).toBe(9);
		expect(JSON.parse(String(row?.params))).toMatchObject({
			width: 96,
			height: 64,
			guidance: 5,
			reference_images: [{ kind: 'image', r2_key: `${job.id}/0` }],
		});
	});

	it('for a model without reference images, keeps the seed and names the models that could edit the image', async () => {
		const job = await completedJob({
			model: 'flux-schnell',
			params: { width: 1024, height: 1024, steps: 4 },
			seed: 77,
		});
		const text = textOf(await getPrompt('iterate_on_image', { job_id: job.id, change: 'make it autumn' }));
		expect(text).toContain(
			'flux-schnell does not take reference images, so the new image is drawn from the revised prompt alone; keeping the seed keeps it close to the original.',
		);
		expect(text).toContain(
			`a model that takes reference images can work from "image://${job.id}/0": sdxl-lightning, sdxl-base, dreamshaper, sd-1.5-img2img, flux-2-dev, flux-2-klein-4b, flux-2-klein-9b.`,
		);
		const args = jsonBlock(text);
		expect(args).toEqual({ prompt: '<the revised prompt>', model: 'flux-schnell', seed: 77, steps: 4 });
		const created = await callTool('generate_image', { ...args, prompt: 'an autumn lighthouse' });
		expect(created.isError).toBeUndefined();
	});

	it('still helps when the image has expired: no link, and it says the image is gone', async () => {
		const job = await insertJob({ status: 'completed', completedAt: Date.now() });
		await insertImage(job, { removedAt: Date.UTC(2026, 0, 2), removedReason: 'expired' });
		const result = await getPrompt('iterate_on_image', { job_id: job.id, change: 'brighter' });
		expect(result.messages).toHaveLength(1);
		const text = textOf(result);
		expect(text).toContain('The image itself is gone: Expired on 2026-01-02');
		expect(jsonBlock(text).reference_images).toBeUndefined();
	});

	it("refuses another user's job exactly like an unknown id, and says how to find job ids", async () => {
		const bindings = await usersEnv([{ id: 'alice' }, { id: 'bob' }]);
		const bobs = await completedJob({ owner: 'bob' });
		const unknown = crypto.randomUUID();

		const other = await promptError('iterate_on_image', { job_id: bobs.id, change: 'x' }, { bindings, user: 'alice' });
		const missing = await promptError(
			'iterate_on_image',
			{ job_id: unknown, change: 'x' },
			{ bindings, user: 'alice' },
		);
		expect(other.code).toBe(-32602);
		expect(missing.code).toBe(-32602);
		expect(other.message).toBe(missing.message.replaceAll(unknown, bobs.id));
		expect(missing.message).toBe(
			`job_id: no job "${unknown}" found for you. Use list_jobs or list_generations to see your job ids.`,
		);
		// Bob himself gets it.
		const own = await getPrompt('iterate_on_image', { job_id: bobs.id, change: 'x' }, { bindings, user: 'bob' });
		expect(textOf(own)).toContain(`job ${bobs.id}`);
	});

	it.each([
		[
			{ status: 'pending' },
			'is still pending, so it has no image to change yet. Call wait_for_completion with this job_id',
		],
		[{ status: 'processing' }, 'is still processing, so it has no image to change yet.'],
		[
			{ status: 'failed', error: 'Workers AI refused this prompt under its content policy.' },
			'failed (Workers AI refused this prompt under its content policy.), so it has no image to change. Choose a completed job (list_jobs with status "completed")',
		],
		[{ status: 'cancelled' }, 'was cancelled, so it has no image to change.'],
	] as const)('refuses a %j job, saying its status and what to do', async (overrides, message) => {
		const job = await insertJob(overrides);
		const error = await promptError('iterate_on_image', { job_id: job.id, change: 'x' });
		expect(error.code).toBe(-32602);
		expect(error.message.startsWith(`job_id: job "${job.id}" ${message}`)).toBe(true);
	});

	it.each([
		[{ change: 'x' }, 'job_id: is required. Expected: The id of your completed job'],
		[{ job_id: 'abc', change: '' }, 'change: must not be empty. Expected: The change the user wants'],
		[{ job_id: 5, change: 'x' }, 'job_id: Invalid input: expected string, received number.'],
		[{ job_id: 'abc', change: 'x', colour: 'red' }, 'unknown argument(s) "colour". Allowed arguments: job_id, change.'],
		[{ job_id: 'abc', change: 'a\u0007b' }, 'change: contains control characters.'],
	])('refuses arguments %j with -32602 naming the argument', async (args, message) => {
		const error = await promptError('iterate_on_image', args);
		expect(error.code).toBe(-32602);
		expect(error.message).toContain('Invalid arguments for prompt iterate_on_image: ');
		expect(error.message).toContain(message);
	});
});

describe('prompts/get errors', () => {
	it('answers an unknown prompt with -32602 listing the prompts', async () => {
		const error = await promptError('sd_prompt_guide', {});
		expect(error).toEqual({
			code: -32602,
			message:
				'Unknown prompt "sd_prompt_guide". Available prompts: flux_prompt_guide, stable_diffusion_prompt_guide, gpt_image_prompt_guide, gemini_prompt_guide, iterate_on_image, apply_style.',
		});
	});

	it('answers params without a prompt name with -32602', async () => {
		const answer = await rpc('prompts/get', { arguments: {} });
		expect(answer.error).toEqual({
			code: -32602,
			message: 'Invalid params for prompts/get: params.name must be the prompt name, a string.',
		});
	});
});

describe('completion/complete', () => {
	const iterateJobId = (value: string) => ({
		ref: { type: 'ref/prompt', name: 'iterate_on_image' },
		argument: { name: 'job_id', value },
	});

	it("completes iterate_on_image's job_id with the caller's completed jobs, newest first, by prefix", async () => {
		const now = Date.now();
		const id = (tail: string, head = 'abc00000') => `${head}-0000-4000-8000-${tail.padStart(12, '0')}`;
		await insertJob({ id: id('1'), owner: 'alice', status: 'completed', createdAt: now - 3000 });
		await insertJob({ id: id('2'), owner: 'alice', status: 'completed', createdAt: now - 1000 });
		await insertJob({ id: id('3', 'def00000'), owner: 'alice', status: 'completed', createdAt: now - 2000 });
		await insertJob({ id: id('4'), owner: 'alice', status: 'pending', createdAt: now });
		await insertJob({ id: id('5'), owner: 'bob', status: 'completed', createdAt: now });
		const bindings = await usersEnv([{ id: 'alice' }, { id: 'bob' }]);
		const asAlice = { bindings, user: 'alice' };

		expect(await complete(iterateJobId('ABC'), asAlice)).toEqual({
			values: [id('2'), id('1')],
			total: 2,
			hasMore: false,
		});
		expect((await complete(iterateJobId(''), asAlice)).values).toEqual([id('2'), id('3', 'def00000'), id('1')]);
		expect((await complete(iterateJobId('abc%'), asAlice)).values).toEqual([]);
		expect((await complete(iterateJobId(''), { bindings, user: 'bob' })).values).toEqual([id('5')]);
	});

	it('sends at most 100 values, with total and hasMore saying there are more', async () => {
		const now = Date.now();
		const insert = env.DB.prepare(
			'INSERT INTO jobs (id, owner, status, prompt, model, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
		);
		const ids = Array.from({ length: 105 }, () => crypto.randomUUID());
		await env.DB.batch(
			ids.map((jobId, index) =>
				insert.bind(jobId, 'default', 'completed', 'p', 'offline', '{"width":64,"height":64}', now + index, now),
			),
		);
		const completion = await complete(iterateJobId(''));
		expect(completion.values).toHaveLength(100);
		expect(completion.values[0]).toBe(ids[104]);
		expect(completion.total).toBe(105);
		expect(completion.hasMore).toBe(true);
	});

	it("completes a guide's model argument with the family's configured models", async () => {
		const model = (name: string, value: string) => ({
			ref: { type: 'ref/prompt', name },
			argument: { name: 'model', value },
		});
		expect(await complete(model('flux_prompt_guide', 'flux-2'))).toEqual({
			values: ['flux-2-dev', 'flux-2-klein-4b', 'flux-2-klein-9b'],
			total: 3,
			hasMore: false,
		});
		expect((await complete(model('gemini_prompt_guide', ''))).values).toEqual([]);
		expect((await complete(model('gemini_prompt_guide', ''), { bindings: { GEMINI_API_KEY: 'k' } })).values).toEqual([
			'flash',
			'pro',
		]);
	});

	it('completes the image template: job_id with jobs that still have an image, index with that job’s images', async () => {
		const template = { type: 'ref/resource', uri: 'image://{job_id}/{index}' };
		const live = await completedJob({ createdAt: Date.now() - 1000 });
		await insertImage(live, { idx: 1 });
		const expired = await insertJob({ status: 'completed' });
		await insertImage(expired, { removedAt: Date.now(), removedReason: 'expired' });
		await insertJob({ status: 'pending' });

		expect((await complete({ ref: template, argument: { name: 'job_id', value: '' } })).values).toEqual([live.id]);
		const indices = (job_id?: string) =>
			complete({
				ref: template,
				argument: { name: 'index', value: '' },
				...(job_id ? { context: { arguments: { job_id } } } : {}),
			});
		expect(await indices(live.id)).toEqual({ values: ['0', '1'], total: 2, hasMore: false });
		expect((await indices(expired.id)).values).toEqual([]);
		expect((await indices()).values).toEqual([]);
	});

	it("never offers another user's image indices", async () => {
		const bobs = await completedJob({ owner: 'bob' });
		const bindings = await usersEnv([{ id: 'alice' }, { id: 'bob' }]);
		const params = {
			ref: { type: 'ref/resource', uri: 'image://{job_id}/{index}' },
			argument: { name: 'index', value: '' },
			context: { arguments: { job_id: bobs.id } },
		};
		expect((await complete(params, { bindings, user: 'alice' })).values).toEqual([]);
		expect((await complete(params, { bindings, user: 'bob' })).values).toEqual(['0']);
	});

	it.each([
		[{ type: 'ref/prompt', name: 'test_prompt_with_arguments' }, 'arg1'],
		[{ type: 'ref/prompt', name: 'iterate_on_image' }, 'change'],
		[{ type: 'ref/resource', uri: 'file:///{path}' }, 'path'],
		[{ type: 'ref/tool', name: 'generate_image' }, 'model'],
	])('answers an unknown reference or argument (%j, %s) with no values, not an error', async (ref, name) => {
		await completedJob();
		const answer = await rpc<CompleteResult>('completion/complete', { ref, argument: { name, value: '' } });
		expect(answer).toMatchObject({ result: { completion: { values: [] } } });
		expect(answer.error).toBeUndefined();
	});

	it('answers malformed params with -32602 naming the field', async () => {
		const answer = await rpc('completion/complete', {
			ref: { type: 'ref/prompt', name: 'x' },
			argument: { name: 'a' },
		});
		expect(answer.error).toEqual({
			code: -32602,
			message:
				'Invalid params for completion/complete: argument.value: must be the text typed so far (a string, possibly empty).',
		});
	});
});
