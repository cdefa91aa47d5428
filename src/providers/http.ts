/**
 * What the HTTP providers (OpenAI, Gemini, SD WebUI) share: one fetch that maps transport
 * failures and HTTP statuses to the typed errors of DESIGN.md §3. Each provider adds its own
 * reading of the error body (content-policy codes, messages) through `classify`.
 */
import { isAbortError, ProviderError, type ProviderErrorKind } from './errors';

export interface HttpCallOptions {
	/** Provider name for messages, e.g. "OpenAI". */
	provider: string;
	/** The secret or variable an operator must fix when the provider refuses credentials. */
	credential: string;
	signal: AbortSignal;
	/**
	 * Looks at a non-2xx answer's parsed body (JSON or text) and returns a more precise error,
	 * or undefined to fall back to the status-based one.
	 */
	classify?: (status: number, body: unknown, retryAfterSeconds: number | undefined) => ProviderError | undefined;
}

/** Longest error text from upstream we repeat to the caller. */
const MAX_UPSTREAM_MESSAGE = 300;

/** Seconds from a Retry-After header (delta seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
	if (!header) return undefined;
	const trimmed = header.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Math.ceil(Number(trimmed)));
	const date = Date.parse(trimmed);
	return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Upstream text made safe to show: one line, bounded, no secrets (API keys are masked). */
export function upstreamMessage(text: unknown): string {
	const raw = typeof text === 'string' ? text : JSON.stringify(text ?? '');
	const oneLine = raw
		.replace(/\s+/g, ' ')
		.replace(/\b(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g, '$1…')
		.replace(/\b(AIza[0-9A-Za-z_-]{4})[0-9A-Za-z_-]+/g, '$1…')
		.trim();
	return oneLine.length > MAX_UPSTREAM_MESSAGE ? `${oneLine.slice(0, MAX_UPSTREAM_MESSAGE)}…` : oneLine;
}

async function readBody(response: Response): Promise<unknown> {
	const text = await response.text().catch(() => '');
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** The error for a non-2xx status when the provider's `classify` has nothing more precise. */
export function errorForStatus(
	status: number,
	options: Pick<HttpCallOptions, 'provider' | 'credential'>,
	detail: string,
	retryAfterSeconds: number | undefined,
): ProviderError {
	const { provider, credential } = options;
	const suffix = detail ? `: ${detail}` : '.';
	let kind: ProviderErrorKind;
	let message: string;
	if (status === 401 || status === 403) {
		kind = 'auth';
		message = `${provider} refused the credentials (HTTP ${status}); the operator should check ${credential}${suffix}`;
	} else if (status === 429) {
		kind = 'rate_limited';
		message = `${provider} is rate limiting requests (HTTP 429)${suffix}`;
	} else if (status === 408 || status >= 500) {
		kind = 'transient';
		message = `${provider} failed temporarily (HTTP ${status})${suffix}`;
	} else if (status === 404) {
		kind = 'unavailable';
		message = `${provider} does not know this model or endpoint (HTTP 404)${suffix}`;
	} else {
		kind = 'invalid_request';
		message = `${provider} rejected the request (HTTP ${status})${suffix}`;
	}
	return new ProviderError(kind, message, kind === 'rate_limited' ? (retryAfterSeconds ?? 20) : retryAfterSeconds);
}

/**
 * Sends a request and returns the 2xx response. Throws ProviderError for network failures and
 * timeouts (transient) and for every non-2xx status (via `classify`, then `errorForStatus`).
 */
export async function providerFetch(url: string, init: RequestInit, options: HttpCallOptions): Promise<Response> {
	let response: Response;
	try {
		response = await fetch(url, { ...init, signal: options.signal });
	} catch (error) {
		if (isAbortError(error) || options.signal.aborted) {
			throw new ProviderError('transient', `${options.provider} did not answer in time.`);
		}
		throw new ProviderError('transient', `Could not reach ${options.provider} (network error).`);
	}
	if (response.ok) return response;
	const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
	const body = await readBody(response);
	const precise = options.classify?.(response.status, body, retryAfter);
	if (precise) throw precise;
	throw errorForStatus(response.status, options, upstreamMessage(extractMessage(body)), retryAfter);
}

/** The human part of common error bodies: `{error:{message}}`, `{detail}`, `{message}`, or text. */
export function extractMessage(body: unknown): string {
	if (typeof body === 'string') return body;
	if (body && typeof body === 'object') {
		const record = body as Record<string, unknown>;
		const error = record.error;
		if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
			return (error as { message: string }).message;
		}
		if (typeof error === 'string') return error;
		if (typeof record.detail === 'string') return record.detail;
		if (typeof record.message === 'string') return record.message;
		if (record.detail !== undefined) return JSON.stringify(record.detail);
	}
	return '';
}

/**
 * Reads a 2xx JSON body. A body that is not JSON is a malformed answer: transient, since a
 * proxy or a hiccup upstream is the usual cause and another attempt may succeed.
 */
export async function readJson(response: Response, provider: string): Promise<unknown> {
	const text = await response.text();
	try {
		return JSON.parse(text);
	} catch {
		throw new ProviderError('transient', `${provider} returned a malformed answer (not JSON).`);
	}
}

/** Decodes base64 (plain or a data: URL) to bytes; a malformed string is a transient provider error. */
export function decodeBase64(data: string, provider: string): Uint8Array {
	try {
		const binary = atob(data.replace(/^data:[^;,]+;base64,/, ''));
		const bytes = new Uint8Array(binary.length);
		for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
		return bytes;
	} catch {
		throw new ProviderError('transient', `${provider} returned an image that is not valid base64.`);
	}
}

/** Encodes bytes as base64 without building one huge argument list. */
export function encodeBase64(bytes: Uint8Array): string {
	let binary = '';
	const chunk = 0x8000;
	for (let index = 0; index < bytes.length; index += chunk) {
		binary += String.fromCharCode(...bytes.subarray(index, index + chunk));
	}
	return btoa(binary);
}
