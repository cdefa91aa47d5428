/**
 * The OpenAI-compatible endpoint (issue 20): `POST /v1/images/generations` and `GET /v1/models`
 * in the shapes of OpenAI's Images and Models APIs, so any OpenAI client that takes a base URL
 * uses this server's models. They run the same operations as every face (generate_image_and_wait,
 * list_models) through runOperation, with the same auth, owner scoping, limits and budgets; the
 * bearer token decides who owns the images, never the request's `user`. The call waits for its
 * jobs within the request; a wait that ends first answers 504 naming the jobs, which keep running.
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { toBase64 } from '../../bytes';
import { configuredModels, defaultModel, findModel, type ModelEntry } from '../../providers/catalog';
import { readImage } from '../../storage/bucket';
import { buildImageKey } from '../../storage/images';
import type { RequestScope, ToolContext } from '../../tools/context';
import { generateImageAndWaitTool } from '../../tools/generate.tools';
import type { JobView } from '../../tools/job-view';
import { listModelsTool, type ModelView } from '../../tools/models.tools';
import { getPreferencesTool } from '../../tools/preferences.tools';
import { runOperation } from '../../tools/run';
import { formatValidationError } from '../../tools/validation';
import { MAX_WAIT_SECONDS } from '../../tools/wait';
import { API_BASE, httpToolContext } from '../api/rest';
import type { AppEnv } from '../app-env';
import { readJsonBody } from '../json-body';
import { failureToOpenAi, invalidRequest, openAiError, paramOfArgument } from './errors';
import {
	type GenerateArguments,
	generateArguments,
	type OpenAiImageRequest,
	openAiImageRequestSchema,
} from './request';

export const OPENAI_BASE = '/v1';

const GENERATIONS_PATH = `${OPENAI_BASE}/images/generations`;
const MODELS_PATH = `${OPENAI_BASE}/models`;
const OPERATION_NAME = 'POST /v1/images/generations';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/** Registers the endpoint's routes; `scopeOf` gives the caller's scope (the guard in app.ts authenticated them). */
export function registerOpenAiRoutes(app: Hono<AppEnv>, scopeOf: (c: Context<AppEnv>) => RequestScope): void {
	app.post(GENERATIONS_PATH, (c) => answering(() => createImages(c, scopeOf(c))));
	app.get(MODELS_PATH, (c) => answering(() => listModels(c, scopeOf(c))));
	// Model names may hold slashes (Workers AI ids such as @cf/black-forest-labs/flux-1-schnell).
	app.get(`${MODELS_PATH}/:model{.+}`, (c) => answering(() => getModel(c, scopeOf(c), c.req.param('model'))));
	const methodNotAllowed = (allow: string) => (c: Context<AppEnv>) =>
		openAiError({
			status: 405,
			type: 'invalid_request_error',
			code: 'method_not_allowed',
			message: `${c.req.method} ${new URL(c.req.url).pathname} is not allowed; it takes ${allow}.`,
			headers: { allow },
		});
	app.all(GENERATIONS_PATH, methodNotAllowed('POST'));
	app.all(MODELS_PATH, methodNotAllowed('GET'));
	app.all(`${MODELS_PATH}/:model{.+}`, methodNotAllowed('GET'));
	app.all(`${OPENAI_BASE}/*`, (c) =>
		openAiError({
			status: 404,
			type: 'invalid_request_error',
			code: 'unknown_url',
			message: `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname}). This server's OpenAI-compatible endpoint has POST ${GENERATIONS_PATH}, GET ${MODELS_PATH} and GET ${MODELS_PATH}/{model}.`,
		}),
	);
}

/** The last resort: anything thrown is logged and answered as OpenAI's 500, without its detail. */
async function answering(handler: () => Promise<Response>): Promise<Response> {
	try {
		return await handler();
	} catch (error) {
		console.error('OpenAI-compatible endpoint failed', error);
		return openAiError({
			status: 500,
			type: 'server_error',
			code: 'internal_error',
			message: `Internal error. Try again in a moment; GET ${API_BASE}/jobs lists any job that was created.`,
			retry: false,
		});
	}
}

