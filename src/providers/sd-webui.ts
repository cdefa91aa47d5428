/**
 * A self-hosted Stable Diffusion WebUI (AUTOMATIC1111), Forge or reForge, started with
 * `--api`: `POST /sdapi/v1/txt2img`, or `/sdapi/v1/img2img` when the job has a reference image
 * (and a mask, for inpainting). The checkpoint is whatever the WebUI has loaded, or
 * `SD_WEBUI_CHECKPOINT` through `override_settings`; `SD_WEBUI_AUTH` is the `user:password` of
 * `--api-auth`, sent as HTTP Basic.
 *
 * Request and response shapes: the WebUI's FastAPI models (modules/api/models.py:
 * StableDiffusionProcessingTxt2Img / Img2Img, TextToImageResponse `{images, parameters, info}`
 * where `info` is a JSON string holding `seed` and `all_seeds`), its error body
 * `{error, detail, body, errors}` (modules/api/api.py, api_middleware), and the limits of its
 * UI sliders (width/height 64–2048 by 8, steps 1–150 default 20, CFG 1–30 default 7, batch
 * size up to 8). Interactive docs: `{SD_WEBUI_URL}/docs` on a running WebUI.
 */
import { readConfig } from '../env';
import { ProviderError } from './errors';
import { decodeBase64, encodeBase64, providerFetch, readJson, upstreamMessage } from './http';
import type { GeneratedImage, GenerationRequest, ImageProvider } from './types';

const PROVIDER = 'Stable Diffusion WebUI';

/**
 * Sampler when the caller names none. The API's own fallback is `Euler`; `DPM++ 2M` is the
 * WebUI's UI default since 1.7, exists in A1111, Forge and reForge alike, and gives good
 * images at our default 20 steps. (On WebUIs with a separate scheduler it runs with the
 * `Automatic` scheduler, i.e. Karras.)
 */
const DEFAULT_SAMPLER = 'DPM++ 2M';

/** img2img `denoising_strength` when the caller gives no `strength`: the API's and the UI's default. */
const DEFAULT_STRENGTH = 0.75;

/** Steps when the caller gives none: the UI's default (the API's own is 50). */
export const SD_WEBUI_DEFAULT_STEPS = 20;

/** `cfg_scale` when the caller gives no `guidance`: the UI's default. */
export const SD_WEBUI_DEFAULT_CFG_SCALE = 7;

/** Enabled by `SD_WEBUI_URL`; a blank value counts as unset. */
export const sdWebUiProvider: ImageProvider = {
	id: 'sd-webui',
	configuredBy: 'SD_WEBUI_URL',
	isConfigured: (env) => readConfig(env).providers.sdWebUi.url !== undefined,
	async generate(request, { env, signal }): Promise<GeneratedImage> {
		const settings = readConfig(env).providers.sdWebUi;
		const baseUrl = webUiBaseUrl(settings.url);
		const auth = settings.auth ? basicAuthorization(settings.auth) : undefined;
		const reference = request.referenceImages?.[0];
		const body = reference
			? { ...txt2imgBody(request, settings.checkpoint), ...img2imgFields(request, reference.bytes) }
			: txt2imgBody(request, settings.checkpoint);
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (auth) headers.authorization = auth;
		const response = await providerFetch(
			`${baseUrl}/sdapi/v1/${reference ? 'img2img' : 'txt2img'}`,
			{ method: 'POST', headers, body: JSON.stringify(body) },
			{
				provider: PROVIDER,
				credential: 'SD_WEBUI_AUTH',
				signal,
				classify: (status, errorBody) =>
					classifyWebUiError(status, errorBody, {
						request,
						authConfigured: auth !== undefined,
						checkpoint: settings.checkpoint,
					}),
			},
		);
		return readWebUiAnswer(await readJson(response, PROVIDER), request);
	},
};

