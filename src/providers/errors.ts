/**
 * Typed provider failures (DESIGN.md §3). The consumer's retry policy reads `kind`;
 * tools show `message`, which must be safe to put on the wire (no secrets, no stack).
 */
export type ProviderErrorKind =
	| 'transient' // 5xx, timeouts, network: retried with backoff
	| 'rate_limited' // 429: retried after retryAfterSeconds
	| 'invalid_request' // the request cannot succeed as given: final
	| 'content_policy' // the provider refused the prompt: final
	| 'auth' // the operator's credentials are wrong: final
	| 'unavailable'; // model not configured or switched off: final

export class ProviderError extends Error {
	override readonly name = 'ProviderError';
	constructor(
		readonly kind: ProviderErrorKind,
		message: string,
		readonly retryAfterSeconds?: number,
	) {
		super(message);
	}

	/** Whether another attempt may succeed. */
	get retryable(): boolean {
		return this.kind === 'transient' || this.kind === 'rate_limited';
	}
}

/** Whether `error` is what fetch or AI.run throw when their AbortSignal fires (cancelled or timed out). */
export function isAbortError(error: unknown): boolean {
	return error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Anything thrown that is not a ProviderError (D1, R2, a bug) is treated as transient. */
export function toProviderError(error: unknown): ProviderError {
	if (error instanceof ProviderError) return error;
	if (isAbortError(error)) {
		return new ProviderError('transient', 'The image provider did not answer in time.');
	}
	return new ProviderError('transient', 'Temporary internal error while generating the image.');
}
