/**
 * The REST API, `/api/v1`: resource-style routes over the same operations as the MCP tools
 * (src/tools/), with the same auth, owner scoping, limits and budgets. Each route is one row
 * of REST_ROUTES, which both registers it and describes it in the OpenAPI document
 * (src/worker/api/openapi.ts), so the two cannot drift. Failures are problem+json
 * (src/worker/api/problem.ts).
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { RequestScope, ToolContext, ToolDefinition, ToolSuccess } from '../../tools/context';
import { getImageTool } from '../../tools/gallery.tools';
import { generateInputSchema } from '../../tools/generate.schema';
import { generateImageAndWaitTool, generateImageTool } from '../../tools/generate.tools';
import { getJobStatusTool, listGenerationsTool, listJobsTool, waitForCompletionTool } from '../../tools/jobs.tools';
import { cancelJobTool, deleteImageTool } from '../../tools/manage.tools';
import { listModelsTool } from '../../tools/models.tools';
import { getPreferencesTool, setPreferencesInputSchema, setPreferencesTool } from '../../tools/preferences.tools';
import { runOperation } from '../../tools/run';
import {
	deleteStyleTool,
	getStyleTool,
	listStylesTool,
	saveStyleInputSchema,
	saveStyleTool,
	styleNameSchema,
} from '../../tools/styles.tools';
import { getUsageTool } from '../../tools/usage.tools';
import { generateVariationsTool, variationsBodySchema } from '../../tools/variations.tools';
import { MAX_WAIT_SECONDS } from '../../tools/wait';
import type { AppEnv } from '../app-env';
import { readJsonBody } from '../json-body';
import { failureResponse, problemResponse } from './problem';

export const API_BASE = '/api/v1';

/** A request's parts as a route sees them: path parameters, query (first value of each) and JSON body. */
export interface RestRequest {
	params: Record<string, string>;
	query: Record<string, string>;
	body: unknown;
}

/** What a route answers: a status for the operation's output, and headers. */
interface RestAnswer {
	status: number;
	headers?: Record<string, string>;
}

/** One REST route: which operation it runs, how its arguments come from the request, how it answers. */
export interface RestRoute {
	method: 'get' | 'post' | 'patch' | 'delete';
	/** OpenAPI style, `{name}` for a path parameter. */
	path: string;
	operationId: string;
	summary: string;
	description: string;
	tags: string[];
	/** The operation; the request's arguments are parsed by its input schema. */
	tool: ToolDefinition;
	/** Path parameters, with the operation argument each fills (documented from that argument). */
	pathParams?: { name: string; schema: z.ZodType; description: string }[];
	/** Query parameters taken from the operation's input schema by name; `extraQuery` are the route's own. */
	query?: string[];
	extraQuery?: { name: string; schema: z.ZodType; description: string }[];
	/** The JSON body's schema, when the route takes one, and an example for the message when it is missing. */
	body?: z.ZodType;
	bodyExample?: string;
	/** Headers the route reads, for the document. */
	headers?: { name: string; description: string }[];
	/** The operation's arguments from the request; by default its `query` parameters. */
	args?: (request: RestRequest) => unknown;
	/** Which operation runs: the route's own, or one of `alternatives` chosen by the request (a wait). */
	pick?: (request: RestRequest) => ToolDefinition;
	alternatives?: ToolDefinition[];
	/** The status and headers for a successful answer. */
	answer: (success: ToolSuccess, request: RestRequest) => RestAnswer;
	/** Success statuses, for the document. */
	statuses: Record<number, string>;
	/** Failure statuses besides 400/401/403/500, for the document. */
	failures: number[];
}

/** `?wait=` on create and get: seconds to long-poll, like wait_for_completion. */
const waitQuery = {
	name: 'wait',
	schema: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS),
	description: `Seconds to wait for the job(s) to finish before answering, 0–${MAX_WAIT_SECONDS} (default 0: answer at once). Answers 200 when finished, 202 while still running.`,
};

/** The `wait` query, checked by runRoute before any route reads it: 0 when absent. */
function waitSeconds(request: RestRequest): number {
	return Number(request.query.wait ?? 0);
}

function jobLocation(jobId: unknown): Record<string, string> {
	return typeof jobId === 'string' ? { location: `${API_BASE}/jobs/${jobId}` } : {};
}

/** The body of POST /generations: generate_image's arguments; the key may also come as a header. */
const generationBody = generateInputSchema;

