/**
 * The Workers AI provider against a scripted `AI` binding (the real one needs Cloudflare's
 * network). Inputs are the shapes on each model's page at
 * developers.cloudflare.com/workers-ai/models/<name>/ (FLUX.2: multipart form data with
 * `input_image_N` files); outputs are the three shapes the binding hands back (`{image}` JSON,
 * the response body as a stream, raw bytes); errors are what the binding throws:
 * `InferenceUpstreamError` with "<internal code>: <description>" (workerd ai-api.ts), codes
 * per developers.cloudflare.com/workers-ai/platform/errors/.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/errors';
import type { GeneratedImage, GenerationRequest, ReferenceImage } from '../../src/providers/types';
import {
	buildWorkersAiInput,
	mapWorkersAiError,
	readWorkersAiOutput,
	workersAiProvider,
} from '../../src/providers/workers-ai';
import { WORKERS_AI_MODELS } from '../../src/providers/workers-ai.models';
import { encodePng } from '../../src/storage/png';
import { base64, fakeJpeg } from '../helpers/fixtures';

interface AiCall {
	model: string;
	input: Record<string, unknown>;
	options: { signal?: AbortSignal } | undefined;
}

type Step = unknown | Error | ((options: AiCall['options']) => Promise<unknown>);

/** A stand-in `AI` binding: records each call (options included) and plays the next scripted step. */
function fakeAi(steps: Step[]) {
	const calls: AiCall[] = [];
	const ai = {
		async run(model: string, input: Record<string, unknown>, options?: AiCall['options']) {
			calls.push({ model, input, options });
			const step = steps.length > 1 ? steps.shift() : steps[0];
			if (step instanceof Error) throw step;
			if (typeof step === 'function') return step(options);
			return step;
		},
	};
	return { ai: ai as unknown as Ai, calls };
}

/** What the binding throws for a failed inference (workerd's InferenceUpstreamError). */
function upstreamError(message: string): Error {
	const error = new Error(message);
	error.name = 'InferenceUpstreamError';
	return error;
}

const ENTRY_BY_ALIAS = new Map(WORKERS_AI_MODELS.map((entry) => [entry.alias, entry]));

function upstreamIdOf(alias: string): string {
	const entry = ENTRY_BY_ALIAS.get(alias);
	if (!entry) throw new Error(`no Workers AI model ${alias}`);
	return entry.upstreamId;
}

function request(alias: string, overrides: Partial<GenerationRequest> = {}): GenerationRequest {
	return {
		model: alias,
		upstreamId: upstreamIdOf(alias),
		prompt: 'a lighthouse at dusk',
		width: 1024,
		height: 1024,
		seed: 7,
		...overrides,
	};
}

function generate(
	ai: Ai,
	alias: string,
	overrides: Partial<GenerationRequest> = {},
	signal: AbortSignal = AbortSignal.timeout(5000),
): Promise<GeneratedImage> {
	return workersAiProvider.generate(request(alias, overrides), { env: { ...env, AI: ai } as Env, signal });
}

async function pngReference(width = 4, height = 4): Promise<ReferenceImage> {
	const bytes = await encodePng(new Uint8Array(width * height * 3).fill(90), width, height);
	return { bytes, contentType: 'image/png', width, height };
}

function jpegReference(width = 8, height = 6): ReferenceImage {
	return { bytes: fakeJpeg(width, height), contentType: 'image/jpeg', width, height };
}

/** Reads a FLUX.2 multipart input back into its form, as Workers AI's server would. */
async function multipartForm(input: Record<string, unknown>): Promise<FormData> {
	const multipart = input.multipart as { body: ReadableStream; contentType: string };
	expect(Object.keys(input)).toEqual(['multipart']);
	expect(multipart.body).toBeInstanceOf(ReadableStream);
	expect(multipart.contentType).toMatch(/^multipart\/form-data; boundary=/);
	return new Response(multipart.body, { headers: { 'content-type': multipart.contentType } }).formData();
}

function textFields(form: FormData): Record<string, string> {
	const fields: Record<string, string> = {};
	for (const [name, value] of form.entries()) if (typeof value === 'string') fields[name] = value;
	return fields;
}