/** The request body, parsed and checked, or the 400/413/415 answer. */
async function readImageRequest(request: Request): Promise<OpenAiImageRequest | Response> {
	const read = await readJsonBody(request, 'an OpenAI image request such as {"prompt":"a red fox","size":"1024x1024"}');
	if (!read.ok) {
		const { status, reason, message } = read.error;
		if (status === 413) {
			return openAiError({ status, message, type: 'invalid_request_error', code: 'request_too_large' });
		}
		if (status === 415) {
			return openAiError({ status, message, type: 'invalid_request_error', code: 'unsupported_media_type' });
		}
		return reason === 'proto'
			? invalidRequest(message, '__proto__', 'unknown_parameter')
			: invalidRequest(message, null, 'invalid_json');
	}
	const body = read.value;
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		return invalidRequest(
			'The request body must be a JSON object such as {"prompt":"a red fox","size":"1024x1024"}.',
			null,
			'invalid_type',
		);
	}
	// Some clients send `null` for a field they leave out; OpenAI reads that as not given.
	const given = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
	const parsed = openAiImageRequestSchema.safeParse(given);
	if (parsed.success) return parsed.data;
	const issue = parsed.error.issues[0]!;
	const param = issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? null) : String(issue.path[0] ?? '') || null;
	return invalidRequest(
		formatValidationError(OPERATION_NAME, openAiImageRequestSchema, parsed.error),
		param,
		issueCode(issue, given),
	);
}

/** OpenAI's `code` for a refused field. */
function issueCode(issue: z.core.$ZodIssue, given: Record<string, unknown>): string {
	switch (issue.code) {
		case 'unrecognized_keys':
			return 'unknown_parameter';
		case 'invalid_type':
			return issue.path.length === 1 && given[String(issue.path[0])] === undefined
				? 'missing_required_parameter'
				: 'invalid_type';
		case 'too_big':
			return issue.origin === 'number' ? 'integer_above_max_value' : 'string_above_max_length';
		case 'too_small':
			return issue.origin === 'number' ? 'integer_below_min_value' : 'string_below_min_length';
		default:
			return 'invalid_value';
	}
}

/**
 * The model the call will use: the one it names, else the caller's preferred one (get_preferences),
 * else the deployment's default. A preference of "auto" or for a model no longer here gives the
 * deployment's default: the size and options are mapped for one known model.
 */
async function chooseModel(
	request: OpenAiImageRequest,
	context: ToolContext,
	available: readonly ModelEntry[],
): Promise<ModelEntry | Response> {
	if (request.model !== undefined) {
		const entry = findModel(context.env, request.model);
		if (entry && available.includes(entry)) return entry;
		const names = available.map((model) => model.alias).join(', ');
		return invalidRequest(
			entry
				? `model: "${request.model}" is not configured on this server (it needs ${entry.provider.configuredBy}). The models here: ${names}.`
				: `model: the model "${request.model.slice(0, 200)}" does not exist here. The models here: ${names} (GET ${MODELS_PATH}).`,
			'model',
			'model_not_found',
		);
	}
	const preferences = await runOperation(getPreferencesTool, {}, context);
	if (!preferences.ok) return failureToOpenAi(preferences.error);
	const preferred = preferences.value.structured.default_model;
	const entry = typeof preferred === 'string' ? findModel(context.env, preferred) : undefined;
	return entry && available.includes(entry) ? entry : defaultModel(context.env, context.config.defaultModel);
}

/** OpenAI's names for the formats images are stored in. */
const OUTPUT_FORMATS: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpeg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

