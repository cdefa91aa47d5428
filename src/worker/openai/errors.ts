/**
 * Errors of the OpenAI-compatible endpoint (`/v1`) in OpenAI's shape, `{ error: { message,
 * type, param, code } }`, so the official clients raise their own typed errors
 * (`BadRequestError`, `AuthenticationError`, `RateLimitError`, …) with our words. Each handled
 * failure of an operation (src/tools/context.ts `FailureKind`) has one status, type and code;
 * the message is the operation's own (never a stack), and `param` names the OpenAI request field.
 */
import type { Context } from 'hono';
import type { FailureKind, ToolFailure } from '../../tools/context';
import type { AppEnv } from '../app-env';

/** OpenAI's error `type`s that these answers use. */
export type OpenAiErrorType =
	| 'invalid_request_error'
	| 'permission_error'
	| 'requests'
	| 'insufficient_quota'
	| 'server_error';

export interface OpenAiErrorInput {
	status: number;
	message: string;
	type: OpenAiErrorType;
	/** The request field the error is about, in OpenAI's names (`n`, `size`); null when none is. */
	param?: string | null;
	code?: string | null;
	/** Fields beside OpenAI's four (clients keep them on the error's `error` object): `job_ids`. */
	extra?: Record<string, unknown>;
	headers?: Record<string, string>;
	/**
	 * False where a client's automatic retry would make new jobs (the official clients retry
	 * 408, 409, 429 and 5xx unless told `x-should-retry: false`) or cannot help.
	 */
	retry?: boolean;
}

/** An OpenAI-shaped error response. */
export function openAiError(input: OpenAiErrorInput): Response {
	const body = {
		error: {
			message: input.message,
			type: input.type,
			param: input.param ?? null,
			code: input.code ?? null,
			...input.extra,
		},
	};
	return new Response(JSON.stringify(body), {
		status: input.status,
		headers: {
			'content-type': 'application/json; charset=utf-8',
			'cache-control': 'no-store',
			...(input.retry === false ? { 'x-should-retry': 'false' } : {}),
			...input.headers,
		},
	});
}

/** A bad request naming the field: 400 `invalid_request_error`. */
export function invalidRequest(message: string, param: string | null, code: string | null = 'invalid_value'): Response {
	return openAiError({ status: 400, message, type: 'invalid_request_error', param, code });
}

/** How each kind of operation failure answers: status, type, code, and whether a client may retry it. */
const FAILURES: Record<FailureKind, { status: number; type: OpenAiErrorType; code: string; retry?: boolean }> = {
	invalid: { status: 400, type: 'invalid_request_error', code: 'invalid_value' },
	not_found: { status: 404, type: 'invalid_request_error', code: 'not_found' },
	forbidden: { status: 403, type: 'permission_error', code: 'forbidden' },
	read_only: { status: 403, type: 'permission_error', code: 'read_only' },
	// A 409 is retried by the clients; the state it reports does not change by retrying.
	conflict: { status: 409, type: 'invalid_request_error', code: 'conflict', retry: false },
	confirmation_required: { status: 428, type: 'invalid_request_error', code: 'confirmation_required' },
	// Nothing was created: the client's own retry after Retry-After is welcome.
	rate_limited: { status: 429, type: 'requests', code: 'rate_limit_exceeded' },
	// Budgets reset at the end of a UTC day or month: retrying within a client's few seconds cannot help.
	budget_exceeded: { status: 429, type: 'insufficient_quota', code: 'insufficient_quota', retry: false },
	unavailable: { status: 503, type: 'server_error', code: 'service_unavailable' },
	// Jobs may have been created before it broke: a blind retry could make them twice.
	internal: { status: 500, type: 'server_error', code: 'internal_error', retry: false },
};

/**
 * The OpenAI request field (or header) an operation's argument came from
 * (src/worker/openai/request.ts maps them the other way). Arguments not listed keep their names.
 */
