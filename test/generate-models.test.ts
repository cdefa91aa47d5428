/**
 * generate_image against each model's capabilities: every limit refused with a message that
 * names what is allowed, `model: "auto"`, reference images, and what reaches the job row.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { getDb } from '../src/db/client';
import { images } from '../src/db/schema';
import { resolveGeneration } from '../src/generation/select';
import type { JobParams } from '../src/jobs/types';
import { type GenerateInput, generateInputSchema } from '../src/tools/generate.schema';
import { base64, fakeJpeg, insertJob, readJobRow, scriptedAi } from './helpers/fixtures';
import { postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';

const URLS = { workerBase: 'https://img.example.com', r2Base: undefined };

/** A deployment with every provider configured. */
const everything = {
	...env,
	LOCAL_DEV: 'false',
	AI: {} as Ai,
	OPENAI_API_KEY: 'sk-test',
	GEMINI_API_KEY: 'AIza-test',
	SD_WEBUI_URL: 'https://sd.example.com',
} as Env;

function resolve(args: Record<string, unknown>, deployment: Env = everything) {
	const input: GenerateInput = generateInputSchema.parse({ prompt: 'a red fox in snow', ...args });
	return resolveGeneration(input, deployment, undefined, URLS);
}

function refusal(args: Record<string, unknown>, deployment: Env = everything): string {
	const result = resolve(args, deployment);
	if (result.ok) throw new Error(`expected a refusal for ${JSON.stringify(args)}, got ${result.value.entry.alias}`);
	return result.error;
}

function params(args: Record<string, unknown>, deployment: Env = everything): JobParams & { model: string } {
	const result = resolve(args, deployment);
	if (!result.ok) throw new Error(result.error);
	return { ...result.value.params, model: result.value.entry.alias };
}