async function createImages(c: Context<AppEnv>, scope: RequestScope): Promise<Response> {
	const request = await readImageRequest(c.req.raw);
	if (request instanceof Response) return request;
	const context = httpToolContext(scope, c.req.raw);
	const available = configuredModels(scope.env);
	const entry = await chooseModel(request, context, available);
	if (entry instanceof Response) return entry;
	const mapped = generateArguments(request, entry, available);
	if (!mapped.ok) return invalidRequest(mapped.error, paramOfArgument(/^([a-z_]+): /.exec(mapped.error)?.[1]));
	const key = c.req.header('idempotency-key');
	const args: GenerateArguments = {
		...mapped.value,
		...(key === undefined ? {} : { idempotency_key: key }),
		timeout_seconds: MAX_WAIT_SECONDS,
		preview: 'none',
	};
	const outcome = await runOperation(generateImageAndWaitTool, args, context);
	if (!outcome.ok) return failureToOpenAi(outcome.error);
	const waited = outcome.value.structured as { count: number; pending: number; failed: number; results: JobView[] };
	const jobIds = waited.results.map((job) => job.job_id);
	if (key !== undefined && isAnotherRequest(waited.results, request)) {
		return openAiError({
			status: 409,
			type: 'invalid_request_error',
			param: 'Idempotency-Key',
			code: 'idempotency_key_reused',
			message: `Idempotency-Key: this key was used for an earlier request with a different prompt or n (job ${jobIds[0]}). Use a new key for a new request.`,
			extra: { job_ids: jobIds },
			retry: false,
		});
	}
	if (waited.pending > 0) return stillRunning(waited.results, Math.min(MAX_WAIT_SECONDS, scope.maxWaitSeconds));
	if (waited.failed > 0) return failedJobsError(waited.results);
	return imagesResponse(waited.results, request, context);
}

/** An idempotent retry that is not the same request: the key made jobs for another prompt or count. */
function isAnotherRequest(results: readonly JobView[], request: OpenAiImageRequest): boolean {
	return results.length !== request.n || results.some((job) => (job.prompt_given ?? job.prompt) !== request.prompt);
}

/** The wait ended before every job finished: 504 naming every job, which keeps running. */
function stillRunning(results: readonly JobView[], waitedSeconds: number): Response {
	const jobIds = results.map((job) => job.job_id);
	const pending = results.filter((job) => !job.done).map((job) => job.job_id);
	return openAiError({
		status: 504,
		type: 'server_error',
		code: 'timeout',
		message:
			`The image(s) were not ready within ${waitedSeconds} s, the longest this endpoint waits. Nothing is lost: ` +
			`${pending.length} of ${jobIds.length} job(s) are still running and will finish. Fetch each with ` +
			`GET ${API_BASE}/jobs/<job_id>?wait=${MAX_WAIT_SECONDS} (job ids: ${jobIds.join(', ')}).`,
		extra: { job_ids: jobIds, pending_job_ids: pending },
		// Retrying would start new jobs beside the running ones.
		retry: false,
	});
}

/**
 * Some jobs failed or were cancelled: the first one's reason, and where the finished ones are.
 * A prompt the provider refused is OpenAI's 400 `content_policy_violation`.
 */
export function failedJobsError(results: readonly JobView[]): Response {
	const jobIds = results.map((job) => job.job_id);
	const failed = results.filter((job) => job.status === 'failed' || job.status === 'cancelled');
	const first = failed[0]!;
	const completed = results.filter((job) => job.status === 'completed').map((job) => job.job_id);
	const kept = completed.length
		? ` The ${completed.length} finished image(s) are kept: GET ${API_BASE}/jobs/<job_id> (${completed.join(', ')}).`
		: '';
	const message = `${failed.length} of ${results.length} image(s) could not be made (job ${first.job_id}): ${first.error ?? first.status}.${kept}`;
	const extra = { job_ids: jobIds };
	if (first.error_code === 'content_policy') {
		return openAiError({
			status: 400,
			type: 'invalid_request_error',
			param: 'prompt',
			code: 'content_policy_violation',
			message,
			extra,
		});
	}
	if (first.error_code === 'invalid_request') {
		return openAiError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message, extra });
	}
	if (first.status === 'cancelled') {
		return openAiError({
			status: 409,
			type: 'invalid_request_error',
			code: 'cancelled',
			message,
			extra,
			retry: false,
		});
	}
	return openAiError({
		status: 502,
		type: 'server_error',
		code: first.error_code ?? 'generation_failed',
		message,
		extra,
		// The provider was paid or tried; the caller decides whether to spend again.
		retry: false,
	});
}

