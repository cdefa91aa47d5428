/**
 * RFC 9457 problem details: how the HTTP API (/api/v1, /admin) says what went wrong. Each
 * handled failure of an operation (src/tools/context.ts `FailureKind`) has one status and one
 * `type`; the body names the field (`field`, `fields`) and keeps the operation's details
 * (which limit, when it resets). A refusal that resets says when in `Retry-After` too.
 */
import type { FailureKind, ToolFailure } from '../../tools/context';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problems that are not an operation's: the HTTP layer's own. */
export type HttpProblemKind = 'unauthorized' | 'payload_too_large' | 'unsupported_media_type' | 'method_not_allowed';
export type ProblemKind = FailureKind | HttpProblemKind;

const PROBLEMS: Record<ProblemKind, { status: number; title: string }> = {
	invalid: { status: 400, title: 'Invalid request' },
	unauthorized: { status: 401, title: 'Authentication required' },
	forbidden: { status: 403, title: 'Forbidden' },
	read_only: { status: 403, title: 'This server is read-only' },
	not_found: { status: 404, title: 'Not found' },
	method_not_allowed: { status: 405, title: 'Method not allowed' },
	conflict: { status: 409, title: 'Conflict' },
	payload_too_large: { status: 413, title: 'Request body too large' },
	unsupported_media_type: { status: 415, title: 'Unsupported media type' },
	confirmation_required: { status: 428, title: 'Confirmation required' },
	rate_limited: { status: 429, title: 'Rate limit reached' },
	budget_exceeded: { status: 429, title: 'Budget reached' },
	internal: { status: 500, title: 'Internal error' },
	unavailable: { status: 503, title: 'Service unavailable' },
};

/** The `type` URI of a kind of problem; docs/api.md#problems lists them. */
export function problemType(kind: ProblemKind): string {
	return `urn:image-mcp:problem:${kind.replaceAll('_', '-')}`;
}

export function problemStatus(kind: ProblemKind): number {
	return PROBLEMS[kind].status;
}

/**
 * The field a message is about. Operations start every message about one argument with its
 * name and a colon (`job_id: no job …`); bad arguments list theirs in `fields`.
 */
function fieldsOf(failure: ToolFailure): string[] {
	if (failure.fields?.length) return failure.fields;
	const named = /^([a-z_][a-z0-9_.]*): /.exec(failure.message);
	return named ? [named[1]!] : [];
}

/** Seconds until an ISO time, at least 1: what `Retry-After` says for a refusal that resets. */
function retryAfterSeconds(resetsAt: unknown, now: number): number | undefined {
	if (typeof resetsAt !== 'string') return undefined;
	const at = Date.parse(resetsAt);
	return Number.isNaN(at) ? undefined : Math.max(1, Math.ceil((at - now) / 1000));
}

export interface ProblemInput {
	kind: ProblemKind;
	detail: string;
	/** The request path the problem is about. */
	instance: string;
	fields?: string[];
	extensions?: Record<string, unknown>;
	headers?: Record<string, string>;
}

export function problemResponse(problem: ProblemInput, now = Date.now()): Response {
	const { status, title } = PROBLEMS[problem.kind];
	const fields = problem.fields ?? [];
	const retryAfter = retryAfterSeconds(problem.extensions?.resets_at, now);
	const body = {
		type: problemType(problem.kind),
		title,
		status,
		detail: problem.detail,
		instance: problem.instance,
		...(fields.length ? { field: fields[0], fields } : {}),
		...problem.extensions,
	};
	return new Response(JSON.stringify(body), {
		status,
		headers: {
			'content-type': PROBLEM_CONTENT_TYPE,
			'cache-control': 'no-store',
			...(retryAfter !== undefined && status === 429 ? { 'retry-after': String(retryAfter) } : {}),
			...problem.headers,
		},
	});
}

/** An operation's handled failure as a problem. */
export function failureResponse(failure: ToolFailure, instance: string, now = Date.now()): Response {
	return problemResponse(
		{
			kind: failure.kind ?? 'invalid',
			detail: failure.message,
			instance,
			fields: fieldsOf(failure),
			...(failure.details ? { extensions: failure.details } : {}),
		},
		now,
	);
}
