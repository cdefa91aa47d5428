/**
 * The Stable Diffusion WebUI / Forge provider against a scripted WebUI at the HTTP boundary.
 * Request and answer shapes are the WebUI's API models (modules/api/models.py:
 * StableDiffusionProcessingTxt2Img / Img2Img, TextToImageResponse with `info` as a JSON
 * string) and its error bodies (modules/api/api.py middleware `{error, detail, body, errors}`,
 * FastAPI's 422 `{detail: [{loc, msg, type}]}` and 404 `{detail: "Not Found"}`).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { findModel } from '../../src/providers/catalog';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/errors';
import { sdWebUiProvider } from '../../src/providers/sd-webui';
import { SD_WEBUI_MODELS } from '../../src/providers/sd-webui.models';
import type { GeneratedImage, GenerationRequest, ReferenceImage } from '../../src/providers/types';
import { encodePng } from '../../src/storage/png';
import { hang, jsonResponse, networkError, stubFetch } from '../helpers/fetch-stub';
import { base64, fakeJpeg } from '../helpers/fixtures';

const URL_SETTING = 'http://sd.example.com:7860';

function webUiEnv(settings: Partial<Env> = {}): Env {
	return {
		...env,
		SD_WEBUI_URL: URL_SETTING,
		SD_WEBUI_AUTH: undefined,
		SD_WEBUI_CHECKPOINT: undefined,
		...settings,
	} as Env;
}

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
	return {
		model: 'sd-webui',
		upstreamId: 'sd-webui',
		prompt: 'a watercolour fox in a snowy forest',
		width: 768,
		height: 512,
		seed: 42,
		...overrides,
	};
}

function generate(
	overrides: Partial<GenerationRequest> = {},
	settings: Partial<Env> = {},
	signal: AbortSignal = AbortSignal.timeout(5000),
): Promise<GeneratedImage> {
	return sdWebUiProvider.generate(request(overrides), { env: webUiEnv(settings), signal });
}

async function png(): Promise<Uint8Array> {
	return encodePng(new Uint8Array(4 * 4 * 3).fill(200), 4, 4);
}

/** A TextToImageResponse / ImageToImageResponse as the WebUI sends it: `info` is a JSON string. */
function webUiAnswer(imageBase64: string, seed: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		images: [imageBase64],
		parameters: { prompt: 'a watercolour fox in a snowy forest', seed, steps: 20 },
		info: JSON.stringify({
			prompt: 'a watercolour fox in a snowy forest',
			all_prompts: ['a watercolour fox in a snowy forest'],
			negative_prompt: '',
			seed,
			all_seeds: [seed],
			subseed: 1234567,
			all_subseeds: [1234567],
			width: 768,
			height: 512,
			sampler_name: 'DPM++ 2M',
			cfg_scale: 7,
			steps: 20,
			batch_size: 1,
			sd_model_name: 'sd_xl_base_1.0',
			infotexts: ['a watercolour fox in a snowy forest\nSteps: 20, Sampler: DPM++ 2M, Seed: 42'],
			...extra,
		}),
	};
}

function reference(bytes: Uint8Array): ReferenceImage {
	return { bytes, contentType: 'image/png', width: 4, height: 4 };
}

async function expectProviderError(
	promise: Promise<unknown>,
	kind: ProviderErrorKind,
	message: RegExp,
): Promise<ProviderError> {
	const error = await promise.then(
		() => undefined,
		(thrown: unknown) => thrown,
	);
	expect(error).toBeInstanceOf(ProviderError);
	const providerError = error as ProviderError;
	expect({ kind: providerError.kind, message: providerError.message }).toMatchObject({ kind, message });
	return providerError;
}