async function fileBytes(form: FormData, name: string): Promise<{ bytes: Uint8Array; type: string }> {
	const file = form.get(name);
	if (!(file instanceof Blob)) throw new Error(`${name} is not a file`);
	return { bytes: new Uint8Array(await file.arrayBuffer()), type: file.type };
}

async function expectProviderError(
	promise: Promise<unknown>,
	kind: ProviderErrorKind,
	message?: RegExp,
): Promise<ProviderError> {
	const error = await promise.then(
		() => undefined,
		(thrown: unknown) => thrown,
	);
	expect(error).toBeInstanceOf(ProviderError);
	const typed = error as ProviderError;
	expect(typed.kind).toBe(kind);
	if (message) expect(typed.message).toMatch(message);
	return typed;
}

describe('workersAiProvider: binding', () => {
	it('is configured exactly when the AI binding is present', () => {
		expect(workersAiProvider.isConfigured({ ...env, AI: fakeAi([]).ai } as Env)).toBe(true);
		expect(workersAiProvider.isConfigured({ ...env, AI: undefined } as Env)).toBe(false);
	});

	it('fails as unavailable, naming the AI binding, when the Worker has none', async () => {
		const call = workersAiProvider.generate(request('flux-schnell'), {
			env: { ...env, AI: undefined } as Env,
			signal: AbortSignal.timeout(5000),
		});
		await expectProviderError(call, 'unavailable', /binding AI/);
	});

	it('calls the upstream id and passes the call signal to AI.run', async () => {
		const { ai, calls } = fakeAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		const signal = AbortSignal.timeout(5000);
		await generate(ai, 'flux-schnell', {}, signal);
		expect(calls).toHaveLength(1);
		expect(calls[0]?.model).toBe('@cf/black-forest-labs/flux-1-schnell');
		expect(calls[0]?.options?.signal).toBe(signal);
	});

	it('reports the seed it sent', async () => {
		const { ai } = fakeAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		expect((await generate(ai, 'flux-schnell', { seed: 1234 })).seed).toBe(1234);
	});
});