const idempotencyHeader = {
	name: 'Idempotency-Key',
	description:
		'Retrying with the same key returns the jobs the first request made instead of making new ones (up to 200 characters). The same as idempotency_key in the body.',
};

/** Answers 200 once every job finished, 202 while some still run (the wait ended first). */
function finishedOr202(success: ToolSuccess): RestAnswer {
	return { status: success.structured.done === false ? 202 : 200 };
}

/** An image's path parameters: /images/{job_id}/{index}. */
const imagePathParams = [
	{ name: 'job_id', schema: z.string(), description: 'The job the image came from.' },
	{ name: 'index', schema: z.number().int().min(0), description: "The image's index in its job (0 for the first)." },
];

export const REST_ROUTES: readonly RestRoute[] = [
	{
		method: 'post',
		path: '/generations',
		operationId: 'createGeneration',
		summary: 'Generate images',
		description:
			'Starts generating image(s) from a prompt: one job per image. Answers 202 with the job ids at once, or, with `wait`, waits like wait_for_completion and answers 200 with the images when they are ready (202 if the wait ended first). The same arguments as the generate_image tool.',
		tags: ['Generations'],
		tool: generateImageTool,
		extraQuery: [waitQuery],
		body: generationBody,
		headers: [idempotencyHeader],
		pick: (request) => (waitSeconds(request) === 0 ? generateImageTool : generateImageAndWaitTool),
		alternatives: [generateImageAndWaitTool],
		args: (request) => {
			const wait = waitSeconds(request);
			const key = request.query['idempotency-key'];
			const body = isObject(request.body) ? request.body : request.body === undefined ? {} : request.body;
			const withKey = key !== undefined && isObject(body) ? { ...body, idempotency_key: key } : body;
			return wait === 0 || !isObject(withKey) ? withKey : { ...withKey, timeout_seconds: wait, preview: 'none' };
		},
		answer: (success) => {
			if ('done' in success.structured) return finishedOr202(success);
			return { status: 202, headers: jobLocation(success.structured.job_id) };
		},
		statuses: {
			200: 'With `wait`: every job finished; the images are in `results`.',
			202: 'The jobs were queued (or, with `wait`, are still running).',
		},
		failures: [404, 409, 413, 415, 429, 503],
	},
	{
		method: 'get',
		path: '/jobs/{job_id}',
		operationId: 'getJob',
		summary: 'Get a job',
		description:
			'One job: its status and, when completed, its image URL. With `wait`, waits for it to finish first, like wait_for_completion.',
		tags: ['Jobs'],
		tool: getJobStatusTool,
		pathParams: [{ name: 'job_id', schema: z.string(), description: 'The job id generate returned.' }],
		extraQuery: [waitQuery],
		pick: (request) => (waitSeconds(request) === 0 ? getJobStatusTool : waitForCompletionTool),
		alternatives: [waitForCompletionTool],
		args: (request) => {
			const wait = waitSeconds(request);
			return wait === 0
				? { job_id: request.params.job_id, preview: 'none' }
				: { job_id: request.params.job_id, timeout_seconds: wait, preview: 'none' };
		},
		answer: (success) => ('done' in success.structured ? finishedOr202(success) : { status: 200 }),
		statuses: { 200: 'The job (finished, with `wait`).', 202: 'With `wait`: still running when the wait ended.' },
		failures: [404],
	},
	{
		method: 'get',
		path: '/jobs',
		operationId: 'listJobs',
		summary: 'List jobs',
		description:
			'Your jobs, newest first, in every state or one. Page with `cursor` (from `next_cursor`); admins may pass `all_users=true`.',
		tags: ['Jobs'],
		tool: listJobsTool,
		query: ['status', 'limit', 'cursor', 'offset', 'all_users'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'A page of jobs.' },
		failures: [],
	},
	{
		method: 'post',
		path: '/jobs/{job_id}/cancel',
		operationId: 'cancelJob',
		summary: 'Cancel a job',
		description:
			'Stops a pending or running job. A job that already finished is not changed: 409, saying how it ended.',
		tags: ['Jobs'],
		tool: cancelJobTool,
		pathParams: [{ name: 'job_id', schema: z.string(), description: 'The job to cancel.' }],
		args: (request) => ({ job_id: request.params.job_id }),
		answer: () => ({ status: 200 }),
		statuses: { 200: 'Cancelled.' },
		failures: [404, 409],
	},
	{
		method: 'get',
		path: '/generations',
		operationId: 'listGenerations',
		summary: 'List generated images',
		description:
			'Your finished images (the gallery), newest first, with URLs, prompts and models; expired and deleted ones say so. Page with `cursor`.',
		tags: ['Generations'],
		tool: listGenerationsTool,
		query: ['limit', 'cursor', 'offset', 'all_users'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'A page of images.' },
		failures: [],
	},
	{
		method: 'get',
		path: '/images/{job_id}/{index}',
		operationId: 'getImage',
		summary: 'Get an image',
		description:
			"One of your stored images: its URL and how it was made (prompt, style, model, seed, size, cost, reference images, the job it varies). Admins may read any user's with `owner`.",
		tags: ['Generations'],
		tool: getImageTool,
		pathParams: imagePathParams,
		query: ['owner'],
		args: ({ query, params }) =>
			coerceQuery(getImageTool, { ...(query.owner === undefined ? {} : { owner: query.owner }), ...params }),
		answer: () => ({ status: 200 }),
		statuses: { 200: 'The image and how it was made.' },
		failures: [404],
	},
	{
		method: 'delete',
		path: '/images/{job_id}/{index}',
		operationId: 'deleteImage',
		summary: 'Delete an image',
		description:
			'Permanently deletes one of your images: its URL stops working; the job stays, with the image marked deleted. Deleting it again answers 200 with `deleted: false`.',
		tags: ['Generations'],
		tool: deleteImageTool,
		pathParams: imagePathParams,
		args: (request) => ({ image: `${request.params.job_id}/${request.params.index}` }),
		answer: () => ({ status: 200 }),
		statuses: { 200: 'Deleted (or already gone).' },
		failures: [404],
	},
	{
		method: 'get',
		path: '/models',
		operationId: 'listModels',
		summary: 'List models',
		description: 'The image models this server can use: sizes, options, estimated cost per image and typical time.',
		tags: ['Models'],
		tool: listModelsTool,
		query: ['include_unavailable'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'The models.' },
		failures: [],
	},
	{
		method: 'get',
		path: '/usage',
		operationId: 'getUsage',
		summary: 'Get usage and budgets',
		description:
			'Images and estimated cost per day and model, budgets spent and left, and the rate limit. Admins may pass `all_users=true`.',
		tags: ['Usage'],
		tool: getUsageTool,
		query: ['days', 'all_users'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'Usage.' },
		failures: [],
	},
	{
		method: 'post',
		path: '/jobs/{job_id}/variations',
		operationId: 'createVariations',
		summary: 'Generate variations of a job',
		description:
			'New jobs from an earlier job of yours: the same request with fresh seeds, or with `overrides` (any generate argument). Each records its parent. Answers 202 like creating a generation.',
		tags: ['Generations'],
		tool: generateVariationsTool,
		pathParams: [{ name: 'job_id', schema: z.string(), description: 'The job to vary.' }],
		body: variationsBodySchema,
		bodyExample: '{"count":2}',
		headers: [idempotencyHeader],
		args: (request) => {
			const body = isObject(request.body) ? request.body : {};
			const key = request.query['idempotency-key'];
			return { ...body, job_id: request.params.job_id, ...(key === undefined ? {} : { idempotency_key: key }) };
		},
		answer: (success) => ({ status: 202, headers: jobLocation(success.structured.job_id) }),
		statuses: { 202: 'The variations were queued.' },
		failures: [404, 409, 413, 415, 428, 429, 503],
	},
	{
		method: 'get',
		path: '/styles',
		operationId: 'listStyles',
		summary: 'List styles',
		description: 'The styles you can use: your own and the published ones.',
		tags: ['Styles'],
		tool: listStylesTool,
		query: ['tag'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'The styles.' },
		failures: [],
	},
	{
		method: 'post',
		path: '/styles',
		operationId: 'saveStyle',
		summary: 'Save a style',
		description:
			'Saves a named style (a markdown brief, tags, defaults) to your library; the same name replaces it. Pass its name as `style` when generating.',
		tags: ['Styles'],
		tool: saveStyleTool,
		body: saveStyleInputSchema,
		bodyExample: '{"name":"cyberpunk-night","brief":"neon rain"}',
		args: (request) => request.body,
		answer: (success) => ({
			status: success.structured.created === true ? 201 : 200,
			headers: { location: `${API_BASE}/styles/${String(success.structured.name)}` },
		}),
		statuses: { 200: 'Replaced.', 201: 'Created.' },
		failures: [409, 413, 415],
	},
	{
		method: 'get',
		path: '/styles/{name}',
		operationId: 'getStyle',
		summary: 'Get a style',
		description: 'One style by name: yours, else a published one.',
		tags: ['Styles'],
		tool: getStyleTool,
		pathParams: [{ name: 'name', schema: styleNameSchema, description: 'The style name.' }],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'The style.' },
		failures: [404],
	},
	{
		method: 'delete',
		path: '/styles/{name}',
		operationId: 'deleteStyle',
		summary: 'Delete a style',
		description: 'Deletes one of your styles (admins: `published=true` for a published one).',
		tags: ['Styles'],
		tool: deleteStyleTool,
		pathParams: [{ name: 'name', schema: styleNameSchema, description: 'The style name.' }],
		query: ['published'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'Deleted.' },
		failures: [404],
	},
	{
		method: 'get',
		path: '/preferences',
		operationId: 'getPreferences',
		summary: 'Get my preferences',
		description: 'Your defaults: model and size used when a call names none, previews, and the confirmation threshold.',
		tags: ['Preferences'],
		tool: getPreferencesTool,
		query: [],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'Your preferences.' },
		failures: [],
	},
	{
		method: 'patch',
		path: '/preferences',
		operationId: 'setPreferences',
		summary: 'Change my preferences',
		description: 'Sets the fields given; `null` clears one back to the deployment default. Every face uses them.',
		tags: ['Preferences'],
		tool: setPreferencesTool,
		body: setPreferencesInputSchema,
		bodyExample: '{"default_model":"offline"}',
		args: (request) => request.body,
		answer: () => ({ status: 200 }),
		statuses: { 200: 'Your preferences as they now are.' },
		failures: [413, 415],
	},
];

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The zod type inside optional/default/nullable wrappers. */
function unwrapped(schema: z.ZodType | undefined): z.ZodType | undefined {
	let current = schema;
	while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
		current = current.unwrap() as z.ZodType;
	}
	return current;
}