describe('sdWebUiProvider configuration', () => {
	it('is configured by SD_WEBUI_URL alone, and a blank value does not count', () => {
		expect(sdWebUiProvider.id).toBe('sd-webui');
		expect(sdWebUiProvider.configuredBy).toBe('SD_WEBUI_URL');
		expect(sdWebUiProvider.isConfigured(webUiEnv())).toBe(true);
		expect(sdWebUiProvider.isConfigured(webUiEnv({ SD_WEBUI_URL: undefined }))).toBe(false);
		expect(sdWebUiProvider.isConfigured(webUiEnv({ SD_WEBUI_URL: '  ' }))).toBe(false);
	});

	it('has one free catalog entry that the WebUI names resolve to', () => {
		expect(SD_WEBUI_MODELS.map((entry) => entry.alias)).toEqual(['sd-webui']);
		for (const name of ['sd-webui', 'Forge', 'a1111', 'automatic1111', 'stable-diffusion-webui']) {
			expect(findModel(webUiEnv(), name)?.alias, name).toBe('sd-webui');
		}
		const [entry] = SD_WEBUI_MODELS;
		expect(entry?.pricing).toEqual({ kind: 'per_megapixel', usd: 0 });
		expect(entry?.capabilities).toMatchObject({
			size: { kind: 'range', min: 64, max: 2048, multipleOf: 8 },
			steps: { min: 1, max: 150, default: 20 },
			guidance: { min: 1, max: 30, default: 7 },
			seed: 'exact',
			maxReferenceImages: 1,
			mask: 'optional',
		});
	});
});

describe('sdWebUiProvider txt2img', () => {
	it('posts every parameter to /sdapi/v1/txt2img as JSON, without credentials when SD_WEBUI_AUTH is unset', async () => {
		const image = await png();
		const calls = stubFetch(() => jsonResponse(webUiAnswer(base64(image), 42)));
		const result = await generate({
			negativePrompt: 'blurry, text',
			steps: 30,
			guidance: 5.5,
			sampler: 'Euler a',
			seed: 42,
		});
		expect(calls).toHaveLength(1);
		const [call] = calls;
		expect(call?.method).toBe('POST');
		expect(call?.url).toBe('http://sd.example.com:7860/sdapi/v1/txt2img');
		expect(call?.headers['content-type']).toBe('application/json');
		expect(call?.headers.authorization).toBeUndefined();
		expect(call?.json).toEqual({
			prompt: 'a watercolour fox in a snowy forest',
			negative_prompt: 'blurry, text',
			width: 768,
			height: 512,
			steps: 30,
			cfg_scale: 5.5,
			sampler_name: 'Euler a',
			seed: 42,
			batch_size: 1,
			n_iter: 1,
		});
		expect(result.bytes).toEqual(image);
		expect(result.seed).toBe(42);
	});

	it('fills in the documented defaults: DPM++ 2M, 20 steps, CFG 7, empty negative prompt', async () => {
		const calls = stubFetch(async () => jsonResponse(webUiAnswer(base64(await png()), 7)));
		await generate({ seed: 7 });
		expect(calls[0]?.json).toEqual({
			prompt: 'a watercolour fox in a snowy forest',
			negative_prompt: '',
			width: 768,
			height: 512,
			steps: 20,
			cfg_scale: 7,
			sampler_name: 'DPM++ 2M',
			seed: 7,
			batch_size: 1,
			n_iter: 1,
		});
	});

	it('sends SD_WEBUI_AUTH as HTTP Basic and SD_WEBUI_CHECKPOINT as a per-job override', async () => {
		const calls = stubFetch(async () => jsonResponse(webUiAnswer(base64(await png()), 42)));
		await generate(
			{},
			{ SD_WEBUI_AUTH: 'artist:s3cret:ö', SD_WEBUI_CHECKPOINT: 'juggernautXL_v9.safetensors [c9e3e68f89]' },
		);
		// UTF-8 user:password, base64: what FastAPI's HTTPBasic decodes.
		expect(calls[0]?.headers.authorization).toBe('Basic YXJ0aXN0OnMzY3JldDrDtg==');
		expect(calls[0]?.json).toMatchObject({
			override_settings: { sd_model_checkpoint: 'juggernautXL_v9.safetensors [c9e3e68f89]' },
			override_settings_restore_afterwards: true,
		});
	});

	it('leaves the checkpoint alone when SD_WEBUI_CHECKPOINT is unset', async () => {
		const calls = stubFetch(async () => jsonResponse(webUiAnswer(base64(await png()), 42)));
		await generate();
		expect(calls[0]?.json).not.toHaveProperty('override_settings');
		expect(calls[0]?.json).not.toHaveProperty('override_settings_restore_afterwards');
	});

	it('does not double the slash when SD_WEBUI_URL ends with one, and keeps a path prefix', async () => {
		const calls = stubFetch(async () => jsonResponse(webUiAnswer(base64(await png()), 42)));
		await generate({}, { SD_WEBUI_URL: 'https://sd.example.com/' });
		await generate({}, { SD_WEBUI_URL: 'https://gpu.example.com/webui//' });
		expect(calls.map((call) => call.url)).toEqual([
			'https://sd.example.com/sdapi/v1/txt2img',
			'https://gpu.example.com/webui/sdapi/v1/txt2img',
		]);
	});

	it('returns the seed the WebUI reports in `info`, falling back to the requested one when info is unreadable', async () => {
		const image = base64(await png());
		stubFetch([
			() => jsonResponse(webUiAnswer(image, 3_141_592)),
			() => jsonResponse({ images: [image], parameters: {}, info: 'not json' }),
		]);
		expect((await generate({ seed: 42 })).seed).toBe(3_141_592);
		expect((await generate({ seed: 42 })).seed).toBe(42);
	});
});

