/**
 * The outside world at the HTTP boundary: replaces the global `fetch` for one test with a
 * scripted upstream and records every request it receives (method, URL, headers, body), so
 * tests can assert the exact request a provider sends.
 */
import { afterEach, vi } from 'vitest';

export interface RecordedRequest {
	method: string;
	url: string;
	headers: Record<string, string>;
	/** Body as text (JSON requests); empty for GET. */
	text: string;
	/** Parsed JSON body, when the body is JSON. */
	json: unknown;
	/** Parsed form, for multipart/form-data bodies. */
	form: FormData | undefined;
}

/** Answers one request; may throw (a network error) or return a never-settling promise (a hang). */
export type Upstream = (request: Request, recorded: RecordedRequest) => Response | Promise<Response>;

async function record(request: Request): Promise<RecordedRequest> {
	const headers: Record<string, string> = {};
	request.headers.forEach((value, key) => {
		headers[key] = value;
	});
	const contentType = request.headers.get('content-type') ?? '';
	let text = '';
	let json: unknown;
	let form: FormData | undefined;
	if (request.method !== 'GET' && request.method !== 'HEAD') {
		if (contentType.startsWith('multipart/form-data')) {
			form = await request.clone().formData();
		} else {
			text = new TextDecoder().decode(await request.clone().arrayBuffer());
			try {
				json = JSON.parse(text);
			} catch {
				json = undefined;
			}
		}
	}
	return { method: request.method, url: request.url, headers, text, json, form };
}

/**
 * Stubs global fetch with `upstream` (a function, or a list of answers used in order). Returns
 * the recorded requests. The stub honours the request's AbortSignal, as real fetch does.
 */
export function stubFetch(upstream: Upstream | Array<Upstream>): RecordedRequest[] {
	const calls: RecordedRequest[] = [];
	const script = Array.isArray(upstream) ? [...upstream] : undefined;
	const stub = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const request = new Request(input, init);
		const recorded = await record(request);
		calls.push(recorded);
		const answer = script ? script.shift() : (upstream as Upstream);
		if (!answer) throw new Error(`fetch stub: no scripted answer for request ${calls.length} (${request.url})`);
		const signal = init?.signal ?? request.signal;
		if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
		return await new Promise<Response>((resolve, reject) => {
			signal?.addEventListener('abort', () => reject(signal.reason ?? new DOMException('aborted', 'AbortError')));
			Promise.resolve()
				.then(() => answer(request, recorded))
				.then(resolve, reject);
		});
	};
	vi.stubGlobal('fetch', stub);
	return calls;
}

afterEach(() => {
	vi.unstubAllGlobals();
});

/** A JSON response with the given status and headers. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
	return new Response(JSON.stringify(body), {
		status,
		headers: { 'content-type': 'application/json', ...headers },
	});
}

/** An upstream that never answers (until the caller's signal aborts the request). */
export const hang: Upstream = () => new Promise<Response>(() => {});

/** An upstream that fails at the network level, as fetch does when the host is unreachable. */
export const networkError: Upstream = () => {
	throw new TypeError('fetch failed: connection refused');
};
