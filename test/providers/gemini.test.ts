/**
 * The Gemini provider against a scripted Gemini API: the exact generateContent request it
 * sends, how it reads answers, and how each documented failure becomes a typed error.
 * Request and answer shapes follow https://ai.google.dev/gemini-api/docs/image-generation and
 * the google.rpc.Status error bodies of the Gemini API.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/providers/errors';
import { geminiProvider } from '../../src/providers/gemini';
import { GEMINI_MODELS, geminiNominalSize } from '../../src/providers/gemini.models';
import type { GenerationRequest, ReferenceImage } from '../../src/providers/types';
import { encodePng } from '../../src/storage/png';
import { hang, jsonResponse, networkError, stubFetch } from '../helpers/fetch-stub';

const DEFAULT_URL = 'https://generativelanguage.googleapis.com/v1beta/models/gemini-3.1-flash-image:generateContent';

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
	return {
		model: 'flash',
		upstreamId: 'gemini-3.1-flash-image',
		prompt: 'a lighthouse on a cliff at dusk',
		width: 1024,
		height: 1024,
		aspectRatio: '1:1',
		imageSize: '1K',
		seed: 1234,
		...overrides,
	};
}

function context(extra: Partial<Env> = {}, signal: AbortSignal = AbortSignal.timeout(5000)) {
	return { env: { ...env, GEMINI_API_KEY: 'test-key', ...extra } as Env, signal };
}

function generate(overrides: Partial<GenerationRequest> = {}, extra: Partial<Env> = {}, signal?: AbortSignal) {
	return geminiProvider.generate(request(overrides), context(extra, signal));
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(ProviderError);
	return error as ProviderError;
}

/** Base64 written out independently of the provider's encoder. */
function base64(bytes: Uint8Array): string {
	return btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));
}

async function png(): Promise<Uint8Array> {
	return encodePng(new Uint8Array(4 * 4 * 3).fill(200), 4, 4);
}

/** A successful answer as the REST API returns it: camelCase `inlineData` among the parts. */
function imageAnswer(data: string, extraParts: unknown[] = []) {
	return {
		candidates: [
			{
				content: {
					role: 'model',
					parts: [...extraParts, { inlineData: { mimeType: 'image/png', data }, thoughtSignature: 'sig' }],
				},
				finishReason: 'STOP',
				index: 0,
			},
		],
		usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1120, totalTokenCount: 1132 },
		modelVersion: 'gemini-3.1-flash-image',
	};
}

/** A google.rpc.Status error body. */
function errorBody(code: number, status: string, message: string, details: unknown[] = []) {
	return { error: { code, message, status, details } };
}

describe('geminiProvider configuration', () => {
	it('is configured exactly when GEMINI_API_KEY is set', () => {
		expect(geminiProvider.id).toBe('gemini');
		expect(geminiProvider.configuredBy).toBe('GEMINI_API_KEY');
		expect(geminiProvider.isConfigured({ ...env, GEMINI_API_KEY: 'AIza-key' } as Env)).toBe(true);
		expect(geminiProvider.isConfigured({ ...env, GEMINI_API_KEY: undefined } as Env)).toBe(false);
		expect(geminiProvider.isConfigured({ ...env, GEMINI_API_KEY: '  ' } as Env)).toBe(false);
	});

	it('refuses to run without a key, naming the secret, and calls nobody', async () => {
		const calls = stubFetch([]);
		const error = await failure(geminiProvider.generate(request(), context({ GEMINI_API_KEY: '' })));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toContain('GEMINI_API_KEY');
		expect(calls).toHaveLength(0);
	});
});