describe('sdWebUiProvider img2img', () => {
	it('posts the reference as init_images with denoising_strength and the mask to /sdapi/v1/img2img', async () => {
		const source = await png();
		const mask = fakeJpeg(4, 4);
		const calls = stubFetch(async () => jsonResponse(webUiAnswer(base64(await png()), 42)));
		await generate({
			negativePrompt: 'people',
			steps: 25,
			guidance: 6,
			sampler: 'DPM++ 2M SDE',
			strength: 0.4,
			referenceImages: [reference(source)],
			mask: { bytes: mask, contentType: 'image/jpeg', width: 4, height: 4 },
		});
		expect(calls[0]?.url).toBe('http://sd.example.com:7860/sdapi/v1/img2img');
		expect(calls[0]?.json).toEqual({
			prompt: 'a watercolour fox in a snowy forest',
			negative_prompt: 'people',
			width: 768,
			height: 512,
			steps: 25,
			cfg_scale: 6,
			sampler_name: 'DPM++ 2M SDE',
			seed: 42,
			batch_size: 1,
			n_iter: 1,
			init_images: [base64(source)],
			denoising_strength: 0.4,
			mask: base64(mask),
			inpainting_fill: 1,
		});
	});

	it('uses denoising_strength 0.75 and sends no mask when none is given', async () => {
		const source = await png();
		const calls = stubFetch(async () => jsonResponse(webUiAnswer(base64(await png()), 42)));
		await generate({ referenceImages: [reference(source)] }, { SD_WEBUI_CHECKPOINT: 'dreamshaper_8' });
		expect(calls[0]?.url).toBe('http://sd.example.com:7860/sdapi/v1/img2img');
		expect(calls[0]?.json).toMatchObject({
			init_images: [base64(source)],
			denoising_strength: 0.75,
			override_settings: { sd_model_checkpoint: 'dreamshaper_8' },
		});
		expect(calls[0]?.json).not.toHaveProperty('mask');
		expect(calls[0]?.json).not.toHaveProperty('inpainting_fill');
	});
});