/**
 * Query strings are text; an operation takes numbers and booleans. A value that reads as the
 * argument's type is converted; anything else is passed as it is, so the operation's own
 * schema refuses it naming the field (`limit: expected number, received string`).
 */
export function coerceQuery(tool: ToolDefinition, query: Record<string, string>): Record<string, unknown> {
	const shape = tool.input instanceof z.ZodObject ? (tool.input.shape as Record<string, z.ZodType>) : {};
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(query)) {
		const type = unwrapped(shape[key]);
		if (type instanceof z.ZodNumber && /^-?\d+(\.\d+)?$/.test(value)) out[key] = Number(value);
		else if (type instanceof z.ZodBoolean && (value === 'true' || value === 'false')) out[key] = value === 'true';
		else out[key] = value;
	}
	return out;
}

/** The ToolContext of an HTTP request: nothing to report progress or logs to. */
export function httpToolContext(scope: RequestScope, request: Request): ToolContext {
	return { ...scope, signal: request.signal, reportProgress: async () => {}, log: async () => {} };
}

/** The idempotency key sent both ways must agree. */
function idempotencyConflict(body: unknown, header: string | undefined): string | undefined {
	if (header === undefined || !isObject(body) || body.idempotency_key === undefined) return undefined;
	return body.idempotency_key === header
		? undefined
		: 'idempotency_key: the body says one key and the Idempotency-Key header another; send one of them.';
}

