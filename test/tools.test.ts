import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { insertJob } from './helpers/fixtures';
import { BASE, callTool, postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';

const jobCount = () => env.DB.prepare('SELECT count(*) AS n FROM jobs').first<number>('n');

describe('generate_image', () => {
	it('returns at once with a pending job whose id jq can extract, and queues it', async () => {
		const result = await callTool('generate_image', {
			prompt: 'a mountain landscape',
			width: 320,
			height: 200,
			seed: 7,
		});
		expect(result.isError).toBeUndefined();
		const json = textJson(result);
		expect(json).toEqual(result.structuredContent);
		expect(json).toMatchObject({
			success: true,
			status: 'pending',
			model: 'offline',
			width: 320,
			height: 200,
			seed: 7,
			count: 1,
		});
		expect(json.job_id).toMatch(/^[0-9a-f-]{36}$/);
		const row = await env.DB.prepare('SELECT status, params, seed FROM jobs WHERE id = ?').bind(json.job_id).first();
		expect(row?.seed).toBe(7);
		expect(JSON.parse(String(row?.params))).toEqual({ width: 320, height: 200, steps: 4 });
	});

	it('makes one job per image for count > 1, with consecutive seeds', async () => {
		const json = textJson(await callTool('generate_image', { prompt: 'three cats', count: 3, seed: 100 }));
		expect(json.job_ids).toHaveLength(3);
		expect(json.job_id).toBe((json.job_ids as string[])[0]);
		const seeds = await env.DB.prepare('SELECT seed FROM jobs WHERE batch_id IS NOT NULL ORDER BY created_at').all();
		expect(seeds.results.map((row) => row.seed)).toEqual([100, 101, 102]);
	});

	it('maps aspect_ratio to about a megapixel in multiples of 64', async () => {
		const json = textJson(await callTool('generate_image', { prompt: 'wide', aspect_ratio: '16:9' }));
		expect(json).toMatchObject({ width: 1344, height: 768 });
	});

	it('returns the same job for a repeated idempotency_key instead of a duplicate', async () => {
		const first = textJson(await callTool('generate_image', { prompt: 'once', idempotency_key: 'k-1' }));
		const again = textJson(await callTool('generate_image', { prompt: 'once', idempotency_key: 'k-1' }));
		expect(again.job_id).toBe(first.job_id);
		expect(again.reused).toBe(true);
		expect(await jobCount()).toBe(1);
	});

	it.each([
		[{ prompt: '' }, 'prompt: must not be empty'],
		[{ prompt: 'bell\u0007' }, 'prompt: contains control characters'],
		[{ prompt: 'x'.repeat(4001) }, 'prompt: is longer than 4000 characters'],
		[{ prompt: 'p', count: 21 }, 'count: Too big'],
		[{ prompt: 'p', count: 0 }, 'count: Too small'],
		[{ prompt: 'p', count: 2.5 }, 'count: Invalid input: expected int'],
		[{ prompt: 'p', count: '3' }, 'count: Invalid input: expected number'],
		[{ prompt: 'p', width: 512 }, 'give both width and height'],
		[{ prompt: 'p', width: 10, height: 10 }, "width: 10 is outside offline's range. Allowed: 64–2048 pixels."],
		[{ prompt: 'p', width: 512, height: 512, aspect_ratio: '1:1' }, 'give one or the other'],
		[{ prompt: 'p', aspect_ratio: '5:1' }, 'aspect_ratio: Invalid option'],
		[{ prompt: 'p', steps: 99 }, "steps: 99 is outside offline's range. Allowed: 1–50 (default 4)."],
		[{ prompt: 'p', seed: -1 }, 'seed: Too small'],
		[{ prompt: 'p', model: 'dall-e-9' }, 'model: unknown model "dall-e-9". Allowed models: offline, flux-schnell'],
		[{ prompt: 'p', size: '1024x1024' }, 'unknown argument(s) "size". Allowed arguments: prompt, model'],
		[{}, 'prompt: Invalid input: expected string, received undefined'],
	])('refuses %j with a message naming the field, and creates no job', async (args, message) => {
		const result = await callTool('generate_image', args);
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain(message);
		expect(await jobCount()).toBe(0);
	});

	it('says what is allowed for the field, from its description', async () => {
		const result = await callTool('generate_image', { prompt: 'p', count: 50 });
		expect(textJson(result).error).toContain('Expected: How many images to make, 1–20');
	});

	it('marks the jobs failed with a clear reason when the queue send fails, leaving nothing pending', async () => {
		const brokenQueue = {
			send: () => Promise.reject(new Error('queue down')),
			sendBatch: () => Promise.reject(new Error('queue down')),
		} as unknown as Queue;
		const response = await postWithEnv(
			{ JOBS: brokenQueue },
			rpcBody('tools/call', { name: 'generate_image', arguments: { prompt: 'lost?' } }),
		);
		const { result } = (await response.json()) as { result: { isError: boolean; content: { text: string }[] } };
		expect(result.isError).toBe(true);
		expect(result.content[0]?.text).toContain('The job queue is unavailable, so nothing was started');
		const rows = await env.DB.prepare('SELECT status, error_code, error FROM jobs').all();
		expect(rows.results).toEqual([
			{ status: 'failed', error_code: 'queue_unavailable', error: expect.stringContaining('could not be queued') },
		]);
	});
});

describe('generate_image_and_wait through the real local queue', () => {
	it('returns the finished image: JSON text first, structuredContent, a preview, a resource_link, a markdown line', async () => {
		const result = await callTool('generate_image_and_wait', { prompt: 'a golden sunset', width: 128, height: 96 });
		expect(result.isError).toBeUndefined();
		// DESIGN.md §5: the JSON text, then the inline preview (test/previews.test.ts), then the link.
		expect(result.content.map((block) => block.type)).toEqual(['text', 'image', 'resource_link']);
		const json = textJson(result);
		expect(json).toEqual(result.structuredContent);
		expect(json).toMatchObject({ success: true, done: true, still_running: false, status: 'completed', completed: 1 });
		const url = String(json.image_url);
		expect(url).toMatch(new RegExp(`^${BASE}/images/${json.job_id}/0\\.png$`));
		expect(json.markdown).toBe(`![a golden sunset](${url})`);
		// The link is the image's MCP resource; the HTTPS URL is in the JSON and the markdown.
		expect(result.content[2]).toMatchObject({ uri: `image://${json.job_id}/0`, mimeType: 'image/png' });
		expect((json.results as { images: { resource_uri: string }[] }[])[0]?.images[0]?.resource_uri).toBe(
			`image://${json.job_id}/0`,
		);
		expect(JSON.stringify(result.structuredContent)).not.toMatch(/base64|iVBOR/);

		const image = await exports.default.fetch(url);
		expect(image.status).toBe(200);
		expect(image.headers.get('content-type')).toBe('image/png');
		expect(image.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
		const bytes = new Uint8Array(await image.arrayBuffer());
		const stored = await env.IMAGES.get(`${json.job_id}/0`);
		expect(bytes).toEqual(new Uint8Array(await stored!.arrayBuffer()));
		const revalidated = await exports.default.fetch(url, { headers: { 'if-none-match': image.headers.get('etag')! } });
		expect(revalidated.status).toBe(304);
	});

	it('builds image URLs from PUBLIC_BASE_URL when set', async () => {
		const response = await postWithEnv(
			{ PUBLIC_BASE_URL: 'https://img.example.com/' },
			rpcBody('tools/call', { name: 'generate_image_and_wait', arguments: { prompt: 'p', width: 64, height: 64 } }),
		);
		const { result } = (await response.json()) as {
			result: { structuredContent: { image_url: string; job_id: string } };
		};
		expect(result.structuredContent.image_url).toBe(
			`https://img.example.com/images/${result.structuredContent.job_id}/0.png`,
		);
	});

	it('uses the R2 custom domain for image URLs when configured', async () => {
		const response = await postWithEnv(
			{ R2_PUBLIC_BASE_URL: 'https://cdn.example.com' },
			rpcBody('tools/call', { name: 'generate_image_and_wait', arguments: { prompt: 'p', width: 64, height: 64 } }),
		);
		const { result } = (await response.json()) as {
			result: { structuredContent: { image_url: string; job_id: string } };
		};
		expect(result.structuredContent.image_url).toBe(`https://cdn.example.com/${result.structuredContent.job_id}/0`);
	});
});

describe('wait_for_completion', () => {
	it('waits for several jobs and returns every image', async () => {
		const created = textJson(await callTool('generate_image', { prompt: 'pair', count: 2, width: 64, height: 64 }));
		const result = await callTool('wait_for_completion', { job_ids: created.job_ids });
		const json = textJson(result);
		expect(json).toMatchObject({ done: true, completed: 2, failed: 0, pending: 0, count: 2 });
		expect(result.content.filter((block) => block.type === 'resource_link')).toHaveLength(2);
	});

	it('returns a normal "still running" result, not an error, when the wait ends first', async () => {
		const job = await insertJob(); // never queued, so it stays pending
		const result = await callTool('wait_for_completion', { job_id: job.id, timeout_seconds: 1 });
		expect(result.isError).toBeUndefined();
		expect(textJson(result)).toMatchObject({ done: false, still_running: true, status: 'pending', pending: 1 });
		expect(String(textJson(result).message)).toContain('call wait_for_completion again');
	});

	it('reports a failed job as an error result with its reason', async () => {
		const job = await insertJob({
			status: 'failed',
			error: 'Workers AI refused this prompt.',
			errorCode: 'content_policy',
		});
		const result = await callTool('wait_for_completion', { job_id: job.id });
		expect(result.isError).toBe(true);
		expect(textJson(result)).toMatchObject({
			success: false,
			done: true,
			failed: 1,
			error: 'Workers AI refused this prompt.',
		});
	});

	it.each([
		[{}, 'give exactly one of job_id or job_ids'],
		[{ job_id: 'a', job_ids: ['b'] }, 'give exactly one of job_id or job_ids'],
		[{ job_ids: Array.from({ length: 21 }, (_, i) => `j${i}`) }, 'job_ids: Too big'],
		[{ job_id: 'x', timeout_seconds: 56 }, 'timeout_seconds: Too big'],
		[{ job_id: 'no-such-job' }, 'no job "no-such-job" found for you'],
	])('refuses %j clearly', async (args, message) => {
		const result = await callTool('wait_for_completion', args);
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain(message);
	});
});

describe('get_job_status, list_jobs, list_generations', () => {
	it("treats another owner's job exactly like an unknown one", async () => {
		const theirs = await insertJob({ owner: 'someone-else' });
		const mine = await callTool('get_job_status', { job_id: theirs.id });
		const unknown = await callTool('get_job_status', { job_id: crypto.randomUUID() });
		expect(mine.isError).toBe(true);
		expect(textJson(mine).error).toBe(String(textJson(unknown).error).replace(/"[^"]+"/, `"${theirs.id}"`));
		const listed = textJson(await callTool('list_jobs'));
		expect(listed.total_count).toBe(0);
	});

	it('shows a job with its status, parameters and, once completed, its image', async () => {
		const done = textJson(await callTool('generate_image_and_wait', { prompt: 'status check', width: 64, height: 80 }));
		const status = textJson(await callTool('get_job_status', { job_id: done.job_id }));
		expect(status).toMatchObject({
			success: true,
			status: 'completed',
			done: true,
			width: 64,
			height: 80,
			attempts: 1,
		});
		expect(status.image_url).toBe(done.image_url);
	});

	it('filters list_jobs by status and pages with limit/offset', async () => {
		for (let i = 0; i < 3; i++) await insertJob({ status: 'failed', createdAt: 1000 + i });
		await insertJob({ status: 'pending', createdAt: 2000 });
		const failed = textJson(await callTool('list_jobs', { status: 'failed', limit: 2 }));
		expect(failed).toMatchObject({ total_count: 3, returned_count: 2, has_more: true, limit: 2, offset: 0 });
		const rest = textJson(await callTool('list_jobs', { status: 'failed', limit: 2, offset: 2 }));
		expect(rest).toMatchObject({ returned_count: 1, has_more: false });
		const all = textJson(await callTool('list_jobs'));
		expect((all.jobs as { created_at: string }[])[0]?.created_at).toBe(new Date(2000).toISOString());
	});

	it('lists finished images newest first in list_generations', async () => {
		await callTool('generate_image_and_wait', { prompt: 'first', width: 64, height: 64 });
		await callTool('generate_image_and_wait', { prompt: 'second', width: 64, height: 64 });
		const json = textJson(await callTool('list_generations', { limit: 1 }));
		expect(json).toMatchObject({ total_count: 2, returned_count: 1, has_more: true });
		expect((json.generations as { prompt: string; image_url: string }[])[0]).toMatchObject({ prompt: 'second' });
	});

	it.each([
		['list_jobs', { limit: -1 }, 'limit: Too small'],
		['list_jobs', { status: 'done' }, 'status: Invalid option'],
		['list_generations', { offset: -5 }, 'offset: Too small'],
		['get_job_status', {}, 'job_id: Invalid input'],
	])('%s refuses %j clearly', async (tool, args, message) => {
		const result = await callTool(tool, args);
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain(message);
	});
});

describe('list_models', () => {
	it('locally: offline is the default, and the Workers AI models run on the offline stand-in', async () => {
		const json = textJson(await callTool('list_models'));
		expect(json.default_model).toBe('offline');
		const models = json.models as { name: string; local_stand_in: boolean; ai_generated: boolean }[];
		expect(models[0]).toMatchObject({ name: 'offline', local_stand_in: false, ai_generated: false });
		const workersAi = models.slice(1).map((model) => [model.name, model.local_stand_in, model.ai_generated]);
		expect(workersAi.slice(0, 3)).toEqual([
			['flux-schnell', true, false],
			['sdxl-lightning', true, false],
			['sdxl-base', true, false],
		]);
		// Only Workers AI has a local stand-in: OpenAI, Gemini and SD WebUI need their secrets.
		expect(workersAi.every(([, standIn]) => standIn)).toBe(true);
		expect(models.map((model) => model.name)).not.toContain('dall-e-3');
	});

	it('lets the seed\'s "model": "flux-schnell" work locally, saying it is a stand-in', async () => {
		const result = await callTool('generate_image_and_wait', {
			prompt: 'a golden sunset over the ocean',
			model: 'flux-schnell',
		});
		expect(textJson(result)).toMatchObject({ status: 'completed', model: 'flux-schnell' });
		const created = textJson(await callTool('generate_image', { prompt: 'x', model: 'flux-schnell' }));
		expect(created.message).toContain('drawn by the offline test pattern');
		expect(created.estimated_cost_usd).toBe(0);
	});

	const deployed = (overrides: Partial<Env>, name: string, args: Record<string, unknown>) =>
		postWithEnv({ LOCAL_DEV: '', AUTH_TOKEN: 't', ...overrides }, rpcBody('tools/call', { name, arguments: args }), {
			authorization: 'Bearer t',
		}).then((response) => response.json() as Promise<{ result: ToolResult }>);

	it('deployed without the AI binding: only offline, and Workers AI models are refused by name', async () => {
		const { result } = await deployed({}, 'generate_image', { prompt: 'p', model: 'flux-schnell' });
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toBe(
			'model: "flux-schnell" is not configured in this deployment (it needs the AI binding (wrangler.jsonc "ai")). Allowed models: offline, or "auto".',
		);
	});

	it('deployed with the AI binding: the Workers AI models, FLUX schnell first as default', async () => {
		const { result } = await deployed({ AI: {} as Ai }, 'list_models', {});
		const json = result.structuredContent as {
			default_model: string;
			models: { name: string; size: string; local_stand_in: boolean }[];
		};
		expect(json.default_model).toBe('flux-schnell');
		expect(json.models.map((model) => model.name).slice(0, 4)).toEqual([
			'offline',
			'flux-schnell',
			'sdxl-lightning',
			'sdxl-base',
		]);
		expect(json.models.map((model) => model.name)).toContain('phoenix');
		expect(json.models[1]).toMatchObject({ size: 'fixed 1024×1024', local_stand_in: false });
	});

	it('describes the model argument for each deployment without leaking one into another', async () => {
		const modelDescription = async (overrides: Partial<Env>) => {
			const response = await postWithEnv({ LOCAL_DEV: '', AUTH_TOKEN: 't', ...overrides }, rpcBody('tools/list'), {
				authorization: 'Bearer t',
			});
			const { result } = (await response.json()) as {
				result: { tools: { name: string; inputSchema: { properties: { model?: { description: string } } } }[] };
			};
			return result.tools.find((tool) => tool.name === 'generate_image')?.inputSchema.properties.model?.description;
		};
		expect(await modelDescription({ AI: {} as Ai })).toMatch(
			/^Model to use: one of offline, flux-schnell, sdxl-lightning, sdxl-base, .*phoenix, or "auto" .* Omit for the default \(flux-schnell\)\.$/,
		);
		expect(await modelDescription({ OPENAI_API_KEY: 'sk-x' })).toMatch(
			/^Model to use: one of offline, gpt-image-1\.5, .*dall-e-2, or "auto" .* Omit for the default \(offline\)\.$/,
		);
		expect(await modelDescription({})).toMatch(/^Model to use: one of offline, or "auto" .* \(offline\)\.$/);
	});

	it('refuses a size for a fixed-size model, naming the models that take one', async () => {
		const { result } = await deployed({ AI: {} as Ai }, 'generate_image', {
			prompt: 'p',
			model: 'flux-schnell',
			width: 512,
			height: 512,
		});
		expect(result.isError).toBe(true);
		expect(textJson(result).error).toContain('flux-schnell always makes 1024×1024 images. Omit them');
		expect(textJson(result).error).toContain('offline, sdxl-lightning, sdxl-base');
	});
});

describe('GET /images', () => {
	it.each([
		'/images/not-a-job/0.png',
		'/images/..%2F..%2Fetc/passwd',
		'/images/%2e%2e/0',
		`/images/${crypto.randomUUID()}/0.png`,
	])('answers %s with a JSON 404', async (path) => {
		const response = await exports.default.fetch(`${BASE}${path}`);
		expect(response.status).toBe(404);
		expect(response.headers.get('content-type')).toContain('application/json');
	});
});