describe('capability limits are refused with the allowed values', () => {
	it.each([
		[{ model: 'flux-schnell', width: 512, height: 512 }, /flux-schnell always makes 1024×1024 images.*sdxl-lightning/],
		[{ model: 'flux-schnell', steps: 9 }, /steps: 9 is outside flux-schnell's range\. Allowed: 1–8 \(default 4\)\./],
		[{ model: 'flux-schnell', negative_prompt: 'blur' }, /flux-schnell does not take a negative prompt.*sdxl-base/],
		[
			{ model: 'sdxl-base', width: 4096, height: 1024 },
			/width: 4096 is outside sdxl-base's range\. Allowed: 256–2048 pixels\./,
		],
		[{ model: 'sdxl-base', width: 1001, height: 1024 }, /multiple of 8 pixels; 1001 is not \(try 1000\)/],
		[{ model: 'sdxl-base', width: 1024 }, /give both width and height/],
		[{ model: 'sdxl-base', width: 1024, height: 1024, aspect_ratio: '1:1' }, /give one or the other/],
		[{ model: 'sdxl-base', image_size: '2K' }, /image_size: sdxl-base is sized by width\/height.*flash/],
		[
			{ model: 'dall-e-3', width: 512, height: 512 },
			/dall-e-3 makes only these sizes: 1024x1024, 1792x1024, 1024x1792; not 512x512/,
		],
		[{ model: 'dall-e-3', seed: 7 }, /seed: dall-e-3 takes no seed.*flux-schnell/],
		[{ model: 'dall-e-3', steps: 4 }, /steps: dall-e-3 takes no steps/],
		[{ model: 'dall-e-3', quality: 'low' }, /quality: dall-e-3 does not take "low"\. Allowed: standard, hd\./],
		[
			{ model: 'dall-e-3', reference_images: ['https://example.com/a.png'] },
			/dall-e-3 does not take reference images\. Use a model that does: .*gpt-image-1/,
		],
		[{ model: 'dall-e-3', sampler: 'Euler a' }, /sampler: dall-e-3 has no sampler option.*sd-webui/],
		[
			{ model: 'flux-schnell', background: 'transparent' },
			/background: flux-schnell has no background option.*gpt-image-1/,
		],
		[
			{ model: 'flash', width: 1024, height: 1024 },
			/flash is sized by aspect_ratio \(.*16:9.*\) and image_size \(1K, 2K, 4K\), not pixels/,
		],
		[{ model: 'flash', aspect_ratio: '9:21' }, /aspect_ratio: flash does not make 9:21\. Allowed: /],
		[{ model: 'sdxl-base', strength: 0.5 }, /strength: applies only with reference_images/],
		[{ model: 'sdxl-base', mask_image: 'https://example.com/m.png' }, /a mask needs reference_images/],
		[{ model: 'sd-1.5-img2img' }, /sd-1.5-img2img edits an existing image, so it needs one/],
		[
			{ model: 'sd-1.5-inpainting', reference_images: ['https://example.com/a.png'] },
			/sd-1.5-inpainting repaints the white part of a mask, so it needs one/,
		],
		[
			{ model: 'sdxl-base', reference_images: ['https://example.com/a.png', 'https://example.com/b.png'] },
			/sdxl-base takes at most 1, not 2\. Models that take 2: /,
		],
		[
			{ model: 'no-such-model' },
			/unknown model "no-such-model"\. Allowed models: offline, flux-schnell, .*, or "auto"\./,
		],
	])('%j', (args, message) => {
		expect(refusal(args)).toMatch(message);
	});

	it('refuses a configured-elsewhere model with what enables it', () => {
		expect(refusal({ model: 'dall-e-3' }, env)).toMatch(
			/model: "dall-e-3" is not configured in this deployment \(it needs OPENAI_API_KEY\)\. Allowed models: offline, /,
		);
	});

	it('refuses unsafe or malformed reference URLs at creation, naming the item', () => {
		expect(refusal({ model: 'sdxl-base', reference_images: ['http://example.com/a.png'] })).toMatch(
			/^reference_images\[0\]: .*https/,
		);
		expect(refusal({ model: 'sdxl-base', reference_images: ['https://127.0.0.1/a.png'] })).toMatch(
			/^reference_images\[0\]: /,
		);
		expect(refusal({ model: 'sdxl-base', reference_images: ['a cat picture'] })).toMatch(
			/reference_images\[0\]: "a cat picture" is neither a job id nor a URL\. Give a job id of yours/,
		);
	});
});

describe('what a valid request stores', () => {
	it('stores only what the model takes, with its defaults filled in', () => {
		expect(params({ model: 'dall-e-3', aspect_ratio: '16:9' })).toMatchObject({
			model: 'dall-e-3',
			width: 1792,
			height: 1024,
			quality: 'standard',
			style: 'vivid',
		});
		expect(params({ model: 'dall-e-3' }).steps).toBeUndefined();
		expect(params({ model: 'flash', aspect_ratio: '16:9', image_size: '2K' })).toMatchObject({
			aspect_ratio: '16:9',
			image_size: '2K',
		});
		expect(params({ model: 'sdxl-base', aspect_ratio: '16:9', guidance: 9 })).toMatchObject({
			width: 1344,
			height: 768,
			guidance: 9,
			steps: 20,
		});
	});

	it('lets a ratio-sized model keep the shape of the image it edits when no aspect_ratio is given', () => {
		const edit = params({ model: 'flash', reference_images: ['https://cdn.example.com/scene.png'] });
		expect(edit.aspect_ratio).toBeUndefined();
		expect(edit.image_size).toBe('1K');
		expect(params({ model: 'flash' }).aspect_ratio).toBe('1:1');
		expect(
			params({ model: 'flash', aspect_ratio: '16:9', reference_images: ['https://cdn.example.com/scene.png'] })
				.aspect_ratio,
		).toBe('16:9');
	});

	it('keeps reference images as specs: own images by R2 key, URLs as given', () => {
		const jobId = crypto.randomUUID();
		const stored = params({
			model: 'sdxl-base',
			reference_images: [`image://${jobId}/0`],
			mask_image: 'https://cdn.example.com/mask.png',
		});
		expect(stored.reference_images).toEqual([{ kind: 'image', r2_key: `${jobId}/0` }]);
		expect(stored.mask).toEqual({ kind: 'url', url: 'https://cdn.example.com/mask.png' });
		for (const form of [jobId, `${jobId}/0`, `https://img.example.com/images/${jobId}/0.png`]) {
			expect(params({ model: 'sdxl-base', reference_images: [form] }).reference_images).toEqual([
				{ kind: 'image', r2_key: `${jobId}/0` },
			]);
		}
	});
});

describe('model: "auto"', () => {
	it('picks a model good at text when the prompt asks for lettering, and says why', () => {
		const picked = params({ model: 'auto', prompt: 'a coffee shop logo with the words "BEAN THERE"' });
		const chosen = resolve({ model: 'auto', prompt: 'a coffee shop logo with the words "BEAN THERE"' });
		expect(chosen.ok && chosen.value.entry.capabilities.goodAtText).toBe(true);
		expect(picked.auto_reason).toMatch(
			/^auto: picked \S+ for a logo\/typography request \(the prompt asks for text in the image \("logo"\)\)/,
		);
	});

	it('uses the deployment default when nothing special is asked', () => {
		const picked = params({ model: 'auto' });
		expect(picked.model).toBe('flux-schnell');
		expect(picked.auto_reason).toBe(
			'auto: picked flux-schnell for a general request (no cue for a particular kind of image): it is the deployment default.',
		);
	});

	it('moves off the default to a model that takes the reference images, and to one with a transparent background', () => {
		const withReferences = resolve({
			model: 'auto',
			reference_images: ['https://example.com/a.png', 'https://example.com/b.png'],
		});
		if (!withReferences.ok) throw new Error(withReferences.error);
		expect(withReferences.value.entry.capabilities.maxReferenceImages).toBeGreaterThanOrEqual(2);
		expect(withReferences.value.params.auto_reason).toMatch(
			/^auto: picked flash for an editing request with reference images \(2 reference images\): it is the first choice/,
		);

		const transparent = resolve({ model: 'auto', background: 'transparent' });
		if (!transparent.ok) throw new Error(transparent.error);
		expect(transparent.value.entry.capabilities.background?.values).toContain('transparent');
	});

	it('says what the default objected to when no model can do it', () => {
		expect(refusal({ model: 'auto', steps: 999 })).toMatch(
			/"auto" found no configured model that accepts all of these arguments\. With the default model flux-schnell: steps: 999/,
		);
	});

	it('says which model it picked and why at the top of a generate_image_and_wait result', async () => {
		const result = await callWith({}, 'generate_image_and_wait', {
			prompt: 'a poster that says "JAZZ NIGHT"',
			model: 'auto',
			count: 2,
		});
		const json = textJson(result);
		expect(json.status).toBeUndefined();
		expect(json.completed).toBe(2);
		expect(json.model_choice).toMatch(
			/^auto: picked \S+ for a logo\/typography request \(the prompt asks for text in the image \("poster"\)\)/,
		);
		expect((json.results as { model_choice?: string }[]).map((view) => view.model_choice)).toEqual([
			json.model_choice,
			json.model_choice,
		]);
	});

	it('locally picks among the offline provider and the stand-ins', () => {
		const picked = params({ model: 'auto', prompt: 'a poster for a jazz night' }, env);
		expect(['offline', 'flux-2-dev', 'flux-2-klein-4b', 'flux-2-klein-9b', 'lucid-origin', 'phoenix']).toContain(
			picked.model,
		);
	});
});

async function callWith(deployment: Partial<Env>, name: string, args: Record<string, unknown>): Promise<ToolResult> {
	const response = await postWithEnv(deployment, rpcBody('tools/call', { name, arguments: args }));
	const body = (await response.json()) as { result: ToolResult };
	return body.result;
}

describe('reference images end to end', () => {
	it("accepts the caller's own finished image, refuses another user's exactly like an unknown one", async () => {
		const mine = await insertJob({ status: 'completed' });
		await getDb(env)
			.insert(images)
			.values({
				id: `${mine.id}/0`,
				jobId: mine.id,
				idx: 0,
				owner: 'default',
				r2Key: `${mine.id}/0`,
				contentType: 'image/jpeg',
				width: 8,
				height: 8,
				bytes: 100,
				createdAt: Date.now(),
			});
		const theirs = await insertJob({ status: 'completed', owner: 'someone-else' });
		const unknown = crypto.randomUUID();

		const ok = await callWith({}, 'generate_image', { prompt: 'same at night', reference_images: [mine.id] });
		expect(ok.isError).toBeFalsy();
		const row = await readJobRow(String(textJson(ok).job_id));
		expect(row?.params.reference_images).toEqual([{ kind: 'image', r2_key: `${mine.id}/0` }]);

		const other = await callWith({}, 'generate_image', { prompt: 'x', reference_images: [theirs.id] });
		const missing = await callWith({}, 'generate_image', { prompt: 'x', reference_images: [unknown] });
		expect(other.isError).toBe(true);
		expect(other.content[0]?.text).toBe(missing.content[0]?.text?.replaceAll(unknown, theirs.id));
		expect(other.content[0]?.text).toMatch(/no finished image .* of yours/);
	});

	it('hands the stored bytes of an earlier image to the provider (img2img on Workers AI)', async () => {
		const source = await insertJob({ status: 'completed' });
		const sourceBytes = fakeJpeg(64, 48);
		await env.IMAGES.put(`${source.id}/0`, sourceBytes);
		const { ai, calls } = scriptedAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		const job = await insertJob({
			model: 'sdxl-base',
			params: {
				width: 1024,
				height: 1024,
				steps: 20,
				strength: 0.6,
				reference_images: [{ kind: 'image', r2_key: `${source.id}/0` }],
			},
		});
		expect(await runJob({ ...env, AI: ai } as Env, job.id, 1)).toEqual({ action: 'ack' });
		expect((await readJobRow(job.id))?.status).toBe('completed');
		const input = calls[0]?.input ?? {};
		const sent = input.image_b64 ?? input.image;
		const sentBytes =
			typeof sent === 'string' ? Uint8Array.from(atob(sent), (c) => c.charCodeAt(0)) : new Uint8Array(sent as number[]);
		expect([...sentBytes]).toEqual([...sourceBytes]);
		expect(input.strength).toBe(0.6);
	});

	it('fails the job with a clear, final error when a referenced image has been deleted', async () => {
		const { ai, calls } = scriptedAi([{ image: base64(fakeJpeg(8, 8)) }]);
		const job = await insertJob({
			model: 'sdxl-base',
			params: {
				width: 1024,
				height: 1024,
				steps: 20,
				reference_images: [{ kind: 'image', r2_key: `${crypto.randomUUID()}/0` }],
			},
		});
		expect(await runJob({ ...env, AI: ai } as Env, job.id, 1)).toEqual({ action: 'ack' });
		const row = await readJobRow(job.id);
		expect(row?.status).toBe('failed');
		expect(row?.errorCode).toBe('invalid_request');
		expect(row?.error).toMatch(/no longer exists \(deleted or expired\)/);
		expect(calls).toEqual([]);
	});
});

describe('reference image memory cap', () => {
	it('fails a job whose references add up to more than 32 MiB, before any provider call', async () => {
		const keys: string[] = [];
		for (let index = 0; index < 3; index++) {
			const source = await insertJob({ status: 'completed' });
			const big = new Uint8Array(11 * 1024 * 1024);
			big.set(fakeJpeg(64, 64));
			await env.IMAGES.put(`${source.id}/0`, big);
			keys.push(`${source.id}/0`);
		}
		const job = await insertJob({
			params: {
				width: 64,
				height: 64,
				steps: 4,
				reference_images: keys.map((key) => ({ kind: 'image', r2_key: key })),
			},
		});
		expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
		const row = await readJobRow(job.id);
		expect(row?.status).toBe('failed');
		expect(row?.error).toBe('The reference images add up to more than 32 MiB; use fewer or smaller images.');
		expect(await env.IMAGES.head(`${job.id}/0`)).toBeNull();
	});
});

describe('list_models', () => {
	it('shows each configured model with its capabilities, and unconfigured ones only when asked', async () => {
		const local = textJson(await callWith({}, 'list_models', {}));
		const localNames = (local.models as { name: string }[]).map((model) => model.name);
		expect(localNames).toContain('offline');
		expect(localNames).not.toContain('dall-e-3');

		const all = textJson(await callWith({}, 'list_models', { include_unavailable: true }));
		const dalle = (all.models as Record<string, unknown>[]).find((model) => model.name === 'dall-e-3');
		expect(dalle).toMatchObject({
			available: false,
			configure_with: 'OPENAI_API_KEY',
			size_kind: 'list',
			sizes: ['1024x1024', '1792x1024', '1024x1792'],
			seed: 'none',
			quality: { values: ['standard', 'hd'], default: 'standard' },
		});

		const deployed = textJson(await callWith({ OPENAI_API_KEY: 'sk-test' }, 'list_models', {}));
		expect((deployed.models as { name: string }[]).map((model) => model.name)).toContain('dall-e-3');
	});
});