/**
 * An idempotent retry that is not the same request: the key was used before for a different
 * prompt or count. Answered 409 rather than handing back someone else's images.
 */
function reusedForAnotherRequest(success: ToolSuccess, body: unknown): string | undefined {
	const out = success.structured;
	if (out.reused !== true || !isObject(body)) return undefined;
	const prompt = typeof body.prompt === 'string' ? body.prompt.trim() : undefined;
	const count = typeof body.count === 'number' ? body.count : 1;
	if (prompt === (out.prompt_given ?? out.prompt) && count === out.count) return undefined;
	return `Idempotency-Key: this key was used for an earlier request with a different prompt or count (job ${String(out.job_id)}). Use a new key for a new request.`;
}

/** Cancel answers 409 when the job had already finished: nothing was changed. */
function cancelConflict(route: RestRoute, success: ToolSuccess): string | undefined {
	if (route.tool !== cancelJobTool) return undefined;
	const [result] = (success.structured.results as { cancelled: boolean; status: string; message: string }[]) ?? [];
	return result && !result.cancelled ? `job_id: the job is already ${result.status}. ${result.message}` : undefined;
}

/** Runs a route: reads the request, runs the operation, answers its output or a problem. */
async function runRoute(c: Context<AppEnv>, route: RestRoute, scope: RequestScope): Promise<Response> {
	const instance = new URL(c.req.url).pathname;
	let body: unknown;
	if (route.body) {
		const read = await readJsonBody(
			c.req.raw,
			`a JSON object of ${route.tool.name} arguments, such as ${route.bodyExample ?? '{"prompt":"a red fox"}'}`,
		);
		if (!read.ok) {
			const kind =
				read.error.status === 413
					? 'payload_too_large'
					: read.error.status === 415
						? 'unsupported_media_type'
						: 'invalid';
			return problemResponse({ kind, detail: read.error.message, instance });
		}
		body = read.value;
	}
	const header = c.req.header('idempotency-key');
	const conflict = idempotencyConflict(body, header);
	if (conflict) return problemResponse({ kind: 'invalid', detail: conflict, instance, fields: ['idempotency_key'] });
	const { wait, ...query } = c.req.query();
	let waitFor = 0;
	if (wait !== undefined && route.extraQuery?.some((parameter) => parameter.name === 'wait')) {
		const parsed = waitQuery.schema.safeParse(wait === '' ? 0 : wait);
		if (!parsed.success) {
			return problemResponse({
				kind: 'invalid',
				detail: `wait: "${wait.slice(0, 20)}" is not a number of seconds from 0 to ${MAX_WAIT_SECONDS}.`,
				instance,
				fields: ['wait'],
			});
		}
		waitFor = parsed.data;
	} else if (wait !== undefined) {
		query.wait = wait;
	}
	const request: RestRequest = {
		params: c.req.param() as Record<string, string>,
		query: { ...query, wait: String(waitFor), ...(header === undefined ? {} : { 'idempotency-key': header }) },
		body,
	};
	const tool = route.pick?.(request) ?? route.tool;
	// By default the query's arguments, and the path's, whose names are the operation's own.
	const args = route.args ? route.args(request) : { ...coerceQuery(tool, query), ...request.params };
	const outcome = await runOperation(tool, args, httpToolContext(scope, c.req.raw));
	if (!outcome.ok) return failureResponse(outcome.error, instance);
	const refusal = reusedForAnotherRequest(outcome.value, body) ?? cancelConflict(route, outcome.value);
	if (refusal) {
		return problemResponse({ kind: 'conflict', detail: refusal, instance, fields: [refusal.split(':')[0]!] });
	}
	const { status, headers } = route.answer(outcome.value, request);
	return c.json(outcome.value.structured, status as 200, { 'cache-control': 'no-store', ...headers });
}