describe('geminiProvider request', () => {
	it('sends a text-only prompt to models/{id}:generateContent with the key in x-goog-api-key', async () => {
		const image = await png();
		const calls = stubFetch(() => jsonResponse(imageAnswer(base64(image))));
		await generate();
		expect(calls).toHaveLength(1);
		const call = calls[0]!;
		expect(call.method).toBe('POST');
		expect(call.url).toBe(DEFAULT_URL);
		expect(call.url).not.toContain('key=');
		expect(call.headers['x-goog-api-key']).toBe('test-key');
		expect(call.headers['content-type']).toBe('application/json');
		expect(call.json).toEqual({
			contents: [{ role: 'user', parts: [{ text: 'a lighthouse on a cliff at dusk' }] }],
			generationConfig: {
				responseModalities: ['TEXT', 'IMAGE'],
				imageConfig: { aspectRatio: '1:1', imageSize: '1K' },
				seed: 1234,
			},
		});
	});

	it('sends reference images after the prompt as inline_data parts, in order, with their bytes and types', async () => {
		const first: ReferenceImage = {
			bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
			contentType: 'image/png',
			width: 4,
			height: 4,
		};
		const second: ReferenceImage = {
			bytes: new Uint8Array([0xff, 0xd8, 0xff, 9, 8, 7, 6]),
			contentType: 'image/jpeg',
			width: 8,
			height: 6,
		};
		const calls = stubFetch(() => jsonResponse(imageAnswer(base64(new Uint8Array([1])))));
		await generate({ prompt: 'the same scene at night', referenceImages: [first, second] });
		const body = calls[0]!.json as { contents: Array<{ role: string; parts: unknown[] }> };
		expect(body.contents).toEqual([
			{
				role: 'user',
				parts: [
					{ text: 'the same scene at night' },
					{ inline_data: { mime_type: 'image/png', data: 'iVBORwECAw==' } },
					{ inline_data: { mime_type: 'image/jpeg', data: '/9j/CQgHBg==' } },
				],
			},
		]);
	});

	it('puts the aspect ratio and tier in imageConfig and calls the model named by upstreamId', async () => {
		const calls = stubFetch(() => jsonResponse(imageAnswer(base64(new Uint8Array([1])))));
		await generate({
			model: 'pro',
			upstreamId: 'gemini-3-pro-image',
			aspectRatio: '16:9',
			imageSize: '4K',
			width: 5504,
			height: 3072,
			seed: undefined,
		});
		expect(calls[0]!.url).toBe(
			'https://generativelanguage.googleapis.com/v1beta/models/gemini-3-pro-image:generateContent',
		);
		const body = calls[0]!.json as { generationConfig: Record<string, unknown> };
		expect(body.generationConfig).toEqual({
			responseModalities: ['TEXT', 'IMAGE'],
			imageConfig: { aspectRatio: '16:9', imageSize: '4K' },
		});
	});

	it('leaves the aspect ratio out when the caller gave none for an edit, so the model keeps the reference shape', async () => {
		const calls = stubFetch(() => jsonResponse(imageAnswer(base64(new Uint8Array([1])))));
		const reference: ReferenceImage = { bytes: await png(), contentType: 'image/png', width: 4, height: 4 };
		await generate({ aspectRatio: undefined, seed: undefined, referenceImages: [reference] });
		const body = calls[0]!.json as { generationConfig: Record<string, unknown> };
		expect(body.generationConfig).toEqual({
			responseModalities: ['TEXT', 'IMAGE'],
			imageConfig: { imageSize: '1K' },
		});
	});

	it('sends requests to GEMINI_BASE_URL when set (a gateway), with or without a trailing slash', async () => {
		const calls = stubFetch(() => jsonResponse(imageAnswer(base64(new Uint8Array([1])))));
		await generate({}, { GEMINI_BASE_URL: 'https://gateway.example/google/v1beta/' });
		await generate({ upstreamId: 'models/gemini-3.1-flash-image' }, { GEMINI_BASE_URL: 'https://gw.example/v1beta' });
		expect(calls.map((call) => call.url)).toEqual([
			'https://gateway.example/google/v1beta/models/gemini-3.1-flash-image:generateContent',
			'https://gw.example/v1beta/models/gemini-3.1-flash-image:generateContent',
		]);
	});

	it('refuses a GEMINI_BASE_URL that is not a URL as an operator problem, without calling out', async () => {
		const calls = stubFetch([]);
		const error = await failure(generate({}, { GEMINI_BASE_URL: 'not a url' }));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toContain('GEMINI_BASE_URL');
		expect(calls).toHaveLength(0);
	});

	it('refuses a GIF reference (Gemini takes PNG, JPEG, WebP, HEIC, HEIF) before calling out', async () => {
		const calls = stubFetch([]);
		const gif: ReferenceImage = {
			bytes: new Uint8Array([0x47, 0x49, 0x46]),
			contentType: 'image/gif',
			width: 1,
			height: 1,
		};
		const png: ReferenceImage = { bytes: new Uint8Array([1]), contentType: 'image/png', width: 1, height: 1 };
		const error = await failure(generate({ referenceImages: [png, gif] }));
		expect(error.kind).toBe('invalid_request');
		expect(error.message).toContain('reference_images[1]');
		expect(error.message).toContain('image/gif');
		expect(calls).toHaveLength(0);
	});

	it('refuses a request over the 20 MB inline limit before calling out', async () => {
		const calls = stubFetch([]);
		const big: ReferenceImage = {
			bytes: new Uint8Array(16 * 1024 * 1024),
			contentType: 'image/png',
			width: 1,
			height: 1,
		};
		const error = await failure(generate({ referenceImages: [big] }));
		expect(error.kind).toBe('invalid_request');
		expect(error.message).toContain('20 MB');
		expect(calls).toHaveLength(0);
	});
});

