/**
 * The OpenAI-compatible endpoint (/v1, issue 20): OpenAI's Images and Models API shapes over
 * the same operations as every face, with the same auth, owner scoping, limits and budgets;
 * errors in OpenAI's `{ error: { message, type, param, code } }` naming the field, and nothing
 * created by a refused request.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { readConfig } from '../src/env';
import { MAX_COUNT } from '../src/generation/request';
import { configuredModels, findModel, type ModelEntry } from '../src/providers/catalog';
import { sniffImage } from '../src/storage/sniff';
import type { RequestScope } from '../src/tools/context';
import type { JobView } from '../src/tools/job-view';
import type { AppEnv } from '../src/worker/app-env';
import {
	generateArguments,
	MAX_IMAGES_PER_REQUEST,
	type OpenAiImageRequest,
	openAiImageRequestSchema,
} from '../src/worker/openai/request';
import { failedJobsError, registerOpenAiRoutes } from '../src/worker/openai/routes';
import { recordingQueue, usersEnv } from './helpers/users';
import { requestAs, unique } from './helpers/web';

const ORIGIN = 'http://localhost';

interface OpenAiErrorBody {
	error: { message: string; type: string; param: string | null; code: string | null; [extra: string]: unknown };
}

interface ImagesBody {
	created: number;
	size?: string;
	output_format?: string;
	data: { url?: string; b64_json?: string; revised_prompt?: string }[];
}

const call = requestAs;

const generate = (bindings: Partial<Env>, user: string, body: unknown, headers?: Record<string, string>) =>
	call(bindings, 'POST', '/v1/images/generations', { user, body, headers });

async function errorOf(response: Response): Promise<OpenAiErrorBody['error']> {
	expect(response.headers.get('content-type')).toContain('application/json');
	const body = (await response.json()) as OpenAiErrorBody;
	expect(Object.keys(body)).toEqual(['error']);
	expect(body.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
	expect(body.error).toHaveProperty('param');
	expect(body.error).toHaveProperty('code');
	expect(body.error.message).not.toMatch(/\n\s+at /);
	return body.error;
}

const jobCount = (owner: string) =>
	env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(owner).first<number>('n');

function decodeBase64(text: string): Uint8Array {
	return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

describe('POST /v1/images/generations', () => {
	it('answers OpenAI’s shape with an image URL that serves the image', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await generate(bindings, alice, { model: 'offline', prompt: 'a paper kite', size: '96x64' });
		expect(response.status).toBe(200);
		const body = (await response.json()) as ImagesBody;
		expect(body).toMatchObject({ size: '96x64', output_format: 'png' });
		expect(Number.isInteger(body.created)).toBe(true);
		expect(body.data).toHaveLength(1);
		const url = body.data[0]!.url!;
		expect(url).toMatch(/^http:\/\/localhost\/images\/[0-9a-f-]+\/0\.png$/);
		expect(body.data[0]!.b64_json).toBeUndefined();

		const image = await call(bindings, 'GET', new URL(url).pathname);
		expect(image.status).toBe(200);
		expect(sniffImage(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 96, height: 64 });
		expect(await jobCount(alice)).toBe(1);
	});

	it('with response_format b64_json, answers the bytes: a PNG of the size asked', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await generate(bindings, alice, {
			model: 'offline',
			prompt: 'a lighthouse',
			size: '120x80',
			response_format: 'b64_json',
		});
		expect(response.status).toBe(200);
		const body = (await response.json()) as ImagesBody;
		expect(body.data).toHaveLength(1);
		expect(body.data[0]!.url).toBeUndefined();
		const sniffed = sniffImage(decodeBase64(body.data[0]!.b64_json!));
		expect(sniffed).toMatchObject({ contentType: 'image/png', width: 120, height: 80 });
	});

	it('makes n images, one job each, and takes n at the maximum', async () => {
		expect(MAX_IMAGES_PER_REQUEST).toBe(MAX_COUNT);
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const two = await generate(bindings, alice, {
			model: 'offline',
			prompt: 'two kites',
			n: 2,
			size: '64x64',
			response_format: 'b64_json',
		});
		expect(two.status).toBe(200);
		const twoBody = (await two.json()) as ImagesBody;
		expect(twoBody.data).toHaveLength(2);
		for (const item of twoBody.data) expect(sniffImage(decodeBase64(item.b64_json!))?.width).toBe(64);
		expect(await jobCount(alice)).toBe(2);

		const most = await generate(bindings, alice, {
			model: 'offline',
			prompt: 'many kites',
			n: MAX_COUNT,
			size: '64x64',
		});
		expect(most.status).toBe(200);
		const mostBody = (await most.json()) as ImagesBody;
		expect(mostBody.data).toHaveLength(MAX_COUNT);
		expect(new Set(mostBody.data.map((item) => item.url)).size).toBe(MAX_COUNT);
		expect(await jobCount(alice)).toBe(2 + MAX_COUNT);
	});

	it('accepts OpenAI fields the model has no option for: style, quality standard, background auto, user, null fields', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await generate(bindings, alice, {
			model: 'offline',
			prompt: 'a quiet harbour',
			size: '64x64',
			quality: 'standard',
			style: 'natural',
			background: 'auto',
			output_format: 'png',
			moderation: 'auto',
			user: 'end-user-42',
			n: null,
		});
		expect(response.status).toBe(200);
		expect(((await response.json()) as ImagesBody).data).toHaveLength(1);
	});

	it('refuses bad input with an OpenAI error naming the param, and creates nothing', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const ok = { model: 'offline', prompt: 'a kite', size: '64x64' };
		const cases: {
			body?: unknown;
			rawBody?: string;
			headers?: Record<string, string>;
			status: number;
			param: string | null;
			code?: string;
			says: string;
		}[] = [
			{
				body: { model: 'offline' },
				status: 400,
				param: 'prompt',
				code: 'missing_required_parameter',
				says: 'prompt',
			},
			{ body: { ...ok, prompt: '   ' }, status: 400, param: 'prompt', says: 'must not be empty' },
			{
				body: { ...ok, n: MAX_COUNT + 1 },
				status: 400,
				param: 'n',
				code: 'integer_above_max_value',
				says: `1–${MAX_COUNT}`,
			},
			{ body: { ...ok, n: 0 }, status: 400, param: 'n', code: 'integer_below_min_value', says: `1–${MAX_COUNT}` },
			{ body: { ...ok, n: 1.5 }, status: 400, param: 'n', says: 'n:' },
			{ body: { ...ok, size: 'big' }, status: 400, param: 'size', says: 'is not a size' },
			{ body: { ...ok, size: '4096x4096' }, status: 400, param: 'size', says: '64–2048 pixels' },
			{ body: { ...ok, response_format: 'png' }, status: 400, param: 'response_format', says: 'b64_json' },
			{
				body: { ...ok, model: 'no-such-model' },
				status: 400,
				param: 'model',
				code: 'model_not_found',
				says: 'offline',
			},
			{ body: { ...ok, colour: 'red' }, status: 400, param: 'colour', code: 'unknown_parameter', says: 'colour' },
			{ body: { ...ok, stream: true }, status: 400, param: 'stream', says: 'does not stream' },
			{ body: { ...ok, quality: 'hd' }, status: 400, param: 'quality', says: 'one quality level' },
			{ body: { ...ok, background: 'transparent' }, status: 400, param: 'background', says: 'transparent' },
			{ body: { ...ok, style: 'anime' }, status: 400, param: 'style', says: 'style' },
			{ body: ['a kite'], status: 400, param: null, code: 'invalid_type', says: 'JSON object' },
			{
				rawBody: '{"prompt": ',
				headers: { 'content-type': 'application/json' },
				status: 400,
				param: null,
				code: 'invalid_json',
				says: 'not valid JSON',
			},
			{
				rawBody: 'prompt=x',
				headers: { 'content-type': 'application/xml' },
				status: 415,
				param: null,
				code: 'unsupported_media_type',
				says: 'Content-Type: application/json',
			},
		];
		for (const entry of cases) {
			const response = await call(bindings, 'POST', '/v1/images/generations', {
				user: alice,
				body: entry.body,
				rawBody: entry.rawBody,
				headers: entry.headers,
			});
			const label = JSON.stringify(entry);
			expect(response.status, label).toBe(entry.status);
			const error = await errorOf(response);
			expect(error.type, label).toBe('invalid_request_error');
			expect(error.param, label).toBe(entry.param);
			expect(error.message, label).toContain(entry.says);
			if (entry.code) expect(error.code, label).toBe(entry.code);
		}
		expect(await jobCount(alice)).toBe(0);
	});

	it('uses the caller’s preferred model and size when the request names none', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const patched = await call(bindings, 'PATCH', '/api/v1/preferences', {
			user: alice,
			body: { default_model: 'offline', default_size: '96x64' },
		});
		expect(patched.status).toBe(200);
		const response = await generate(bindings, alice, { prompt: 'a gate', size: 'auto' });
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ size: '96x64', data: [{ url: expect.any(String) }] });
	});

	it('takes an Idempotency-Key: a retry answers the same images; the key on another prompt is a 409', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const headers = { 'idempotency-key': 'order-7' };
		const body = { model: 'offline', prompt: 'a kite', size: '64x64' };
		const first = (await (await generate(bindings, alice, body, headers)).json()) as ImagesBody;
		const again = (await (await generate(bindings, alice, body, headers)).json()) as ImagesBody;
		expect(again.data).toEqual(first.data);
		const other = await generate(bindings, alice, { ...body, prompt: 'a boat' }, headers);
		expect(other.status).toBe(409);
		expect(other.headers.get('x-should-retry')).toBe('false');
		expect(await errorOf(other)).toMatchObject({ param: 'Idempotency-Key', code: 'idempotency_key_reused' });
		expect(await jobCount(alice)).toBe(1);
	});

	it('answers 401 in OpenAI’s shape, with a challenge, without a token or with a wrong one', async () => {
		const bindings = await usersEnv([{ id: unique('someone') }]);
		for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
			const response = await call(bindings, 'POST', '/v1/images/generations', {
				body: { prompt: 'a kite', model: 'offline' },
				headers,
			});
			expect(response.status).toBe(401);
			expect(response.headers.get('www-authenticate')).toContain('Bearer');
			expect(await errorOf(response)).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
			const models = await call(bindings, 'GET', '/v1/models', { headers });
			expect(models.status).toBe(401);
		}
	});

	it('gives the images to the bearer, whatever `user` says', async () => {
		const alice = unique('alice');
		const bob = unique('bob');
		const bindings = await usersEnv([{ id: alice }, { id: bob }]);
		const response = await generate(bindings, alice, {
			model: 'offline',
			prompt: 'a kite for bob?',
			size: '64x64',
			user: bob,
		});
		expect(response.status).toBe(200);
		expect(await jobCount(alice)).toBe(1);
		expect(await jobCount(bob)).toBe(0);
		const bobsJobs = (await (await call(bindings, 'GET', '/api/v1/jobs', { user: bob })).json()) as { jobs: unknown[] };
		expect(bobsJobs.jobs).toEqual([]);
	});

	it('answers 429 insufficient_quota with Retry-After when the budget is reached, creating nothing', async () => {
		const bob = unique('bob');
		const { queue, sent } = recordingQueue();
		const bindings = await usersEnv([{ id: bob, daily_budget_usd: 0.001 }], { OPENAI_API_KEY: 'test', JOBS: queue });
		const response = await generate(bindings, bob, { model: 'dall-e-2', prompt: 'a boat', size: '1024x1024' });
		expect(response.status).toBe(429);
		expect(await errorOf(response)).toMatchObject({
			type: 'insufficient_quota',
			code: 'insufficient_quota',
			limit: 'daily_budget',
		});
		const retryAfter = Number(response.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(86_400);
		expect(response.headers.get('x-should-retry')).toBe('false');
		expect(sent).toHaveLength(0);
		expect(await jobCount(bob)).toBe(0);
	});

	it('answers 429 rate_limit_exceeded with Retry-After when the rate limit refuses, creating nothing', async () => {
		const carol = unique('carol');
		const refusing = { limit: async () => ({ success: false }) } as RateLimit;
		const bindings = await usersEnv([{ id: carol }], { JOB_RATE_LIMITER: refusing });
		const response = await generate(bindings, carol, { model: 'offline', prompt: 'a kite', size: '64x64' });
		expect(response.status).toBe(429);
		expect(await errorOf(response)).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
		expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(await jobCount(carol)).toBe(0);
	});

	it('refuses generation on a read-only deployment with 403, creating nothing', async () => {
		const dave = unique('dave');
		const bindings = await usersEnv([{ id: dave }], { READ_ONLY: 'true' });
		const response = await generate(bindings, dave, { model: 'offline', prompt: 'a kite', size: '64x64' });
		expect(response.status).toBe(403);
		expect(await errorOf(response)).toMatchObject({ type: 'permission_error', code: 'read_only' });
		expect(await jobCount(dave)).toBe(0);
		expect((await call(bindings, 'GET', '/v1/models', { user: dave })).status).toBe(200);
	});

	it('answers 504 timeout naming the jobs when the wait ends first; the jobs keep running', async () => {
		const owner = unique('patient');
		const { queue, sent } = recordingQueue();
		// Never delivered: the job stays pending, as one behind a slow model would.
		const testEnv = { ...env, JOBS: queue } as Env;
		const app = new Hono<AppEnv>();
		// The endpoint with a 1 s wait limit (55 s behind the real guard).
		registerOpenAiRoutes(app, () => ({
			env: testEnv,
			config: readConfig(testEnv),
			db: getDb(testEnv),
			principal: { id: owner, name: owner, role: 'user', via: 'token' },
			urls: { workerBase: ORIGIN, r2Base: undefined },
			maxWaitSeconds: 1,
		}));
		const response = await app.fetch(
			new Request(`${ORIGIN}/v1/images/generations`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ model: 'offline', prompt: 'a slow kite', size: '64x64', n: 2 }),
			}),
			testEnv,
			createExecutionContext(),
		);
		expect(response.status).toBe(504);
		expect(response.headers.get('x-should-retry')).toBe('false');
		const error = await errorOf(response);
		expect(error).toMatchObject({ type: 'server_error', code: 'timeout' });
		const jobIds = error.job_ids as string[];
		expect(jobIds).toHaveLength(2);
		expect(sent).toHaveLength(2);
		for (const id of jobIds) expect(error.message).toContain(id);
		expect(error.message).toContain('/api/v1/jobs/');
		const rows = await env.DB.prepare('SELECT id, status FROM jobs WHERE owner = ? ORDER BY id')
			.bind(owner)
			.all<{ id: string; status: string }>();
		expect(rows.results.map((row) => row.id)).toEqual([...jobIds].sort());
		expect(rows.results.every((row) => row.status === 'pending')).toBe(true);
	});

	it('answers 500 server_error with no internals when something breaks, and tells clients not to retry', async () => {
		const owner = unique('unlucky');
		const broken = new Proxy(
			{},
			{
				get() {
					throw new Error('secret internal detail');
				},
			},
		) as RequestScope['db'];
		const app = new Hono<AppEnv>();
		registerOpenAiRoutes(app, () => ({
			env,
			config: readConfig(env),
			db: broken,
			principal: { id: owner, name: owner, role: 'user', via: 'token' },
			urls: { workerBase: ORIGIN, r2Base: undefined },
			maxWaitSeconds: 1,
		}));
		// Without a model, reading the caller's preferences breaks first; with one, the generation does.
		for (const body of [{ prompt: 'a kite' }, { prompt: 'a kite', model: 'offline' }]) {
			const response = await app.fetch(
				new Request(`${ORIGIN}/v1/images/generations`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify(body),
				}),
				env,
				createExecutionContext(),
			);
			expect(response.status).toBe(500);
			expect(response.headers.get('x-should-retry')).toBe('false');
			const error = await errorOf(response);
			expect(error).toMatchObject({ type: 'server_error', code: 'internal_error' });
			expect(error.message).not.toContain('secret');
		}
	});

	it('answers OpenAI’s 404 for an unknown path and 405 naming the method of a known one', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const missing = await call(bindings, 'GET', '/v1/chat/completions', { user: alice });
		expect(missing.status).toBe(404);
		expect((await errorOf(missing)).message).toContain('/v1/images/generations');
		const wrong = await call(bindings, 'GET', '/v1/images/generations', { user: alice });
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get('allow')).toBe('POST');
		await errorOf(wrong);
	});
});

describe('GET /v1/models', () => {
	it('lists the configured models in OpenAI’s list shape, and gets one by name or alias', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const response = await call(bindings, 'GET', '/v1/models', { user: alice });
		expect(response.status).toBe(200);
		const list = (await response.json()) as {
			object: string;
			data: { id: string; object: string; created: number; owned_by: string }[];
		};
		expect(list.object).toBe('list');
		expect(list.data.map((model) => model.id)).toContain('offline');
		expect(list.data.map((model) => model.id)).toEqual(
			configuredModels({ ...env, ...bindings } as Env).map((entry) => entry.alias),
		);
		for (const model of list.data) {
			expect(model).toMatchObject({ object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
		}

		const byAlias = await call(bindings, 'GET', '/v1/models/placeholder', { user: alice });
		expect(await byAlias.json()).toEqual({ id: 'offline', object: 'model', created: 0, owned_by: 'offline' });
		const unknown = await call(bindings, 'GET', '/v1/models/dall-e-9', { user: alice });
		expect(unknown.status).toBe(404);
		expect(await errorOf(unknown)).toMatchObject({ param: 'model', code: 'model_not_found' });
	});
});

describe('jobs that did not make their image', () => {
	const job = (id: string, fields: Partial<JobView>): JobView => ({
		job_id: id,
		status: 'completed',
		done: true,
		prompt: 'a lighthouse',
		model: 'dall-e-3',
		width: 1024,
		height: 1024,
		steps: null,
		seed: null,
		attempts: 1,
		estimated_cost_usd: 0.04,
		images: [],
		created_at: '2026-01-01T00:00:00.000Z',
		updated_at: '2026-01-01T00:00:01.000Z',
		...fields,
	});

	it('answers a refused prompt as OpenAI’s 400 content_policy_violation naming the prompt', async () => {
		const response = failedJobsError([
			job('job-a', { status: 'failed', error: 'The provider refused the prompt.', error_code: 'content_policy' }),
		]);
		expect(response.status).toBe(400);
		const error = await errorOf(response);
		expect(error).toMatchObject({ param: 'prompt', code: 'content_policy_violation', job_ids: ['job-a'] });
		expect(error.message).toContain('The provider refused the prompt.');
	});

	it('answers any other failure as 502, naming the finished jobs kept, and tells clients not to retry', async () => {
		const response = failedJobsError([
			job('job-a', {}),
			job('job-b', { status: 'failed', error: 'Gave up after 4 attempts.', error_code: 'retries_exhausted' }),
		]);
		expect(response.status).toBe(502);
		expect(response.headers.get('x-should-retry')).toBe('false');
		const error = await errorOf(response);
		expect(error).toMatchObject({ type: 'server_error', code: 'retries_exhausted', job_ids: ['job-a', 'job-b'] });
		expect(error.message).toContain('1 of 2 image(s) could not be made (job job-b)');
		expect(error.message).toContain('/api/v1/jobs/<job_id> (job-a)');
	});
});

describe('mapping OpenAI’s options onto a model', () => {
	const testEnv = { ...env, OPENAI_API_KEY: 'test', GEMINI_API_KEY: 'test' } as Env;
	const available = configuredModels(testEnv);
	const model = (name: string): ModelEntry => {
		const entry = findModel(testEnv, name);
		if (!entry || !available.includes(entry)) throw new Error(`${name} is not configured in this test`);
		return entry;
	};
	const request = (fields: Record<string, unknown>): OpenAiImageRequest =>
		openAiImageRequestSchema.parse({ prompt: 'a lighthouse', ...fields });
	const mapped = (name: string, fields: Record<string, unknown>) =>
		generateArguments(request({ model: name, ...fields }), model(name), available);

	it('maps quality between DALL·E 3’s and GPT Image’s names, and passes style where the model has it', () => {
		expect(mapped('dall-e-3', { quality: 'high', style: 'natural', size: '1792x1024' })).toEqual({
			ok: true,
			value: {
				prompt: 'a lighthouse',
				model: 'dall-e-3',
				count: 1,
				quality: 'hd',
				style: 'natural',
				width: 1792,
				height: 1024,
			},
		});
		expect(
			mapped('gpt-image-1', { quality: 'hd', style: 'vivid', background: 'transparent', output_format: 'webp' }),
		).toMatchObject({ ok: true, value: { quality: 'high', background: 'transparent', output_format: 'webp' } });
		expect(mapped('gpt-image-1', { quality: 'standard' })).toMatchObject({ value: { quality: 'medium' } });
		expect(mapped('gpt-image-1', { style: 'vivid' })).not.toHaveProperty('value.style');
		expect(mapped('dall-e-3', { quality: 'auto' })).not.toHaveProperty('value.quality');
	});

	it('refuses a size a listed-size model cannot make, naming the sizes it makes', () => {
		const refused = mapped('dall-e-3', { size: '512x512' });
		expect(refused.ok).toBe(false);
		expect(!refused.ok && refused.error).toMatch(
			/^size: dall-e-3 cannot make 512x512: it makes only 1024x1024, 1792x1024, 1024x1792\./,
		);
		expect(!refused.ok && refused.error).toContain('dall-e-2');
	});

	it('maps a WxH onto the nearest aspect ratio and tier of a model sized that way', () => {
		expect(mapped('pro', { size: '1792x1024' })).toMatchObject({
			ok: true,
			value: { aspect_ratio: '16:9', image_size: '1K' },
		});
		expect(mapped('pro', { size: '2048x2048' })).toMatchObject({ value: { aspect_ratio: '1:1', image_size: '2K' } });
		const refused = mapped('pro', { size: '1000x100' });
		expect(!refused.ok && refused.error).toMatch(/^size: pro cannot make 1000x100: it makes these shapes/);
	});
});