const PARAM_OF_ARGUMENT: Record<string, string> = {
	count: 'n',
	width: 'size',
	height: 'size',
	aspect_ratio: 'size',
	image_size: 'size',
	idempotency_key: 'Idempotency-Key',
};

/** The argument a failure is about: its `fields`, else the `name: ` its message starts with. */
function argumentOf(failure: ToolFailure): string | undefined {
	if (failure.fields?.length) return failure.fields[0];
	return /^([a-z_][a-z0-9_.]*): /.exec(failure.message)?.[1];
}

export function paramOfArgument(argument: string | undefined): string | null {
	if (argument === undefined) return null;
	const top = argument.split('.')[0]!;
	return PARAM_OF_ARGUMENT[top] ?? top;
}

/** Seconds until an ISO time, at least 1: what `Retry-After` says for a refusal that resets. */
export function retryAfterSeconds(resetsAt: unknown, now = Date.now()): number | undefined {
	if (typeof resetsAt !== 'string') return undefined;
	const at = Date.parse(resetsAt);
	return Number.isNaN(at) ? undefined : Math.max(1, Math.ceil((at - now) / 1000));
}

/**
 * An operation's handled failure in OpenAI's shape. Its machine-readable details (which limit,
 * when it resets, a confirmation token) ride along on the error object.
 */
export function failureToOpenAi(failure: ToolFailure, now = Date.now()): Response {
	const kind = failure.kind ?? 'invalid';
	const { status, type, code, retry } = FAILURES[kind];
	const retryAfter = status === 429 ? retryAfterSeconds(failure.details?.resets_at, now) : undefined;
	return openAiError({
		status,
		type,
		message: failure.message,
		param: kind === 'confirmation_required' ? 'confirmation' : paramOfArgument(argumentOf(failure)),
		code,
		...(failure.details ? { extra: failure.details } : {}),
		headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
		...(retry === undefined ? {} : { retry }),
	});
}

/** Why the guard in front of `/v1` refused (src/worker/app.ts): the Host, the Origin, or the credentials. */
type RefusalReason = 'host' | 'origin' | 'auth';

/**
 * The guard's refusal in OpenAI's shape: 401 `invalid_api_key` with the challenge the guard
 * passes in `headers`, 403 for a refused Host or Origin, 503 for a server whose auth is not set up.
 */
export function openAiRefuse(
	_c: Context<AppEnv>,
	status: number,
	message: string,
	headers: Record<string, string>,
	why: RefusalReason,
): Response {
	if (status === 401) {
		return openAiError({ status, message, type: 'invalid_request_error', code: 'invalid_api_key', headers });
	}
	if (status === 503) {
		return openAiError({ status, message, type: 'server_error', code: 'service_unavailable', headers, retry: false });
	}
	const code = why === 'host' ? 'host_not_allowed' : why === 'origin' ? 'origin_not_allowed' : 'forbidden';
	return openAiError({ status, message, type: 'permission_error', code, headers });
}

/**
 * Request headers a browser may send cross-origin (where ALLOWED_ORIGINS lets it): ours, and
 * those the official JavaScript client adds to every request.
 */
export const OPENAI_ALLOW_HEADERS = [
	'Content-Type',
	'Accept',
	'Authorization',
	'Idempotency-Key',
	'OpenAI-Organization',
	'OpenAI-Project',
	'OpenAI-Beta',
	'X-Stainless-Arch',
	'X-Stainless-Lang',
	'X-Stainless-OS',
	'X-Stainless-Package-Version',
	'X-Stainless-Retry-Count',
	'X-Stainless-Runtime',
	'X-Stainless-Runtime-Version',
	'X-Stainless-Timeout',
	'X-Stainless-Helper-Method',
];

/** Response headers a browser script may read. */
export const OPENAI_EXPOSE_HEADERS = ['Retry-After', 'WWW-Authenticate', 'X-Should-Retry'];