describe('workersAiProvider: inputs per model family', () => {
	it('FLUX.1 schnell gets prompt, steps and seed only (no size: it is always 1024×1024)', async () => {
		const { ai, calls } = fakeAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		await generate(ai, 'flux-schnell', { steps: 6, seed: 99 });
		expect(calls[0]?.input).toStrictEqual({ prompt: 'a lighthouse at dusk', steps: 6, seed: 99 });
	});

	it('SDXL gets width, height, num_steps, negative_prompt, guidance and seed', async () => {
		const { ai, calls } = fakeAi([new Blob([fakeJpeg(768, 512)]).stream()]);
		await generate(ai, 'sdxl-base', {
			width: 768,
			height: 512,
			steps: 15,
			negativePrompt: 'blurry, text',
			guidance: 9,
			seed: 5,
		});
		expect(calls[0]).toMatchObject({ model: '@cf/stabilityai/stable-diffusion-xl-base-1.0' });
		expect(calls[0]?.input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			negative_prompt: 'blurry, text',
			width: 768,
			height: 512,
			num_steps: 15,
			guidance: 9,
			seed: 5,
		});
	});

	it('SDXL leaves out the options the caller did not give (upstream defaults apply)', async () => {
		const { ai, calls } = fakeAi([new Blob([fakeJpeg(512, 512)]).stream()]);
		await generate(ai, 'sdxl-lightning', { width: 512, height: 512, steps: 20 });
		expect(calls[0]?.input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: 512,
			height: 512,
			num_steps: 20,
			seed: 7,
		});
	});

	it('DreamShaper takes the same Stable Diffusion fields', async () => {
		const { ai, calls } = fakeAi([new Blob([fakeJpeg(512, 512)]).stream()]);
		await generate(ai, 'dreamshaper', { width: 512, height: 768, steps: 8, guidance: 2 });
		expect(calls[0]).toMatchObject({ model: '@cf/lykon/dreamshaper-8-lcm' });
		expect(calls[0]?.input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: 512,
			height: 768,
			num_steps: 8,
			guidance: 2,
			seed: 7,
		});
	});

	it("img2img sends the reference image as a plain byte array (the docs' form) with strength", async () => {
		const reference = await pngReference();
		const { ai, calls } = fakeAi([new Blob([fakeJpeg(512, 512)]).stream()]);
		await generate(ai, 'sd-1.5-img2img', {
			width: 512,
			height: 512,
			steps: 20,
			strength: 0.6,
			referenceImages: [reference],
		});
		const input = calls[0]?.input ?? {};
		expect(calls[0]?.model).toBe('@cf/runwayml/stable-diffusion-v1-5-img2img');
		// A typed array would JSON-encode as {"0":…}; the binding JSON-encodes its input.
		expect(Array.isArray(input.image)).toBe(true);
		expect(input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: 512,
			height: 512,
			num_steps: 20,
			seed: 7,
			image: Array.from(reference.bytes),
			strength: 0.6,
		});
		expect(JSON.parse(JSON.stringify(input)).image).toEqual(Array.from(reference.bytes));
	});

	it('inpainting sends the image and the mask as byte arrays', async () => {
		const reference = await pngReference(8, 8);
		const mask = await pngReference(8, 8);
		mask.bytes = await encodePng(new Uint8Array(8 * 8 * 3).fill(255), 8, 8);
		const { ai, calls } = fakeAi([new Blob([fakeJpeg(512, 512)]).stream()]);
		await generate(ai, 'sd-1.5-inpainting', {
			width: 512,
			height: 512,
			steps: 20,
			referenceImages: [reference],
			mask,
		});
		expect(calls[0]?.model).toBe('@cf/runwayml/stable-diffusion-v1-5-inpainting');
		expect(calls[0]?.input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: 512,
			height: 512,
			num_steps: 20,
			seed: 7,
			image: Array.from(reference.bytes),
			mask: Array.from(mask.bytes),
		});
	});

	it('FLUX.2 dev gets a multipart form: prompt, size, steps, guidance, seed and input_image_N files', async () => {
		const png = await pngReference();
		const jpeg = jpegReference();
		const { ai, calls } = fakeAi([{ image: base64(fakeJpeg(1024, 768)) }]);
		await generate(ai, 'flux-2-dev', {
			prompt: 'take the subject of image 1 and style it like image 0',
			width: 1024,
			height: 768,
			steps: 25,
			guidance: 3.5,
			seed: 11,
			referenceImages: [png, jpeg],
		});
		expect(calls[0]?.model).toBe('@cf/black-forest-labs/flux-2-dev');
		const form = await multipartForm(calls[0]?.input ?? {});
		expect(textFields(form)).toStrictEqual({
			prompt: 'take the subject of image 1 and style it like image 0',
			width: '1024',
			height: '768',
			steps: '25',
			guidance: '3.5',
			seed: '11',
		});
		expect(await fileBytes(form, 'input_image_0')).toEqual({ bytes: png.bytes, type: 'image/png' });
		expect(await fileBytes(form, 'input_image_1')).toEqual({ bytes: jpeg.bytes, type: 'image/jpeg' });
		expect(form.has('input_image_2')).toBe(false);
	});

	it('FLUX.2 takes multipart even for a prompt alone', async () => {
		const { ai, calls } = fakeAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		await generate(ai, 'flux-2-klein-4b', { steps: 4 });
		const form = await multipartForm(calls[0]?.input ?? {});
		expect(textFields(form)).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: '1024',
			height: '1024',
			seed: '7',
		});
	});

	it('FLUX.2 klein 9B sends no steps (fixed at 4 upstream) and up to 4 input images', async () => {
		const references = [await pngReference(), jpegReference(), await pngReference(6, 6), jpegReference(4, 4)];
		const { ai, calls } = fakeAi([{ image: base64(fakeJpeg(512, 512)) }]);
		await generate(ai, 'flux-2-klein-9b', { width: 512, height: 512, steps: 4, referenceImages: references });
		expect(calls[0]?.model).toBe('@cf/black-forest-labs/flux-2-klein-9b');
		const form = await multipartForm(calls[0]?.input ?? {});
		expect(form.has('steps')).toBe(false);
		expect(textFields(form)).toStrictEqual({ prompt: 'a lighthouse at dusk', width: '512', height: '512', seed: '7' });
		for (const [index, reference] of references.entries()) {
			expect(await fileBytes(form, `input_image_${index}`)).toEqual({
				bytes: reference.bytes,
				type: reference.contentType,
			});
		}
	});

	it('Lucid Origin gets width, height, num_steps, guidance and seed', async () => {
		const { ai, calls } = fakeAi([{ image: base64(fakeJpeg(1120, 1120)) }]);
		await generate(ai, 'lucid-origin', { width: 1120, height: 1120, steps: 30, guidance: 4.5, seed: 3 });
		expect(calls[0]?.model).toBe('@cf/leonardo/lucid-origin');
		expect(calls[0]?.input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: 1120,
			height: 1120,
			num_steps: 30,
			guidance: 4.5,
			seed: 3,
		});
	});

	it('Phoenix gets num_steps, guidance, seed and negative_prompt', async () => {
		const { ai, calls } = fakeAi([new Blob([fakeJpeg(1024, 1024)]).stream()]);
		await generate(ai, 'phoenix', { steps: 25, guidance: 2, negativePrompt: 'watermark' });
		expect(calls[0]?.model).toBe('@cf/leonardo/phoenix-1.0');
		expect(calls[0]?.input).toStrictEqual({
			prompt: 'a lighthouse at dusk',
			width: 1024,
			height: 1024,
			num_steps: 25,
			guidance: 2,
			seed: 7,
			negative_prompt: 'watermark',
		});
	});

	it('keeps the request shape of the alias when MODEL_OVERRIDES points it at another upstream id', () => {
		const input = buildWorkersAiInput(
			request('flux-2-dev', { upstreamId: '@cf/black-forest-labs/flux-2-dev-next', steps: 20 }),
		);
		expect(Object.keys(input)).toEqual(['multipart']);
		const schnell = buildWorkersAiInput(request('flux-schnell', { upstreamId: '@cf/example/renamed', steps: 4 }));
		expect(schnell).toStrictEqual({ prompt: 'a lighthouse at dusk', steps: 4, seed: 7 });
	});
});