describe('sdWebUiProvider errors', () => {
	it('401 without SD_WEBUI_AUTH: auth, telling the operator to set it', async () => {
		stubFetch(() => jsonResponse({ detail: 'Not authenticated' }, 401, { 'www-authenticate': 'Basic' }));
		await expectProviderError(generate(), 'auth', /requires a login \(HTTP 401\).*set SD_WEBUI_AUTH/);
	});

	it('401 with SD_WEBUI_AUTH: auth, naming SD_WEBUI_AUTH and never the password', async () => {
		stubFetch(() =>
			jsonResponse({ error: 'HTTPException', detail: 'Incorrect username or password', body: '', errors: '' }, 401, {
				'www-authenticate': 'Basic',
			}),
		);
		const error = await expectProviderError(
			generate({}, { SD_WEBUI_AUTH: 'artist:hunter2' }),
			'auth',
			/refused the login \(HTTP 401\).*check SD_WEBUI_AUTH/,
		);
		expect(error.message).not.toContain('hunter2');
	});

	it('SD_WEBUI_AUTH without a colon: auth, before any request', async () => {
		const calls = stubFetch(() => jsonResponse({}));
		await expectProviderError(generate({}, { SD_WEBUI_AUTH: 'justapassword' }), 'auth', /user:password/);
		expect(calls).toHaveLength(0);
	});

	it('an SD_WEBUI_URL that is not an http(s) URL: unavailable, before any request', async () => {
		const calls = stubFetch(() => jsonResponse({}));
		await expectProviderError(generate({}, { SD_WEBUI_URL: 'sd.example.com:7860' }), 'unavailable', /SD_WEBUI_URL/);
		expect(calls).toHaveLength(0);
	});

	it('404 (a WebUI started without --api): unavailable, with the --api hint', async () => {
		stubFetch(() => jsonResponse({ detail: 'Not Found' }, 404));
		await expectProviderError(generate(), 'unavailable', /HTTP 404\);.*start the WebUI with --api/);
	});

	it('404 for an unknown checkpoint: unavailable, naming SD_WEBUI_CHECKPOINT', async () => {
		stubFetch(() => jsonResponse({ error: 'HTTPException', detail: 'Model not found', body: '', errors: '' }, 404));
		await expectProviderError(
			generate({}, { SD_WEBUI_CHECKPOINT: 'missing_model' }),
			'unavailable',
			/no checkpoint named by SD_WEBUI_CHECKPOINT \("missing_model"\)/,
		);
	});

	it('"Sampler not found": invalid_request, naming the sampler', async () => {
		stubFetch(() => jsonResponse({ error: 'HTTPException', detail: 'Sampler not found', body: '', errors: '' }, 404));
		await expectProviderError(generate({ sampler: 'Euler z' }), 'invalid_request', /no sampler named "Euler z"/);
	});

	it('422 validation error: invalid_request quoting the first message', async () => {
		stubFetch(() =>
			jsonResponse(
				{
					detail: [
						{ loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' },
						{ loc: ['body', 'cfg_scale'], msg: 'value is not a valid float', type: 'type_error.float' },
					],
				},
				422,
			),
		);
		const error = await expectProviderError(
			generate(),
			'invalid_request',
			/rejected the request \(HTTP 422\): steps: value is not a valid integer/,
		);
		expect(error.message).not.toContain('cfg_scale');
	});

	it('500 out of GPU memory: invalid_request asking for a smaller size', async () => {
		stubFetch(() =>
			jsonResponse(
				{
					error: 'OutOfMemoryError',
					detail: '',
					body: '',
					errors: 'CUDA out of memory. Tried to allocate 9.00 GiB (GPU 0; 7.79 GiB total capacity)',
				},
				500,
			),
		);
		await expectProviderError(
			generate({ width: 2048, height: 2048 }),
			'invalid_request',
			/ran out of GPU memory at 2048×2048; use a smaller size/,
		);
	});

	it('500 with another exception: transient, quoting the exception', async () => {
		stubFetch(() =>
			jsonResponse(
				{ error: 'RuntimeError', detail: '', body: '', errors: 'Expected all tensors to be on the same device' },
				500,
			),
		);
		await expectProviderError(
			generate(),
			'transient',
			/failed temporarily \(HTTP 500\): RuntimeError: Expected all tensors to be on the same device/,
		);
	});

	it('502 from a tunnel with an HTML page: transient, without the HTML', async () => {
		stubFetch(
			() =>
				new Response('<!DOCTYPE html><html><body>Bad gateway</body></html>', {
					status: 502,
					headers: { 'content-type': 'text/html' },
				}),
		);
		const error = await expectProviderError(generate(), 'transient', /HTTP 502\); is the WebUI running/);
		expect(error.message).not.toContain('<');
	});

	it('an upstream that never answers: transient timeout', async () => {
		stubFetch(hang);
		await expectProviderError(generate({}, {}, AbortSignal.timeout(50)), 'transient', /did not answer in time/);
	});

	it('an unreachable WebUI: transient network error', async () => {
		stubFetch(networkError);
		await expectProviderError(generate(), 'transient', /Could not reach Stable Diffusion WebUI/);
	});

	it('an answer that is not JSON: transient malformed', async () => {
		stubFetch(() => new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
		await expectProviderError(generate(), 'transient', /malformed answer \(not JSON\)/);
	});

	it('an answer without images (e.g. send_images off, or images: null): transient malformed', async () => {
		stubFetch([
			() => jsonResponse({ images: [], parameters: {}, info: '{"seed": 42}' }),
			() => jsonResponse({ images: null, parameters: {}, info: '{"seed": 42}' }),
		]);
		await expectProviderError(generate(), 'transient', /malformed answer \(no image\)/);
		await expectProviderError(generate(), 'transient', /malformed answer \(no image\)/);
	});

	it('an image that is not base64: transient', async () => {
		stubFetch(() => jsonResponse({ images: ['%%% not base64 %%%'], parameters: {}, info: '{"seed": 42}' }));
		await expectProviderError(generate(), 'transient', /not valid base64/);
	});
});
