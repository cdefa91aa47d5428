/**
 * OpenAI's Images API: the GPT Image models (gpt-image-1.5, gpt-image-1, gpt-image-1-mini),
 * dall-e-3 and dall-e-2. A text-only request is a JSON POST to `/images/generations`; a
 * request with reference images is a multipart POST to `/images/edits` (dall-e-3 has no
 * edits). Every call asks for one image as base64 (`b64_json`), so nothing depends on
 * OpenAI's URLs, which expire after an hour.
 *
 * Request and response shapes: https://platform.openai.com/docs/api-reference/images
 * (the same text ships in the official SDK, openai-node `src/resources/images.ts`).
 */
import { readConfig } from '../env';
import { ProviderError } from './errors';
import { decodeBase64, providerFetch, readJson, upstreamMessage } from './http';
import type { GeneratedImage, GenerationRequest, ImageProvider, ProviderContext, ReferenceImage } from './types';

const PROVIDER = 'OpenAI';
const CREDENTIAL = 'OPENAI_API_KEY';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The three request dialects of the Images API. */
type Family = 'gpt-image' | 'dall-e-3' | 'dall-e-2';

/** dall-e-2 edits take a square PNG under 4 MB, and every model takes a PNG mask under 4 MB. */
const SMALL_PNG_MAX_BYTES = 4 * 1024 * 1024;
/** GPT Image edits take PNG, WebP or JPEG inputs (not GIF). */
const GPT_IMAGE_INPUT_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const EXTENSIONS: Readonly<Record<string, string>> = {
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

/** The API root: `OPENAI_BASE_URL` (an OpenAI-compatible gateway) or api.openai.com, without a trailing slash. */
function baseUrl(env: Env): string {
	return (readConfig(env).providers.openai.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/**
 * The dialect of each catalog alias (openai.models.ts). Keyed by alias, not upstream id, so an
 * operator who points an alias at another upstream id through MODEL_OVERRIDES (e.g. a dated
 * snapshot) keeps the alias's parameters.
 */
const FAMILY_BY_ALIAS: ReadonlyMap<string, Family> = new Map([
	['gpt-image-1.5', 'gpt-image'],
	['gpt-image-1', 'gpt-image'],
	['gpt-image-1-mini', 'gpt-image'],
	['dall-e-3', 'dall-e-3'],
	['dall-e-2', 'dall-e-2'],
]);

/** The dialect of a request: by alias, else from the upstream id (a request built outside the catalog). */
function familyOf(request: GenerationRequest): Family {
	const known = FAMILY_BY_ALIAS.get(request.model);
	if (known) return known;
	const id = request.upstreamId.toLowerCase();
	if (id.startsWith('dall-e-3')) return 'dall-e-3';
	if (id.startsWith('dall-e-2')) return 'dall-e-2';
	return 'gpt-image';
}

function invalid(message: string): ProviderError {
	return new ProviderError('invalid_request', message);
}

/** The parameters both endpoints share for a family, as strings (JSON numbers are added by the caller). */
function commonFields(request: GenerationRequest, family: Family): Record<string, string> {
	const fields: Record<string, string> = {
		model: request.upstreamId,
		prompt: request.prompt,
		size: `${request.width}x${request.height}`,
	};
	if (family === 'gpt-image') {
		// GPT Image models always answer in base64 and refuse `response_format`.
		if (request.quality) fields.quality = request.quality;
		if (request.background) fields.background = request.background;
		if (request.outputFormat) fields.output_format = request.outputFormat;
	} else {
		if (family === 'dall-e-3') {
			if (request.quality) fields.quality = request.quality;
			if (request.style) fields.style = request.style;
		}
		// dall-e answers with an hour-long URL unless asked for base64.
		fields.response_format = 'b64_json';
	}
	return fields;
}

/** `POST /images/generations`: JSON, one image. */
function generationRequest(request: GenerationRequest, family: Family, apiKey: string): RequestInit {
	return {
		method: 'POST',
		headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ ...commonFields(request, family), n: 1 }),
	};
}

function fileOf(image: ReferenceImage, name: string): File {
	const extension = EXTENSIONS[image.contentType] ?? 'png';
	// Copy into a fresh ArrayBuffer-backed view: File wants bytes it can own.
	return new File([new Uint8Array(image.bytes)], `${name}.${extension}`, { type: image.contentType });
}

/**
 * Refuses, before anything is paid for, inputs the edits endpoint is documented to reject:
 * with a message that says what to change.
 */
function checkEditInputs(
	family: Family,
	references: readonly ReferenceImage[],
	mask: ReferenceImage | undefined,
): void {
	if (family === 'dall-e-3') {
		throw invalid('dall-e-3 cannot edit images. Use gpt-image-1.5 or dall-e-2 for reference images.');
	}
	if (family === 'dall-e-2') {
		const [image] = references;
		if (references.length !== 1 || !image) throw invalid(`dall-e-2 edits exactly one image, not ${references.length}.`);
		if (image.contentType !== 'image/png') {
			throw invalid(
				`dall-e-2 edits only PNG images; the reference image is ${image.contentType}. Use a GPT Image model.`,
			);
		}
		if (image.width !== image.height) {
			throw invalid(`dall-e-2 edits only square images; the reference image is ${image.width}×${image.height}.`);
		}
		if (image.bytes.byteLength >= SMALL_PNG_MAX_BYTES)
			throw invalid('dall-e-2 edits only images under 4 MB. Use a GPT Image model.');
	} else {
		references.forEach((image, index) => {
			if (!GPT_IMAGE_INPUT_TYPES.includes(image.contentType)) {
				throw invalid(`OpenAI takes PNG, JPEG or WebP reference images; image ${index + 1} is ${image.contentType}.`);
			}
		});
	}
	if (mask) {
		const first = references[0];
		if (mask.contentType !== 'image/png') {
			throw invalid(`OpenAI takes the mask only as a PNG, not ${mask.contentType}.`);
		}
		if (mask.bytes.byteLength >= SMALL_PNG_MAX_BYTES) throw invalid('OpenAI takes a mask only under 4 MB.');
		if (first && (mask.width !== first.width || mask.height !== first.height)) {
			throw invalid(
				`The mask must be the size of the first reference image (${first.width}×${first.height}), not ${mask.width}×${mask.height}.`,
			);
		}
	}
}

/**
 * `POST /images/edits`: multipart. GPT Image models take up to 16 images as `image[]`;
 * dall-e-2 takes one as `image`. The mask (transparent = repaint) applies to the first image.
 */
function editRequest(request: GenerationRequest, family: Family, apiKey: string): RequestInit {
	const references = request.referenceImages ?? [];
	checkEditInputs(family, references, request.mask);
	const form = new FormData();
	for (const [name, value] of Object.entries(commonFields(request, family))) form.append(name, value);
	form.append('n', '1');
	const field = family === 'gpt-image' ? 'image[]' : 'image';
	references.forEach((image, index) => {
		form.append(field, fileOf(image, `image-${index + 1}`));
	});
	if (request.mask) form.append('mask', fileOf(request.mask, 'mask'));
	// No content-type header: fetch writes the multipart boundary itself.
	return { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form };
}

interface OpenAiErrorBody {
	message: string;
	type: string;
	code: string;
}

/** The `{error: {message, type, param, code}}` body OpenAI sends with every failure. */
function readErrorBody(body: unknown): OpenAiErrorBody {
	const error = body && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : undefined;
	const field = (name: string): string => {
		const value = error && typeof error === 'object' ? (error as Record<string, unknown>)[name] : undefined;
		return typeof value === 'string' ? value : '';
	};
	return {
		message: field('message') || (typeof body === 'string' ? body : ''),
		type: field('type'),
		code: field('code'),
	};
}

/** "Please try again in 1.5s" / "in 20ms" in a rate-limit message, when no Retry-After header came. */
function retryDelayFromMessage(message: string): number | undefined {
	const match = /try again in (\d+(?:\.\d+)?)(ms|s)\b/i.exec(message);
	if (!match) return undefined;
	const seconds = Number(match[1]) / (match[2] === 'ms' ? 1000 : 1);
	return Math.max(1, Math.ceil(seconds));
}

/**
 * Reads OpenAI's error codes where the status alone would mislead: a 429 that is an empty
 * account (not worth retrying), a 400 that is a safety refusal. Everything else falls back to
 * the status mapping of `providerFetch` (401/403 auth naming OPENAI_API_KEY, 5xx transient).
 * Codes: https://platform.openai.com/docs/guides/error-codes
 */
function classifyOpenAiError(
	status: number,
	body: unknown,
	retryAfterSeconds: number | undefined,
): ProviderError | undefined {
	const { message, type, code } = readErrorBody(body);
	const reason = upstreamMessage(message);
	if (code === 'insufficient_quota' || type === 'insufficient_quota' || code === 'billing_hard_limit_reached') {
		return new ProviderError(
			'unavailable',
			`OpenAI refused the request because the account behind ${CREDENTIAL} is out of quota or credit (${code || type}); the operator should check its plan and billing details.`,
		);
	}
	if (status === 429) {
		return new ProviderError(
			'rate_limited',
			`OpenAI is rate limiting requests (HTTP 429)${reason ? `: ${reason}` : '.'}`,
			retryAfterSeconds ?? retryDelayFromMessage(message) ?? 20,
		);
	}
	if (
		status === 400 &&
		(code === 'content_policy_violation' || code === 'moderation_blocked' || /safety system/i.test(message))
	) {
		return new ProviderError(
			'content_policy',
			`OpenAI refused this request under its content policy${reason ? `: ${reason}` : '.'} Change the prompt or the reference images.`,
		);
	}
	return undefined;
}

/** The one image of a 2xx answer: `data[0].b64_json`, with dall-e-3's `revised_prompt`. */
function readImage(body: unknown): GeneratedImage {
	const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
	const first: unknown = Array.isArray(data) ? data[0] : undefined;
	const record = first && typeof first === 'object' ? (first as Record<string, unknown>) : {};
	const base64 = record.b64_json;
	if (typeof base64 !== 'string' || base64.length === 0) {
		throw new ProviderError('transient', 'OpenAI returned a malformed answer (no image in data[0].b64_json).');
	}
	const image: GeneratedImage = { bytes: decodeBase64(base64, PROVIDER) };
	if (typeof record.revised_prompt === 'string' && record.revised_prompt) image.revisedPrompt = record.revised_prompt;
	return image;
}

/** Configured by the `OPENAI_API_KEY` secret; `OPENAI_BASE_URL` points it at a gateway. OpenAI takes no seed. */
export const openAiProvider: ImageProvider = {
	id: 'openai',
	configuredBy: CREDENTIAL,
	isConfigured: (env) => readConfig(env).providers.openai.apiKey !== undefined,
	async generate(request: GenerationRequest, { env, signal }: ProviderContext): Promise<GeneratedImage> {
		const { apiKey } = readConfig(env).providers.openai;
		if (!apiKey) throw new ProviderError('unavailable', `OpenAI is not configured: set the ${CREDENTIAL} secret.`);
		const family = familyOf(request);
		if (family === 'gpt-image' && request.background === 'transparent' && request.outputFormat === 'jpeg') {
			throw invalid('A transparent background needs output_format png or webp; JPEG has no transparency.');
		}
		const edit = (request.referenceImages?.length ?? 0) > 0;
		const init = edit ? editRequest(request, family, apiKey) : generationRequest(request, family, apiKey);
		const response = await providerFetch(`${baseUrl(env)}/images/${edit ? 'edits' : 'generations'}`, init, {
			provider: PROVIDER,
			credential: CREDENTIAL,
			signal,
			classify: classifyOpenAiError,
		});
		return readImage(await readJson(response, PROVIDER));
	},
};