describe('workersAiProvider: output shapes', () => {
	const jpeg = fakeJpeg(64, 48);
	const shapes: [string, () => unknown][] = [
		['base64 JSON', () => ({ image: base64(jpeg) })],
		['base64 data URL', () => ({ image: `data:image/jpeg;base64,${base64(jpeg)}` })],
		['byte stream', () => new Blob([jpeg.slice(0, 20), jpeg.slice(20)]).stream()],
		['Uint8Array', () => jpeg.slice()],
		['ArrayBuffer', () => jpeg.slice().buffer],
	];
	const models = ['flux-schnell', 'sdxl-lightning', 'flux-2-klein-4b', 'lucid-origin', 'phoenix'];

	for (const [shape, output] of shapes) {
		for (const alias of models) {
			it(`reads ${shape} from ${alias}`, async () => {
				const { ai } = fakeAi([output()]);
				expect((await generate(ai, alias, { steps: 4 })).bytes).toEqual(jpeg);
			});
		}
	}

	it('reads a Response body, should the binding hand one back', async () => {
		expect(await readWorkersAiOutput(new Response(jpeg))).toEqual(jpeg);
	});

	const malformed: [string, () => unknown][] = [
		['an empty object', () => ({})],
		['a number', () => 42],
		['null', () => null],
		['a string', () => 'not an image'],
		['a non-string image field', () => ({ image: 42 })],
		['invalid base64', () => ({ image: '***not base64***' })],
		['an empty stream', () => new Blob([]).stream()],
		['empty bytes', () => new Uint8Array(0)],
	];
	for (const [name, output] of malformed) {
		it(`treats ${name} as a transient failure`, async () => {
			const { ai } = fakeAi([output()]);
			await expectProviderError(generate(ai, 'flux-schnell', { steps: 4 }), 'transient');
		});
	}
});

