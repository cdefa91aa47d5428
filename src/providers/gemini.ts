/**
 * Google Gemini image models ("Nano Banana") through the Gemini API's `generateContent`
 * (https://ai.google.dev/gemini-api/docs/image-generation). One call sends the prompt and any
 * reference images as parts of one user turn and asks for an image at an aspect ratio and a
 * resolution tier; the answer carries the image as base64 `inlineData` among its parts.
 *
 * Gemini refuses in three places, and each becomes a typed error: an HTTP error body
 * (google.rpc.Status with `details`), a blocked prompt (`promptFeedback.blockReason`), or a
 * candidate that stopped for a policy reason or answered in words instead of an image.
 */
import { readConfig } from '../env';
import { ProviderError } from './errors';
import { decodeBase64, encodeBase64, providerFetch, readJson, upstreamMessage } from './http';
import type { GeneratedImage, GenerationRequest, ImageProvider, ImageSizeTier, ProviderContext } from './types';

const PROVIDER = 'Gemini';
const CREDENTIAL = 'GEMINI_API_KEY';
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/**
 * Input image types the Gemini API documents (image understanding: PNG, JPEG, WebP, HEIC,
 * HEIF). GIF is not among them, so a GIF reference is refused here with a clear message
 * instead of a 400 from Google.
 */
const ACCEPTED_REFERENCE_TYPES: ReadonlySet<string> = new Set([
	'image/png',
	'image/jpeg',
	'image/webp',
	'image/heic',
	'image/heif',
]);

/** The Gemini API takes at most 20 MB per request, inline images included (image understanding docs). */
const MAX_REQUEST_BYTES = 20 * 1024 * 1024;

/** One part of a `Content`, as the REST docs spell it in requests (`inline_data`, `mime_type`). */
type RequestPart = { text: string } | { inline_data: { mime_type: string; data: string } };

export interface GeminiRequestBody {
	contents: [{ role: 'user'; parts: RequestPart[] }];
	generationConfig: {
		responseModalities: string[];
		imageConfig: { aspectRatio?: string; imageSize?: ImageSizeTier };
		seed?: number;
	};
}

/**
 * The `generateContent` body for one image. The prompt comes first, then the reference images
 * in the caller's order, as in the docs' editing example. `responseModalities` is the
 * documented default (text and image): when the model declines to draw, its words say why,
 * and the error quotes them.
 */
export function buildGeminiRequest(request: GenerationRequest): GeminiRequestBody {
	const parts: RequestPart[] = [{ text: request.prompt }];
	for (const reference of request.referenceImages ?? []) {
		parts.push({ inline_data: { mime_type: reference.contentType, data: encodeBase64(reference.bytes) } });
	}
	const body: GeminiRequestBody = {
		contents: [{ role: 'user', parts }],
		generationConfig: {
			responseModalities: ['TEXT', 'IMAGE'],
			imageConfig: { aspectRatio: request.aspectRatio, imageSize: request.imageSize },
		},
	};
	// GenerationConfig.seed: "used in decoding"; the same seed makes a similar, not identical, image.
	if (request.seed !== undefined) body.generationConfig.seed = request.seed;
	return body;
}

