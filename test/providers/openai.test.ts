/**
 * The OpenAI provider against a fake Images API: the exact requests it sends per model
 * (https://platform.openai.com/docs/api-reference/images), how it reads answers, and how
 * each documented failure (https://platform.openai.com/docs/guides/error-codes) reaches the
 * consumer as a typed error.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { findModel, priceOf } from '../../src/providers/catalog';
import { ProviderError } from '../../src/providers/errors';
import { openAiProvider } from '../../src/providers/openai';
import { OPENAI_MODELS } from '../../src/providers/openai.models';
import type { GenerationRequest, ModelEntry, ReferenceImage } from '../../src/providers/types';
import { encodePng } from '../../src/storage/png';
import { hang, jsonResponse, networkError, stubFetch } from '../helpers/fetch-stub';
import { base64, fakeJpeg } from '../helpers/fixtures';

const API_KEY = 'sk-test-0123456789abcdefghij';

function context(overrides: Partial<Env> = {}, signal: AbortSignal = AbortSignal.timeout(5000)) {
	return { env: { ...env, OPENAI_API_KEY: API_KEY, ...overrides } as Env, signal };
}

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
	return {
		model: 'gpt-image-1',
		upstreamId: 'gpt-image-1',
		prompt: 'a poster that says "OPEN LATE" over a night market',
		width: 1024,
		height: 1024,
		...overrides,
	};
}

/** A small real PNG, filled with one grey level so different images have different bytes. */
async function png(width: number, height: number, level = 0): Promise<Uint8Array> {
	return encodePng(new Uint8Array(width * height * 3).fill(level), width, height);
}

async function reference(width: number, height: number, level = 0): Promise<ReferenceImage> {
	return { bytes: await png(width, height, level), contentType: 'image/png', width, height };
}

/** OpenAI's success body: `{created, data: [{b64_json, revised_prompt?}]}`. */
function imagesResponse(bytes: Uint8Array, extra: Record<string, unknown> = {}): Response {
	return jsonResponse({ created: 1_763_700_000, data: [{ b64_json: base64(bytes), ...extra }] });
}

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
function errorResponse(
	status: number,
	error: { message: string; type: string; code: string | null; param?: string | null },
	headers: Record<string, string> = {},
): Response {
	return jsonResponse({ error: { param: null, ...error } }, status, headers);
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(ProviderError);
		return error as ProviderError;
	}
	throw new Error('expected the provider to fail');
}

async function fileBytes(value: File | string | null | undefined): Promise<Uint8Array> {
	expect(value).toBeInstanceOf(File);
	return new Uint8Array(await (value as File).arrayBuffer());
}

function entry(alias: string): ModelEntry {
	const found = OPENAI_MODELS.find((model) => model.alias === alias);
	if (!found) throw new Error(`no catalog entry ${alias}`);
	return found;
}

describe('openAiProvider: configuration', () => {
	it('is configured exactly when OPENAI_API_KEY is set, and names that secret', () => {
		expect(openAiProvider.id).toBe('openai');
		expect(openAiProvider.configuredBy).toBe('OPENAI_API_KEY');
		expect(openAiProvider.isConfigured({ ...env, OPENAI_API_KEY: API_KEY } as Env)).toBe(true);
		expect(openAiProvider.isConfigured({ ...env, OPENAI_API_KEY: undefined } as Env)).toBe(false);
		expect(openAiProvider.isConfigured({ ...env, OPENAI_API_KEY: '' } as Env)).toBe(false);
	});

	it('refuses to run without the key and calls nothing', async () => {
		const calls = stubFetch([]);
		const error = await rejection(openAiProvider.generate(request(), context({ OPENAI_API_KEY: undefined })));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toContain('OPENAI_API_KEY');
		expect(calls).toHaveLength(0);
	});
});