/** `SD_WEBUI_URL` without trailing slashes (so paths never get `//sdapi`); a URL that cannot work is a final error. */
function webUiBaseUrl(raw: string | undefined): string {
	const invalid = new ProviderError(
		'unavailable',
		"SD_WEBUI_URL is not a valid http(s) URL; set it to the WebUI's base URL, e.g. https://sd.example.com.",
	);
	let url: URL;
	try {
		url = new URL((raw ?? '').trim());
	} catch {
		throw invalid;
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid;
	// origin + path: a path prefix (a WebUI behind a reverse proxy) is kept; query and fragment are not.
	return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** HTTP Basic for `--api-auth user:password` (UTF-8, so non-ASCII passwords work). */
function basicAuthorization(auth: string): string {
	if (!auth.includes(':')) {
		throw new ProviderError('auth', "SD_WEBUI_AUTH must be user:password, as given to the WebUI's --api-auth.");
	}
	return `Basic ${encodeBase64(new TextEncoder().encode(auth))}`;
}

/**
 * The StableDiffusionProcessingTxt2Img fields we set; one image per call (batch_size and n_iter 1).
 * `checkpoint`: SD_WEBUI_CHECKPOINT, when the operator set one.
 */
function txt2imgBody(request: GenerationRequest, checkpoint: string | undefined): Record<string, unknown> {
	const body: Record<string, unknown> = {
		prompt: request.prompt,
		negative_prompt: request.negativePrompt ?? '',
		width: request.width,
		height: request.height,
		steps: request.steps ?? SD_WEBUI_DEFAULT_STEPS,
		cfg_scale: request.guidance ?? SD_WEBUI_DEFAULT_CFG_SCALE,
		sampler_name: request.sampler ?? DEFAULT_SAMPLER,
		// -1 asks the WebUI for a random seed; the consumer always sets one for this model.
		seed: request.seed ?? -1,
		batch_size: 1,
		n_iter: 1,
	};
	if (checkpoint) {
		// Applies to this job only: the WebUI's own setting is put back afterwards (it reloads
		// weights lazily, so back-to-back jobs do not swap checkpoints each time).
		body.override_settings = { sd_model_checkpoint: checkpoint };
		body.override_settings_restore_afterwards = true;
	}
	return body;
}

/** The StableDiffusionProcessingImg2Img additions: the reference image, how far to move from it, the mask. */
function img2imgFields(request: GenerationRequest, reference: Uint8Array): Record<string, unknown> {
	const fields: Record<string, unknown> = {
		init_images: [encodeBase64(reference)],
		denoising_strength: request.strength ?? DEFAULT_STRENGTH,
	};
	if (request.mask) {
		// White repaints, as in our API. `inpainting_fill: 1` ("original") starts the masked area
		// from the reference, as the UI does; the API's default (0, "fill") starts it from a blur.
		fields.mask = encodeBase64(request.mask.bytes);
		fields.inpainting_fill = 1;
	}
	return fields;
}

interface ClassifyContext {
	request: GenerationRequest;
	authConfigured: boolean;
	checkpoint: string | undefined;
}

/** The WebUI's error shapes: `{error, detail, body, errors}` from its middleware, or FastAPI's `{detail}`. */
interface WebUiErrorBody {
	/** Exception class, e.g. `OutOfMemoryError`, `HTTPException`. */
	error: string;
	/** HTTPException detail; for FastAPI validation errors the first `{loc, msg}`. */
	detail: string;
	validation: { loc: string; msg: string } | undefined;
	/** `str(exception)`. */
	errors: string;
}

function readErrorBody(body: unknown): WebUiErrorBody {
	const record = isRecord(body) ? body : {};
	const text = (value: unknown): string => (typeof value === 'string' ? value : '');
	let validation: WebUiErrorBody['validation'];
	if (Array.isArray(record.detail)) {
		const first: unknown = record.detail[0];
		if (isRecord(first) && typeof first.msg === 'string') {
			const loc = Array.isArray(first.loc) ? first.loc.filter((part) => part !== 'body').join('.') : '';
			validation = { loc, msg: first.msg };
		}
	}
	return { error: text(record.error), detail: text(record.detail), validation, errors: text(record.errors) };
}

/** CUDA, ROCm and Apple MPS out-of-memory errors as PyTorch words them. */
const OUT_OF_MEMORY = /OutOfMemory|out of memory/i;

/** Maps the WebUI's error answers to typed errors; undefined falls back to providerFetch's status mapping. */
function classifyWebUiError(status: number, body: unknown, context: ClassifyContext): ProviderError | undefined {
	const { request } = context;
	const parsed = readErrorBody(body);
	const said = (text: string): string => (text ? `: ${upstreamMessage(text)}` : '.');

	if (OUT_OF_MEMORY.test(`${parsed.error} ${parsed.detail} ${parsed.errors}`)) {
		// Final: the same size will run out of memory again.
		return new ProviderError(
			'invalid_request',
			`${PROVIDER} ran out of GPU memory at ${request.width}×${request.height}; use a smaller size (for SD 1.5 checkpoints 512×512, for SDXL about 1024×1024).`,
		);
	}
	if (/sampler not found/i.test(parsed.detail)) {
		return new ProviderError(
			'invalid_request',
			`${PROVIDER} has no sampler named "${upstreamMessage(request.sampler ?? DEFAULT_SAMPLER)}"; use a name its /sdapi/v1/samplers lists, e.g. "Euler a" or "DPM++ 2M".`,
		);
	}
	if (status === 401) {
		return new ProviderError(
			'auth',
			context.authConfigured
				? `${PROVIDER} refused the login (HTTP 401); the operator should check SD_WEBUI_AUTH (user:password as given to --api-auth).`
				: `${PROVIDER} requires a login (HTTP 401); the operator should set SD_WEBUI_AUTH to the user:password given to --api-auth.`,
		);
	}
	if (status === 404) {
		if (context.checkpoint && /model|checkpoint/i.test(parsed.detail)) {
			return new ProviderError(
				'unavailable',
				`${PROVIDER} has no checkpoint named by SD_WEBUI_CHECKPOINT ("${upstreamMessage(context.checkpoint)}"); the operator should use a title from /sdapi/v1/sd-models.`,
			);
		}
		const detail = parsed.detail && parsed.detail !== 'Not Found' ? ` (${upstreamMessage(parsed.detail)})` : '';
		return new ProviderError(
			'unavailable',
			`${PROVIDER} has no API at SD_WEBUI_URL (HTTP 404)${detail}; the operator should start the WebUI with --api and set SD_WEBUI_URL to its base URL, without /sdapi.`,
		);
	}
	if (status === 422) {
		const first = parsed.validation
			? `${parsed.validation.loc ? `${parsed.validation.loc}: ` : ''}${parsed.validation.msg}`
			: parsed.detail;
		return new ProviderError('invalid_request', `${PROVIDER} rejected the request (HTTP 422)${said(first)}`);
	}
	if (status >= 500) {
		// The WebUI's middleware names the exception; anything else (a tunnel's HTML page) is not worth quoting.
		const reason = [parsed.error, parsed.errors || parsed.detail].filter(Boolean).join(': ');
		return new ProviderError(
			'transient',
			reason
				? `${PROVIDER} failed temporarily (HTTP ${status})${said(reason)}`
				: `${PROVIDER} failed temporarily (HTTP ${status}); is the WebUI running and reachable at SD_WEBUI_URL?`,
		);
	}
	return undefined;
}

/** Reads TextToImageResponse / ImageToImageResponse: the first image, and the seed from the `info` JSON string. */
function readWebUiAnswer(data: unknown, request: GenerationRequest): GeneratedImage {
	const images = isRecord(data) && Array.isArray(data.images) ? data.images : [];
	const first: unknown = images[0];
	if (typeof first !== 'string' || first.length === 0) {
		throw new ProviderError('transient', `${PROVIDER} returned a malformed answer (no image).`);
	}
	const bytes = decodeBase64(first, PROVIDER);
	const seed = isRecord(data) ? seedFromInfo(data.info) : undefined;
	// The WebUI uses the seed it is given; fall back to it when `info` says nothing readable.
	return { bytes, seed: seed ?? request.seed };
}

function seedFromInfo(info: unknown): number | undefined {
	let parsed: unknown = info;
	if (typeof info === 'string') {
		try {
			parsed = JSON.parse(info);
		} catch {
			return undefined;
		}
	}
	if (!isRecord(parsed)) return undefined;
	const seed = parsed.seed;
	return typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0 ? seed : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