/** Registers the routes of a table under `base`; `scopeOf` gives the caller's scope. */
export function registerRoutes(
	app: Hono<AppEnv>,
	base: string,
	routes: readonly RestRoute[],
	scopeOf: (c: Context<AppEnv>) => RequestScope,
): void {
	const methods = new Map<string, string[]>();
	for (const route of routes) {
		const path = base + route.path.replaceAll(/\{(\w+)\}/g, ':$1');
		app.on(route.method.toUpperCase(), path, (c) => runRoute(c, route, scopeOf(c)));
		methods.set(path, [...(methods.get(path) ?? []), route.method.toUpperCase()]);
	}
	// A known path asked with a method it does not take: 405 naming those it does.
	for (const [path, allowed] of methods) {
		const allow = allowed.join(', ');
		app.all(path, (c) =>
			problemResponse({
				kind: 'method_not_allowed',
				detail: `${c.req.method} ${new URL(c.req.url).pathname} is not allowed; it takes ${allow}.`,
				instance: new URL(c.req.url).pathname,
				headers: { allow },
			}),
		);
	}
	app.all(`${base}/*`, (c) =>
		problemResponse({
			kind: 'not_found',
			detail: `No route ${c.req.method} ${new URL(c.req.url).pathname}. The routes are listed at /openapi.json and /api/docs.`,
			instance: new URL(c.req.url).pathname,
		}),
	);
}