describe('geminiProvider answers', () => {
	it('returns the decoded image bytes and the seed it sent', async () => {
		const image = await png();
		stubFetch(() => jsonResponse(imageAnswer(base64(image), [{ text: 'Here is your lighthouse.' }])));
		const result = await generate();
		expect(result.bytes).toEqual(image);
		expect(result.seed).toBe(1234);
	});

	it('skips interim thought images and returns the final image', async () => {
		const interim = new Uint8Array([1, 1, 1, 1]);
		const final = await png();
		stubFetch(() =>
			jsonResponse(
				imageAnswer(base64(final), [
					{ text: 'Composing the scene…', thought: true },
					{ inlineData: { mimeType: 'image/png', data: base64(interim) }, thought: true },
				]),
			),
		);
		expect((await generate()).bytes).toEqual(final);
	});

	it('reads a gateway answer spelled inline_data / mime_type', async () => {
		const image = await png();
		stubFetch(() =>
			jsonResponse({
				candidates: [{ content: { parts: [{ inline_data: { mime_type: 'image/png', data: base64(image) } }] } }],
			}),
		);
		expect((await generate()).bytes).toEqual(image);
	});

	it('turns a blocked prompt into content_policy naming the block reason', async () => {
		stubFetch(() => jsonResponse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: {} }));
		const error = await failure(generate());
		expect(error.kind).toBe('content_policy');
		expect(error.message).toContain('PROHIBITED_CONTENT');
		expect(error.retryable).toBe(false);
	});

	it.each(['SAFETY', 'IMAGE_SAFETY', 'PROHIBITED_CONTENT', 'IMAGE_PROHIBITED_CONTENT', 'BLOCKLIST', 'RECITATION'])(
		'turns finishReason %s without an image into content_policy naming it',
		async (reason) => {
			stubFetch(() =>
				jsonResponse({ candidates: [{ content: { role: 'model', parts: [] }, finishReason: reason, index: 0 }] }),
			);
			const error = await failure(generate());
			expect(error.kind).toBe('content_policy');
			expect(error.message).toContain(reason);
		},
	);

	it('does not hand out an interim thought image when the final image was stopped for safety', async () => {
		stubFetch(() =>
			jsonResponse({
				candidates: [
					{
						content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AQID' }, thought: true }] },
						finishReason: 'IMAGE_SAFETY',
						finishMessage: 'The generated image was blocked.',
					},
				],
			}),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('content_policy');
		expect(error.message).toContain('IMAGE_SAFETY');
		expect(error.message).toContain('The generated image was blocked.');
	});

	it("fails a text-only answer for good, quoting the model's text, bounded", async () => {
		stubFetch(() =>
			jsonResponse({
				candidates: [
					{
						content: { parts: [{ text: 'I can only describe this scene:' }, { text: 'x'.repeat(2000) }] },
						finishReason: 'STOP',
					},
				],
			}),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('invalid_request');
		expect(error.retryable).toBe(false);
		expect(error.message).toContain('I can only describe this scene:');
		expect(error.message.length).toBeLessThan(500);
	});

	it('treats an answer with neither image nor text as transient', async () => {
		stubFetch([
			() => jsonResponse({ candidates: [{ content: { parts: [] }, finishReason: 'OTHER' }] }),
			() => jsonResponse({}),
		]);
		const first = await failure(generate());
		expect(first.kind).toBe('transient');
		expect(first.message).toContain('OTHER');
		expect((await failure(generate())).kind).toBe('transient');
	});

	it('treats a body that is not JSON as transient', async () => {
		stubFetch(
			() => new Response('<html>Bad gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('transient');
		expect(error.message).toContain('malformed');
	});

	it('treats image data that is not base64 as transient', async () => {
		stubFetch(() => jsonResponse(imageAnswer('%%% not base64 %%%')));
		expect((await failure(generate())).kind).toBe('transient');
	});
});

describe('geminiProvider errors', () => {
	it('maps 400 API_KEY_INVALID to auth naming GEMINI_API_KEY, without echoing the key', async () => {
		stubFetch(() =>
			jsonResponse(
				errorBody(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
					{
						'@type': 'type.googleapis.com/google.rpc.ErrorInfo',
						reason: 'API_KEY_INVALID',
						domain: 'googleapis.com',
						metadata: { service: 'generativelanguage.googleapis.com' },
					},
				]),
				400,
			),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('auth');
		expect(error.message).toContain('GEMINI_API_KEY');
		expect(error.message).toContain('API key not valid');
		expect(error.message).not.toContain('test-key');
	});

	it('maps a 400 saying "API key not valid" without details to auth', async () => {
		stubFetch(() =>
			jsonResponse(errorBody(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'), 400),
		);
		expect((await failure(generate())).kind).toBe('auth');
	});

	it('maps 403 PERMISSION_DENIED to auth naming GEMINI_API_KEY', async () => {
		stubFetch(() =>
			jsonResponse(
				errorBody(403, 'PERMISSION_DENIED', 'Your API key was reported as leaked. Please use another API key.'),
				403,
			),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('auth');
		expect(error.message).toContain('GEMINI_API_KEY');
	});

	it('maps 429 RESOURCE_EXHAUSTED to rate_limited after the RetryInfo delay', async () => {
		stubFetch(() =>
			jsonResponse(
				errorBody(
					429,
					'RESOURCE_EXHAUSTED',
					'You exceeded your current quota, please check your plan and billing details.',
					[
						{
							'@type': 'type.googleapis.com/google.rpc.QuotaFailure',
							violations: [
								{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count' },
							],
						},
						{
							'@type': 'type.googleapis.com/google.rpc.Help',
							links: [{ description: 'Learn more', url: 'https://ai.google.dev' }],
						},
						{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' },
					],
				),
				429,
			),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('rate_limited');
		expect(error.retryAfterSeconds).toBe(12);
		expect(error.message).toContain('exceeded your current quota');
	});

	it('rounds a fractional RetryInfo delay up, and falls back to Retry-After, then 20 s', async () => {
		stubFetch([
			() =>
				jsonResponse(
					errorBody(429, 'RESOURCE_EXHAUSTED', 'Slow down.', [
						{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3.2s' },
					]),
					429,
				),
			() => jsonResponse(errorBody(429, 'RESOURCE_EXHAUSTED', 'Slow down.'), 429, { 'retry-after': '7' }),
			() => jsonResponse(errorBody(429, 'RESOURCE_EXHAUSTED', 'Slow down.'), 429),
		]);
		expect((await failure(generate())).retryAfterSeconds).toBe(4);
		expect((await failure(generate())).retryAfterSeconds).toBe(7);
		expect((await failure(generate())).retryAfterSeconds).toBe(20);
	});

	it.each([500, 503])('maps HTTP %i to transient', async (status) => {
		stubFetch(() =>
			jsonResponse(errorBody(status, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), status),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('transient');
		expect(error.retryable).toBe(true);
	});

	it("maps any other 400 to invalid_request carrying Gemini's message", async () => {
		stubFetch(() =>
			jsonResponse(errorBody(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument: aspect ratio 7:3.'), 400),
		);
		const error = await failure(generate());
		expect(error.kind).toBe('invalid_request');
		expect(error.message).toContain('Request contains an invalid argument: aspect ratio 7:3.');
	});

	it('maps 404 (unknown model) to unavailable', async () => {
		stubFetch(() =>
			jsonResponse(errorBody(404, 'NOT_FOUND', 'models/gemini-9-image is not found for API version v1beta.'), 404),
		);
		expect((await failure(generate({ upstreamId: 'gemini-9-image' }))).kind).toBe('unavailable');
	});

	it('turns a hanging upstream into a transient timeout', async () => {
		stubFetch(hang);
		const error = await failure(generate({}, {}, AbortSignal.timeout(50)));
		expect(error.kind).toBe('transient');
		expect(error.message).toContain('did not answer in time');
	});

	it('turns a network failure into a transient error', async () => {
		stubFetch(networkError);
		const error = await failure(generate());
		expect(error.kind).toBe('transient');
		expect(error.message).toContain('network');
	});
});

describe('Gemini catalog entries', () => {
	it.each([
		['1:1', '1K', 1024, 1024],
		['2:3', '1K', 848, 1264],
		['16:9', '2K', 2752, 1536],
		['4:5', '2K', 1856, 2304],
		['21:9', '4K', 6336, 2688],
		['9:16', '4K', 3072, 5504],
		['1:8', '4K', 1408, 11712],
		['4:1', '1K', 2064, 512],
	] as const)('geminiNominalSize(%s, %s) is the documented %i×%i', (ratio, tier, width, height) => {
		expect(geminiNominalSize(ratio, tier)).toEqual({ width, height });
	});

	it('offers flash and pro on their GA ids, accepting the preview ids and Nano Banana names', () => {
		expect(GEMINI_MODELS.map((entry) => [entry.alias, entry.upstreamId])).toEqual([
			['flash', 'gemini-3.1-flash-image'],
			['pro', 'gemini-3-pro-image'],
		]);
		expect(GEMINI_MODELS[0]!.aliases).toContain('gemini-3.1-flash-image-preview');
		expect(GEMINI_MODELS[1]!.aliases).toContain('gemini-3-pro-image-preview');
		for (const entry of GEMINI_MODELS) expect(entry.provider).toBe(geminiProvider);
	});

	it('sizes each model by ratios it has a documented pixel size for, at 1K/2K/4K, priced per tier', () => {
		for (const entry of GEMINI_MODELS) {
			const { size, defaultSize } = entry.capabilities;
			expect(size.kind).toBe('aspect');
			if (size.kind !== 'aspect') continue;
			expect(size.tiers).toEqual(['1K', '2K', '4K']);
			expect(defaultSize).toEqual(geminiNominalSize('1:1', '1K'));
			for (const ratio of size.ratios) {
				const [w, h] = ratio.split(':').map(Number) as [number, number];
				const { width, height } = geminiNominalSize(ratio, '1K');
				expect(Math.abs(width / height / (w / h) - 1)).toBeLessThan(0.05);
			}
			expect(entry.pricing).toEqual({ kind: 'table', usd: expect.any(Object) });
			if (entry.pricing.kind === 'table') expect(Object.keys(entry.pricing.usd).sort()).toEqual(['1K', '2K', '4K']);
		}
		const [flash, pro] = GEMINI_MODELS;
		expect(flash!.capabilities.size).toMatchObject({ ratios: expect.arrayContaining(['1:8', '8:1', '1:4', '4:1']) });
		expect(pro!.capabilities.size).toMatchObject({ ratios: expect.not.arrayContaining(['1:8']) });
	});

	it('documents the seed as best effort, takes up to 14 references, and renders text', () => {
		for (const entry of GEMINI_MODELS) {
			expect(entry.capabilities).toMatchObject({
				seed: 'best_effort',
				maxReferenceImages: 14,
				negativePrompt: false,
				mask: false,
				goodAtText: true,
			});
		}
		expect(GEMINI_MODELS[1]!.useFor).toMatch(/final renders/i);
		expect(GEMINI_MODELS[1]!.useFor).toMatch(/text in images/i);
		expect(GEMINI_MODELS[0]!.useFor).toMatch(/drafts, iterations and simple scenes/i);
	});
});