/** `{base}/models/{id}:generateContent`; an upstream id written as `models/…` (the API's resource name) works too. */
export function geminiUrl(env: Env, upstreamId: string): string {
	const configured = readConfig(env).providers.gemini.baseUrl || GEMINI_DEFAULT_BASE_URL;
	try {
		new URL(configured);
	} catch {
		throw new ProviderError('unavailable', 'GEMINI_BASE_URL is not a valid URL; the operator should fix it.');
	}
	const base = configured.replace(/\/+$/, '');
	const model = upstreamId.replace(/^models\//, '');
	return `${base}/models/${encodeURIComponent(model)}:generateContent`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
	return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asArray(value: unknown): unknown[] {
	return Array.isArray(value) ? value : [];
}

/** Seconds in a protobuf Duration as JSON ("12s", "0.5s"), rounded up; undefined when absent or unreadable. */
export function parseDurationSeconds(value: unknown): number | undefined {
	if (typeof value !== 'string') return undefined;
	const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
	return match ? Math.ceil(Number(match[1])) : undefined;
}

/**
 * Reads Google's error body (`{error: {code, message, status, details: [ErrorInfo, RetryInfo, …]}}`,
 * https://ai.google.dev/gemini-api/docs/troubleshooting) where the status alone says too
 * little: an invalid key is a 400, and a 429 says in RetryInfo when to come back. Everything
 * else falls back to the shared status mapping, which repeats Google's message.
 */
export function classifyGeminiError(
	status: number,
	body: unknown,
	retryAfterSeconds: number | undefined,
): ProviderError | undefined {
	const error = asRecord(asRecord(body)?.error);
	const rawMessage = typeof error?.message === 'string' ? error.message : '';
	const message = upstreamMessage(rawMessage);
	const suffix = message ? `: ${message}` : '.';
	const details = asArray(error?.details).map(asRecord);
	const keyInvalid =
		details.some((detail) => detail?.reason === 'API_KEY_INVALID') ||
		/API key (not valid|expired|invalid)/i.test(rawMessage);
	if (keyInvalid || status === 401 || status === 403 || error?.status === 'PERMISSION_DENIED') {
		return new ProviderError(
			'auth',
			`${PROVIDER} refused the API key (HTTP ${status}); the operator should check ${CREDENTIAL}${suffix}`,
		);
	}
	if (status === 429 || error?.status === 'RESOURCE_EXHAUSTED') {
		const retryInfo = details.find((detail) => String(detail?.['@type'] ?? '').endsWith('google.rpc.RetryInfo'));
		const delay = parseDurationSeconds(retryInfo?.retryDelay) ?? retryAfterSeconds ?? 20;
		return new ProviderError(
			'rate_limited',
			`${PROVIDER} is rate limiting requests or the quota is used up (HTTP ${status})${suffix}`,
			delay,
		);
	}
	return undefined;
}

/** Finish and block reasons that mean Gemini refused on policy grounds (Candidate.FinishReason, PromptFeedback.BlockReason). */
const POLICY_REASONS: ReadonlySet<string> = new Set([
	'SAFETY',
	'IMAGE_SAFETY',
	'PROHIBITED_CONTENT',
	'IMAGE_PROHIBITED_CONTENT',
	'BLOCKLIST',
	'RECITATION',
	'IMAGE_RECITATION',
	'SPII',
]);

/** The base64 image of a part, accepting the REST answer's `inlineData` and the snake_case spelling some gateways return. */
function inlineImage(part: Record<string, unknown>): string | undefined {
	const inline = asRecord(part.inlineData) ?? asRecord(part.inline_data);
	if (!inline || typeof inline.data !== 'string' || !inline.data) return undefined;
	const mimeType = inline.mimeType ?? inline.mime_type;
	if (typeof mimeType === 'string' && !mimeType.startsWith('image/')) return undefined;
	return inline.data;
}

/**
 * Finds the image in a `generateContent` answer, or throws the error the answer amounts to.
 * Thought parts (`thought: true`) are skipped: Gemini 3 image models draw interim images
 * while thinking, and those are not the result (nor are they checked by the safety filter
 * that may stop the final one).
 */
export function readGeminiAnswer(answer: unknown): Uint8Array {
	const root = asRecord(answer);
	if (!root) throw new ProviderError('transient', `${PROVIDER} returned a malformed answer (not an object).`);
	const blockReason = asRecord(root.promptFeedback)?.blockReason;
	if (typeof blockReason === 'string' && blockReason && blockReason !== 'BLOCK_REASON_UNSPECIFIED') {
		throw new ProviderError(
			'content_policy',
			`${PROVIDER} refused the prompt (blocked: ${blockReason}). Rephrase the prompt or the reference images.`,
		);
	}
	const candidate = asRecord(asArray(root.candidates)[0]);
	if (!candidate) throw new ProviderError('transient', `${PROVIDER} returned no candidate and no image.`);
	const parts = asArray(asRecord(candidate.content)?.parts)
		.map(asRecord)
		.filter((part): part is Record<string, unknown> => part !== undefined && part.thought !== true);
	for (const part of parts) {
		const data = inlineImage(part);
		if (data) return decodeBase64(data, PROVIDER);
	}
	const finishReason = typeof candidate.finishReason === 'string' ? candidate.finishReason : '';
	if (POLICY_REASONS.has(finishReason)) {
		const detail = typeof candidate.finishMessage === 'string' ? `: ${upstreamMessage(candidate.finishMessage)}` : '.';
		throw new ProviderError(
			'content_policy',
			`${PROVIDER} refused to make this image (${finishReason})${detail} Rephrase the prompt.`,
		);
	}
	const text = parts
		.map((part) => (typeof part.text === 'string' ? part.text : ''))
		.join(' ')
		.trim();
	if (text) {
		throw new ProviderError(
			'invalid_request',
			`${PROVIDER} answered with text instead of an image: "${upstreamMessage(text)}". Ask for the picture explicitly or rephrase.`,
		);
	}
	throw new ProviderError(
		'transient',
		`${PROVIDER} returned no image${finishReason ? ` (finish reason ${finishReason})` : ''}.`,
	);
}

export const geminiProvider: ImageProvider = {
	id: 'gemini',
	configuredBy: CREDENTIAL,
	isConfigured: (env) => readConfig(env).providers.gemini.apiKey !== undefined,
	async generate(request: GenerationRequest, { env, signal }: ProviderContext): Promise<GeneratedImage> {
		const { apiKey } = readConfig(env).providers.gemini;
		if (!apiKey) throw new ProviderError('unavailable', `${PROVIDER} is not configured: set the ${CREDENTIAL} secret.`);
		const refused = (request.referenceImages ?? []).findIndex(
			(image) => !ACCEPTED_REFERENCE_TYPES.has(image.contentType),
		);
		if (refused >= 0) {
			const type = request.referenceImages?.[refused]?.contentType;
			throw new ProviderError(
				'invalid_request',
				`reference_images[${refused}]: ${PROVIDER} does not take ${type} images; use PNG, JPEG or WebP.`,
			);
		}
		const url = geminiUrl(env, request.upstreamId);
		const body = JSON.stringify(buildGeminiRequest(request));
		if (body.length > MAX_REQUEST_BYTES) {
			throw new ProviderError(
				'invalid_request',
				`reference_images: ${PROVIDER} takes at most 20 MB per request, and these images make it larger; use fewer or smaller images.`,
			);
		}
		// The key goes in the x-goog-api-key header, never in the URL, so it stays out of logs.
		const response = await providerFetch(
			url,
			{ method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': apiKey }, body },
			{ provider: PROVIDER, credential: CREDENTIAL, signal, classify: classifyGeminiError },
		);
		let answer: unknown;
		try {
			answer = await readJson(response, PROVIDER);
		} catch (error) {
			if (error instanceof ProviderError) throw error;
			// The body stream broke or the timeout fired while it arrived.
			throw new ProviderError(
				'transient',
				signal.aborted ? `${PROVIDER} did not answer in time.` : `${PROVIDER}'s answer was cut off.`,
			);
		}
		return { bytes: readGeminiAnswer(answer), seed: request.seed };
	},
};