describe('workersAiProvider: errors', () => {
	const cases: [string, Error, ProviderErrorKind, RegExp][] = [
		[
			'out of capacity (3040)',
			upstreamError('3040: Capacity temporarily exceeded, please try again.'),
			'rate_limited',
			/rate limiting|capacity/,
		],
		['a 429', upstreamError('429 Too Many Requests'), 'rate_limited', /retrying shortly/],
		[
			'an NSFW prompt (3030)',
			upstreamError('3030: Input prompt contains NSFW content.'),
			'content_policy',
			/content policy: 3030: Input prompt contains NSFW content/,
		],
		[
			'a validation failure (5006)',
			upstreamError("5006: Error: required properties at '/' are 'prompt'"),
			'invalid_request',
			/rejected the request: 5006: Error: required properties/,
		],
		[
			'invalid data (5004)',
			upstreamError('5004: Invalid data type for base64 input: number'),
			'invalid_request',
			/rejected the request/,
		],
		['a request too large (3006)', upstreamError('3006: Request is too large'), 'invalid_request', /smaller/],
		['an auth failure (403)', upstreamError('403 Forbidden'), 'auth', /AI binding/],
		['a blocked account (3023)', upstreamError('3023: Service unavailable for account'), 'auth', /AI binding/],
		[
			'an unknown model (5007)',
			upstreamError('5007: No such model @cf/black-forest-labs/flux-1-schnell or task'),
			'unavailable',
			/does not know the model "@cf\/black-forest-labs\/flux-1-schnell".*MODEL_OVERRIDES/,
		],
		['an invalid model id (3042)', upstreamError('3042: The model name is invalid'), 'unavailable', /MODEL_OVERRIDES/],
		[
			'the daily free allocation spent (3036)',
			upstreamError(
				"3036: You have used up your daily free allocation of 10,000 neurons. Please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
			),
			'unavailable',
			/00:00 UTC/,
		],
		[
			'a model needing Workers Paid (5035)',
			upstreamError('5035: This model requires the Workers Paid plan'),
			'unavailable',
			/Workers Paid/,
		],
		['an upstream timeout (3007)', upstreamError('3007: Request timeout'), 'transient', /in time/],
		['a 5xx', upstreamError('AiError: 503 upstream unavailable'), 'transient', /temporarily/],
		['an unrecognised failure', new Error('network connection lost'), 'transient', /temporarily/],
	];

	for (const [name, thrown, kind, message] of cases) {
		it(`maps ${name} to ${kind}`, async () => {
			const { ai } = fakeAi([thrown]);
			await expectProviderError(generate(ai, 'flux-schnell', { steps: 4 }), kind, message);
		});
	}

	it('asks for at least 10 s before retrying a rate limit', async () => {
		const { ai } = fakeAi([upstreamError('3040: Capacity temporarily exceeded, please try again.')]);
		const error = await expectProviderError(generate(ai, 'flux-schnell', { steps: 4 }), 'rate_limited');
		expect(error.retryAfterSeconds).toBe(10);
	});

	it('turns a binding that outlives the call timeout into a transient failure', async () => {
		const { ai, calls } = fakeAi([
			(options: AiCall['options']) =>
				new Promise((_, reject) => {
					options?.signal?.addEventListener('abort', () => reject(options.signal?.reason));
				}),
		]);
		await expectProviderError(generate(ai, 'phoenix', { steps: 25 }, AbortSignal.timeout(50)), 'transient', /in time/);
		expect(calls[0]?.options?.signal?.aborted).toBe(true);
	});

	it('treats whatever the binding throws after the signal fired as a timeout', () => {
		const controller = new AbortController();
		controller.abort();
		expect(mapWorkersAiError(new Error('400 bad'), { signal: controller.signal }).kind).toBe('transient');
	});

	it('keeps upstream text on the wire bounded and on one line', async () => {
		const { ai } = fakeAi([upstreamError(`5006: Error: ${'x'.repeat(1000)}\nsecond line`)]);
		const error = await expectProviderError(generate(ai, 'flux-schnell', { steps: 4 }), 'invalid_request');
		expect(error.message.length).toBeLessThan(400);
		expect(error.message).not.toContain('\n');
	});
});