describe('openAiProvider: generation requests', () => {
	it('sends gpt-image-1 its size, quality, background and format as JSON, asking for one image', async () => {
		const image = await png(4, 4, 200);
		const calls = stubFetch([() => imagesResponse(image, {})]);
		const result = await openAiProvider.generate(
			request({ width: 1536, height: 1024, quality: 'high', background: 'transparent', outputFormat: 'webp' }),
			context(),
		);
		expect(calls).toHaveLength(1);
		const [call] = calls;
		expect(call?.method).toBe('POST');
		expect(call?.url).toBe('https://api.openai.com/v1/images/generations');
		expect(call?.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(call?.headers['content-type']).toBe('application/json');
		// GPT Image models refuse response_format: it must not be sent.
		expect(call?.json).toEqual({
			model: 'gpt-image-1',
			prompt: 'a poster that says "OPEN LATE" over a night market',
			size: '1536x1024',
			quality: 'high',
			background: 'transparent',
			output_format: 'webp',
			n: 1,
		});
		expect(result.bytes).toEqual(image);
		expect(result.seed).toBeUndefined();
		expect(result.revisedPrompt).toBeUndefined();
	});

	it('sends dall-e-3 quality, style and b64_json, and returns the prompt it actually used', async () => {
		const image = await png(4, 4, 90);
		const calls = stubFetch([
			() => imagesResponse(image, { revised_prompt: 'A neon-lit night market poster reading "OPEN LATE".' }),
		]);
		const result = await openAiProvider.generate(
			request({
				model: 'dall-e-3',
				upstreamId: 'dall-e-3',
				width: 1792,
				height: 1024,
				quality: 'hd',
				style: 'natural',
			}),
			context(),
		);
		expect(calls[0]?.url).toBe('https://api.openai.com/v1/images/generations');
		expect(calls[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(calls[0]?.json).toEqual({
			model: 'dall-e-3',
			prompt: 'a poster that says "OPEN LATE" over a night market',
			size: '1792x1024',
			quality: 'hd',
			style: 'natural',
			response_format: 'b64_json',
			n: 1,
		});
		expect(result.bytes).toEqual(image);
		expect(result.revisedPrompt).toBe('A neon-lit night market poster reading "OPEN LATE".');
	});

	it('sends dall-e-2 only its size and b64_json', async () => {
		const image = await png(4, 4, 30);
		const calls = stubFetch([() => imagesResponse(image)]);
		const result = await openAiProvider.generate(
			request({ model: 'dall-e-2', upstreamId: 'dall-e-2', width: 512, height: 512 }),
			context(),
		);
		expect(calls[0]?.json).toEqual({
			model: 'dall-e-2',
			prompt: 'a poster that says "OPEN LATE" over a night market',
			size: '512x512',
			response_format: 'b64_json',
			n: 1,
		});
		expect(result.bytes).toEqual(image);
	});

	it('keeps the model’s parameters when MODEL_OVERRIDES renames its upstream id', async () => {
		const calls = stubFetch([async () => imagesResponse(await png(4, 4))]);
		await openAiProvider.generate(
			request({ model: 'dall-e-3', upstreamId: 'dall-e-3-2026-01-01', quality: 'standard', style: 'vivid' }),
			context(),
		);
		expect(calls[0]?.json).toMatchObject({ model: 'dall-e-3-2026-01-01', style: 'vivid', response_format: 'b64_json' });
	});

	it('sends requests to OPENAI_BASE_URL when an operator sets a gateway', async () => {
		const calls = stubFetch([async () => imagesResponse(await png(4, 4))]);
		await openAiProvider.generate(request(), context({ OPENAI_BASE_URL: 'https://gateway.example.com/openai/v1/' }));
		expect(calls[0]?.url).toBe('https://gateway.example.com/openai/v1/images/generations');
		expect(calls[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
	});

	it('refuses a transparent JPEG before paying for a call', async () => {
		const calls = stubFetch([]);
		const error = await rejection(
			openAiProvider.generate(request({ background: 'transparent', outputFormat: 'jpeg' }), context()),
		);
		expect(error.kind).toBe('invalid_request');
		expect(error.message).toMatch(/png or webp/);
		expect(calls).toHaveLength(0);
	});
});

describe('openAiProvider: edits with reference images', () => {
	it('posts gpt-image-1 edits as multipart: every reference as image[] with its type, then the mask', async () => {
		const first = await reference(8, 8, 10);
		const second: ReferenceImage = { bytes: fakeJpeg(16, 9), contentType: 'image/jpeg', width: 16, height: 9 };
		const mask = await reference(8, 8, 255);
		const image = await png(4, 4, 120);
		const calls = stubFetch([() => imagesResponse(image)]);
		const result = await openAiProvider.generate(
			request({
				prompt: 'put the logo from the second image on the mug',
				quality: 'medium',
				background: 'opaque',
				outputFormat: 'png',
				referenceImages: [first, second],
				mask,
			}),
			context(),
		);
		const [call] = calls;
		expect(call?.method).toBe('POST');
		expect(call?.url).toBe('https://api.openai.com/v1/images/edits');
		expect(call?.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(call?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		const form = call?.form;
		expect(form).toBeDefined();
		if (!form) return;
		expect([...new Set(form.keys())].sort()).toEqual(
			['background', 'image[]', 'mask', 'model', 'n', 'output_format', 'prompt', 'quality', 'size'].sort(),
		);
		expect(form.get('model')).toBe('gpt-image-1');
		expect(form.get('prompt')).toBe('put the logo from the second image on the mug');
		expect(form.get('size')).toBe('1024x1024');
		expect(form.get('quality')).toBe('medium');
		expect(form.get('background')).toBe('opaque');
		expect(form.get('output_format')).toBe('png');
		expect(form.get('n')).toBe('1');
		const images = form.getAll('image[]');
		expect(images).toHaveLength(2);
		expect((images[0] as File).type).toBe('image/png');
		expect((images[0] as File).name).toBe('image-1.png');
		expect(await fileBytes(images[0])).toEqual(first.bytes);
		expect((images[1] as File).type).toBe('image/jpeg');
		expect((images[1] as File).name).toBe('image-2.jpg');
		expect(await fileBytes(images[1])).toEqual(second.bytes);
		expect((form.get('mask') as File).type).toBe('image/png');
		expect(await fileBytes(form.get('mask'))).toEqual(mask.bytes);
		expect(result.bytes).toEqual(image);
	});

	it('posts a dall-e-2 edit as one square PNG `image` with its mask and b64_json', async () => {
		const source = await reference(8, 8, 40);
		const mask = await reference(8, 8, 0);
		const calls = stubFetch([async () => imagesResponse(await png(4, 4))]);
		await openAiProvider.generate(
			request({
				model: 'dall-e-2',
				upstreamId: 'dall-e-2',
				width: 256,
				height: 256,
				referenceImages: [source],
				mask,
			}),
			context(),
		);
		expect(calls[0]?.url).toBe('https://api.openai.com/v1/images/edits');
		const form = calls[0]?.form;
		if (!form) throw new Error('expected a multipart body');
		expect([...new Set(form.keys())].sort()).toEqual(
			['image', 'mask', 'model', 'n', 'prompt', 'response_format', 'size'].sort(),
		);
		expect(form.get('model')).toBe('dall-e-2');
		expect(form.get('size')).toBe('256x256');
		expect(form.get('response_format')).toBe('b64_json');
		expect(form.get('n')).toBe('1');
		expect(form.getAll('image')).toHaveLength(1);
		expect(await fileBytes(form.get('image'))).toEqual(source.bytes);
		expect((form.get('mask') as File).type).toBe('image/png');
	});

	it('refuses inputs the edits endpoint rejects, with what to change, before calling it', async () => {
		const calls = stubFetch([]);
		const jpeg: ReferenceImage = { bytes: fakeJpeg(8, 8), contentType: 'image/jpeg', width: 8, height: 8 };
		const gif: ReferenceImage = {
			bytes: new Uint8Array([0x47, 0x49, 0x46]),
			contentType: 'image/gif',
			width: 8,
			height: 8,
		};
		const dallE2 = { model: 'dall-e-2', upstreamId: 'dall-e-2' };
		const cases: [Partial<GenerationRequest>, RegExp][] = [
			[{ ...dallE2, referenceImages: [jpeg] }, /only PNG/],
			[{ ...dallE2, referenceImages: [await reference(8, 4)] }, /only square/],
			[{ referenceImages: [gif] }, /PNG, JPEG or WebP.*image 1 is image\/gif/],
			[{ referenceImages: [await reference(8, 8)], mask: jpeg }, /mask only as a PNG/],
			[
				{ referenceImages: [await reference(8, 8)], mask: await reference(4, 4) },
				/size of the first reference image \(8×8\)/,
			],
		];
		for (const [overrides, message] of cases) {
			const error = await rejection(openAiProvider.generate(request(overrides), context()));
			expect(error.kind).toBe('invalid_request');
			expect(error.message).toMatch(message);
		}
		expect(calls).toHaveLength(0);
	});
});

describe('openAiProvider: failures', () => {
	it('reports a refused key as an auth error naming OPENAI_API_KEY, with the key masked', async () => {
		stubFetch([
			() =>
				errorResponse(401, {
					message: `Incorrect API key provided: ${API_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
					type: 'invalid_request_error',
					code: 'invalid_api_key',
				}),
		]);
		const error = await rejection(openAiProvider.generate(request(), context()));
		expect(error.kind).toBe('auth');
		expect(error.retryable).toBe(false);
		expect(error.message).toContain('OPENAI_API_KEY');
		expect(error.message).toContain('Incorrect API key provided');
		expect(error.message).not.toContain(API_KEY);
	});

	it('retries a rate limit after Retry-After, or after the delay OpenAI names in the message', async () => {
		stubFetch([
			() =>
				errorResponse(
					429,
					{
						message: 'Rate limit reached for gpt-image-1 on images per minute.',
						type: 'requests',
						code: 'rate_limit_exceeded',
					},
					{ 'retry-after': '7' },
				),
			() =>
				errorResponse(429, {
					message: 'Rate limit reached for gpt-image-1. Please try again in 1.5s.',
					type: 'requests',
					code: 'rate_limit_exceeded',
				}),
		]);
		const withHeader = await rejection(openAiProvider.generate(request(), context()));
		expect(withHeader.kind).toBe('rate_limited');
		expect(withHeader.retryAfterSeconds).toBe(7);
		expect(withHeader.message).toContain('Rate limit reached');
		const fromMessage = await rejection(openAiProvider.generate(request(), context()));
		expect(fromMessage.kind).toBe('rate_limited');
		expect(fromMessage.retryAfterSeconds).toBe(2);
	});

	it('does not retry an account out of quota, and tells the operator to check billing', async () => {
		stubFetch([
			() =>
				errorResponse(
					429,
					{
						message: 'You exceeded your current quota, please check your plan and billing details.',
						type: 'insufficient_quota',
						code: 'insufficient_quota',
					},
					{ 'retry-after': '1' },
				),
		]);
		const error = await rejection(openAiProvider.generate(request(), context()));
		expect(error.kind).toBe('unavailable');
		expect(error.retryable).toBe(false);
		expect(error.message).toMatch(/quota/);
		expect(error.message).toMatch(/billing/);
		expect(error.message).toContain('OPENAI_API_KEY');
	});

	it('reports safety refusals as content_policy with OpenAI’s reason', async () => {
		stubFetch([
			() =>
				errorResponse(400, {
					message:
						'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
					type: 'invalid_request_error',
					code: 'content_policy_violation',
				}),
			() =>
				errorResponse(400, {
					message: 'Your request was rejected by the safety system. safety_violations=[violence].',
					type: 'image_generation_user_error',
					code: 'moderation_blocked',
				}),
		]);
		const dallE = await rejection(
			openAiProvider.generate(request({ model: 'dall-e-3', upstreamId: 'dall-e-3' }), context()),
		);
		expect(dallE.kind).toBe('content_policy');
		expect(dallE.retryable).toBe(false);
		expect(dallE.message).toContain('Your prompt may contain text that is not allowed by our safety system');
		const gptImage = await rejection(openAiProvider.generate(request(), context()));
		expect(gptImage.kind).toBe('content_policy');
		expect(gptImage.message).toContain('safety_violations=[violence]');
	});

	it('reports other 400s as invalid requests with OpenAI’s message', async () => {
		stubFetch([
			() =>
				errorResponse(400, {
					message:
						"Invalid value: '1792x1024'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
					type: 'invalid_request_error',
					code: 'invalid_value',
					param: 'size',
				}),
		]);
		const error = await rejection(openAiProvider.generate(request(), context()));
		expect(error.kind).toBe('invalid_request');
		expect(error.retryable).toBe(false);
		expect(error.message).toContain("Invalid value: '1792x1024'");
	});

	it('retries server errors as transient', async () => {
		stubFetch([
			() =>
				errorResponse(500, {
					message: 'The server had an error while processing your request.',
					type: 'server_error',
					code: null,
				}),
			() => new Response('upstream connect error', { status: 503 }),
		]);
		for (let attempt = 0; attempt < 2; attempt++) {
			const error = await rejection(openAiProvider.generate(request(), context()));
			expect(error.kind).toBe('transient');
			expect(error.retryable).toBe(true);
		}
	});

	it('gives up on a hanging upstream when the call times out, as a transient error', async () => {
		stubFetch([hang]);
		const error = await rejection(openAiProvider.generate(request(), context({}, AbortSignal.timeout(50))));
		expect(error.kind).toBe('transient');
		expect(error.message).toMatch(/did not answer in time/);
	});

	it('treats an answer that is not JSON as a transient malformed answer', async () => {
		stubFetch([
			() => new Response('<html>Bad gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
		]);
		const error = await rejection(openAiProvider.generate(request(), context()));
		expect(error.kind).toBe('transient');
		expect(error.message).toMatch(/not JSON/);
	});

	it('treats JSON without data[0].b64_json as a transient malformed answer', async () => {
		stubFetch([
			() => jsonResponse({ created: 1_763_700_000, data: [] }),
			() => jsonResponse({ created: 1_763_700_000, data: [{ url: 'https://files.example.com/image.png' }] }),
		]);
		for (let attempt = 0; attempt < 2; attempt++) {
			const error = await rejection(openAiProvider.generate(request(), context()));
			expect(error.kind).toBe('transient');
			expect(error.message).toMatch(/no image/);
		}
	});

	it('treats a network failure as transient', async () => {
		stubFetch([networkError]);
		const error = await rejection(openAiProvider.generate(request(), context()));
		expect(error.kind).toBe('transient');
		expect(error.message).toMatch(/network error/);
	});
});

describe('OPENAI_MODELS', () => {
	it('offers the documented sizes and limits per model', () => {
		const gptImage = entry('gpt-image-1').capabilities;
		expect(gptImage.size).toEqual({ kind: 'list', sizes: ['1024x1024', '1536x1024', '1024x1536'] });
		expect(gptImage.maxReferenceImages).toBe(16);
		expect(gptImage.imagesPerCall).toBe(10);
		expect(gptImage.seed).toBe('none');
		expect(entry('dall-e-3').capabilities.size).toEqual({
			kind: 'list',
			sizes: ['1024x1024', '1792x1024', '1024x1792'],
		});
		expect(entry('dall-e-3').capabilities.maxReferenceImages).toBe(0);
		expect(entry('dall-e-3').capabilities.imagesPerCall).toBe(1);
		expect(entry('dall-e-2').capabilities.size).toEqual({ kind: 'list', sizes: ['256x256', '512x512', '1024x1024'] });
		expect(entry('dall-e-2').capabilities.maxReferenceImages).toBe(1);
		expect(entry('dall-e-2').capabilities.goodAtText).toBe(false);
		expect(OPENAI_MODELS.every((model) => model.provider === openAiProvider)).toBe(true);
	});

	it('estimates prices by quality and size, pricing quality auto as the dearest quality', () => {
		const gptImage1 = findModel(env, 'gpt-image-1');
		expect(gptImage1).toBeDefined();
		if (!gptImage1) return;
		expect(priceOf(gptImage1, { width: 1024, height: 1024, quality: 'low' })).toBe(0.011);
		expect(priceOf(gptImage1, { width: 1536, height: 1024, quality: 'medium' })).toBe(0.063);
		expect(priceOf(gptImage1, { width: 1024, height: 1536, quality: 'auto' })).toBe(0.25);
		// No quality given: the default, auto.
		expect(priceOf(gptImage1, { width: 1024, height: 1024 })).toBe(0.167);
		expect(priceOf(entry('dall-e-3'), { width: 1792, height: 1024, quality: 'hd' })).toBe(0.12);
		expect(priceOf(entry('dall-e-3'), { width: 1024, height: 1024 })).toBe(0.04);
		expect(priceOf(entry('dall-e-2'), { width: 512, height: 512 })).toBe(0.018);
	});
});