/** One image of the answer, in job order. */
interface MadeImage {
	jobId: string;
	index: number;
	url: string;
	revisedPrompt?: string;
}

/**
 * OpenAI's answer: `created` (the first job's creation, Unix seconds), `size` and
 * `output_format` of what was made, and `data`. With `b64_json` the body streams, one image
 * read from R2 at a time, so twenty large images never sit in memory together.
 */
function imagesResponse(results: readonly JobView[], request: OpenAiImageRequest, context: ToolContext): Response {
	const images: MadeImage[] = results.flatMap((job) =>
		job.images.map((image) => ({
			jobId: job.job_id,
			index: image.index,
			url: image.url,
			...(image.revised_prompt ? { revisedPrompt: image.revised_prompt } : {}),
		})),
	);
	const firstImage = results[0]?.images[0];
	const head = {
		created: Math.floor(Date.parse(results[0]?.created_at ?? new Date().toISOString()) / 1000),
		...(firstImage
			? {
					size: `${firstImage.width}x${firstImage.height}`,
					...(OUTPUT_FORMATS[firstImage.content_type]
						? { output_format: OUTPUT_FORMATS[firstImage.content_type] }
						: {}),
				}
			: {}),
	};
	const revised = (image: MadeImage) => (image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {});
	if (request.response_format === 'url') {
		const data = images.map((image) => ({ url: image.url, ...revised(image) }));
		return new Response(JSON.stringify({ ...head, data }), { status: 200, headers: JSON_HEADERS });
	}
	const encoder = new TextEncoder();
	const bucket = context.env.IMAGES;
	let next = -1;
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (next === -1) {
				controller.enqueue(encoder.encode(`${JSON.stringify(head).slice(0, -1)},"data":[`));
			} else if (next < images.length) {
				const image = images[next]!;
				const bytes = await readImage(bucket, buildImageKey(image.jobId, image.index));
				if (!bytes) {
					// Deleted between the wait and this read (delete_image, retention): the answer cannot be completed.
					console.error(`image ${image.jobId}/${image.index} vanished while its b64_json answer was sent`);
					controller.error(new Error('An image was deleted while the answer was being sent.'));
					return;
				}
				const item = JSON.stringify({ b64_json: toBase64(bytes), ...revised(image) });
				controller.enqueue(encoder.encode(next === 0 ? item : `,${item}`));
			} else {
				controller.enqueue(encoder.encode(']}'));
				controller.close();
			}
			next++;
		},
	});
	return new Response(body, { status: 200, headers: JSON_HEADERS });
}

/** OpenAI's model object. `created` is 0: the catalog keeps no release dates. */
function modelObject(model: ModelView) {
	return { id: model.name, object: 'model' as const, created: 0, owned_by: model.provider };
}

async function configuredModelViews(c: Context<AppEnv>, scope: RequestScope): Promise<ModelView[] | Response> {
	const outcome = await runOperation(listModelsTool, {}, httpToolContext(scope, c.req.raw));
	if (!outcome.ok) return failureToOpenAi(outcome.error);
	return (outcome.value.structured as { models: ModelView[] }).models;
}

async function listModels(c: Context<AppEnv>, scope: RequestScope): Promise<Response> {
	const models = await configuredModelViews(c, scope);
	if (models instanceof Response) return models;
	return new Response(JSON.stringify({ object: 'list', data: models.map(modelObject) }), {
		status: 200,
		headers: JSON_HEADERS,
	});
}

async function getModel(c: Context<AppEnv>, scope: RequestScope, name: string): Promise<Response> {
	const models = await configuredModelViews(c, scope);
	if (models instanceof Response) return models;
	const entry = findModel(scope.env, name);
	const model = entry && models.find((view) => view.name === entry.alias);
	if (!model) {
		return openAiError({
			status: 404,
			type: 'invalid_request_error',
			param: 'model',
			code: 'model_not_found',
			message: `The model "${name.slice(0, 200)}" does not exist here. The models here: ${models.map((view) => view.name).join(', ')}.`,
		});
	}
	return new Response(JSON.stringify(modelObject(model)), { status: 200, headers: JSON_HEADERS });
}