describe('WORKERS_AI_MODELS', () => {
	const upstreamIds = [
		'@cf/black-forest-labs/flux-1-schnell',
		'@cf/bytedance/stable-diffusion-xl-lightning',
		'@cf/stabilityai/stable-diffusion-xl-base-1.0',
		'@cf/lykon/dreamshaper-8-lcm',
		'@cf/runwayml/stable-diffusion-v1-5-img2img',
		'@cf/runwayml/stable-diffusion-v1-5-inpainting',
		'@cf/black-forest-labs/flux-2-dev',
		'@cf/black-forest-labs/flux-2-klein-4b',
		'@cf/black-forest-labs/flux-2-klein-9b',
		'@cf/leonardo/lucid-origin',
		'@cf/leonardo/phoenix-1.0',
	];

	it('covers every Workers AI text-to-image model, each once', () => {
		expect(WORKERS_AI_MODELS.map((entry) => entry.upstreamId).sort()).toEqual([...upstreamIds].sort());
	});

	it('keeps the seed names and their aliases', () => {
		expect(ENTRY_BY_ALIAS.get('flux-schnell')?.aliases).toEqual(
			expect.arrayContaining(['@cf/black-forest-labs/flux-1-schnell', 'flux-1-schnell']),
		);
		expect(ENTRY_BY_ALIAS.get('sdxl-lightning')?.aliases).toContain('@cf/bytedance/stable-diffusion-xl-lightning');
		expect(ENTRY_BY_ALIAS.get('sdxl-base')?.aliases).toEqual(
			expect.arrayContaining(['@cf/stabilityai/stable-diffusion-xl-base-1.0', 'sdxl']),
		);
	});

	it('accepts the upstream id of every entry as a name, and no name twice', () => {
		const names = WORKERS_AI_MODELS.flatMap((entry) => [entry.alias, ...entry.aliases]);
		expect(new Set(names).size).toBe(names.length);
		for (const entry of WORKERS_AI_MODELS) {
			expect(entry.aliases, entry.alias).toContain(entry.upstreamId);
			expect(entry.alias, entry.alias).toMatch(/^[a-z0-9.-]+$/);
			expect(entry.provider).toBe(workersAiProvider);
		}
	});

	it('gives every entry a steps default inside its range', () => {
		for (const entry of WORKERS_AI_MODELS) {
			const steps = entry.capabilities.steps;
			expect(steps, entry.alias).toBeDefined();
			if (!steps) continue;
			expect(steps.min, entry.alias).toBeLessThanOrEqual(steps.default);
			expect(steps.default, entry.alias).toBeLessThanOrEqual(steps.max);
		}
	});

	it('gives every entry a default size its own size rule allows, and guidance defaults inside their range', () => {
		for (const entry of WORKERS_AI_MODELS) {
			const { size, defaultSize, guidance } = entry.capabilities;
			if (size.kind === 'fixed') {
				expect(defaultSize, entry.alias).toEqual({ width: size.width, height: size.height });
			} else if (size.kind === 'range') {
				for (const side of [defaultSize.width, defaultSize.height]) {
					expect(side, entry.alias).toBeGreaterThanOrEqual(size.min);
					expect(side, entry.alias).toBeLessThanOrEqual(size.max);
					expect(side % size.multipleOf, entry.alias).toBe(0);
				}
			} else {
				throw new Error(`${entry.alias}: Workers AI models are sized in pixels`);
			}
			if (guidance) {
				expect(guidance.min, entry.alias).toBeLessThanOrEqual(guidance.default);
				expect(guidance.default, entry.alias).toBeLessThanOrEqual(guidance.max);
			}
		}
	});

	it('marks the edit-only models as needing a reference image (and inpainting a mask)', () => {
		expect(ENTRY_BY_ALIAS.get('sd-1.5-img2img')?.capabilities).toMatchObject({
			requiresReferenceImage: true,
			maxReferenceImages: 1,
			strength: true,
			mask: false,
		});
		expect(ENTRY_BY_ALIAS.get('sd-1.5-inpainting')?.capabilities).toMatchObject({
			requiresReferenceImage: true,
			maxReferenceImages: 1,
			mask: 'required',
		});
		for (const alias of ['flux-2-dev', 'flux-2-klein-4b', 'flux-2-klein-9b']) {
			expect(ENTRY_BY_ALIAS.get(alias)?.capabilities.maxReferenceImages, alias).toBe(4);
		}
	});

	it('prices with per-megapixel figures, zero only for the unbilled beta models', () => {
		const free = new Set(['sdxl-lightning', 'sdxl-base', 'dreamshaper', 'sd-1.5-img2img', 'sd-1.5-inpainting']);
		for (const entry of WORKERS_AI_MODELS) {
			expect(entry.pricing.kind, entry.alias).toBe('per_megapixel');
			if (entry.pricing.kind !== 'per_megapixel') continue;
			if (free.has(entry.alias)) expect(entry.pricing.usd, entry.alias).toBe(0);
			else expect(entry.pricing.usd, entry.alias).toBeGreaterThan(0);
		}
	});
});
