/** Reading jobs: get_job_status, list_jobs, list_generations, wait_for_completion. */
import { z } from 'zod';
import { IMAGE_REMOVED_REASONS, JOB_STATUSES } from '../db/schema';
import {
	decodeKeysetCursor,
	encodeKeysetCursor,
	type Keyset,
	listOwnedGenerations,
	listOwnedJobs,
	type OwnerScope,
	type PageRequest,
	readOwnedJobs,
	withImages,
} from '../jobs/queries';
import { ok, type Result } from '../result';
import { defineTool, notFoundError, type Principal, type ToolFailure, toolError, toolResult } from './context';
import { jobViewSchema, presentImage, presentJob, removalMessage } from './job-view';
import { requireAdminForAllUsers } from './limits';
import { loadPreviews, previewArgumentSchema } from './previews';
import { timeoutSecondsSchema, waitAndPresent, waitOutputSchema } from './wait';

/** Most job ids one wait_for_completion or cancel_job call takes. */
export const MAX_JOBS_PER_CALL = 20;

export const jobIdSchema = z
	.string()
	.trim()
	.toLowerCase()
	.min(1)
	.max(100)
	.describe('A job id returned by generate_image.');

/** `job_id` or `job_ids`, exactly one: the shape of the tools that act on several jobs. */
export function jobSelectionSchema<Extra extends z.ZodRawShape>(manyDescription: string, extra: Extra) {
	return z
		.strictObject({
			...extra,
			job_id: jobIdSchema.optional(),
			job_ids: z
				.array(jobIdSchema)
				.min(1)
				.max(MAX_JOBS_PER_CALL)
				.optional()
				.describe(`${manyDescription} (1–${MAX_JOBS_PER_CALL}), e.g. the job_ids of a count > 1 generate_image call.`),
		})
		.refine((args) => exactlyOneSelection(args as { job_id?: unknown; job_ids?: unknown }), {
			message: 'give exactly one of job_id or job_ids',
		});
}

function exactlyOneSelection(args: { job_id?: unknown; job_ids?: unknown }): boolean {
	return (args.job_id === undefined) !== (args.job_ids === undefined);
}

/** The distinct ids a job selection names, in order. */
export function selectedJobIds(args: { job_id?: string; job_ids?: string[] }): string[] {
	return [...new Set(args.job_ids ?? (args.job_id ? [args.job_id] : []))];
}

/** Most rows one page of a listing returns. */
export const MAX_PAGE_LIMIT = 50;

/** A listing's `cursor` argument: where the page starts, from the previous page's next_cursor. */
export const cursorSchema = z
	.string()
	.trim()
	.min(1)
	.max(200)
	.optional()
	.describe(
		'next_cursor from the previous page: the page after it, stable while new items arrive (use instead of offset).',
	);

const pagination = {
	limit: z
		.number()
		.int()
		.min(1)
		.max(MAX_PAGE_LIMIT)
		.default(10)
		.describe(`How many to return, 1–${MAX_PAGE_LIMIT} (default 10).`),
	offset: z.number().int().min(0).max(1_000_000).default(0).describe('How many to skip, 0 or more (default 0).'),
	cursor: cursorSchema,
};

/** The keyset a listing's `cursor` names, or the refusal: a cursor this server did not give, or one beside an offset. */
export function pageRequest(args: {
	limit: number;
	offset: number;
	cursor?: string;
}): Result<PageRequest, ToolFailure> {
	if (args.cursor === undefined) return ok({ limit: args.limit, offset: args.offset });
	if (args.offset > 0)
		return toolError('offset: give either cursor or offset, not both; a cursor already says where the page starts.');
	const after = decodeKeysetCursor(args.cursor);
	if (!after)
		return toolError('cursor: not a cursor this server gave out; pass next_cursor from the previous page exactly.');
	return ok({ limit: args.limit, offset: 0, after });
}

export const pageOutput = {
	total_count: z.number().int(),
	returned_count: z.number().int(),
	has_more: z.boolean(),
	limit: z.number().int(),
	offset: z.number().int(),
	next_cursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page.'),
};

/** The page fields of a listing's answer (`pageOutput`): `returned` items of `total`, and where the next page starts. */
export function pageFields(total: number, returned: number, limit: number, offset: number, next: Keyset | undefined) {
	return {
		total_count: total,
		returned_count: returned,
		has_more: next !== undefined,
		limit,
		offset,
		...(next ? { next_cursor: encodeKeysetCursor(next) } : {}),
	};
}

/** `all_users` on the listings: everyone's, for admins; id-based tools stay owner-scoped for all. */
export const allUsersSchema = z
	.boolean()
	.default(false)
	.describe(
		"Admins only: true lists every user's items, each with its owner. Default false: only yours. A user passing true gets an error.",
	);

const ownerField = z.string().optional().describe('With all_users: the id of the user the item belongs to.');

function listingScope(principal: Principal, allUsers: boolean): OwnerScope {
	return allUsers ? { everyone: true } : { owner: principal.id };
}

export const readOnly = {
	readOnlyHint: true,
	destructiveHint: false,
	idempotentHint: true,
	openWorldHint: false,
} as const;

export const getJobStatusTool = defineTool({
	name: 'get_job_status',
	title: 'Get job status',
	description:
		'Check one image-generation job: status (pending, processing, completed, failed, cancelled), and when completed the image URL and a markdown image line. ' +
		'Prefer wait_for_completion, which waits for you.',
	input: z.strictObject({ job_id: jobIdSchema, preview: previewArgumentSchema }),
	output: jobViewSchema.extend({ success: z.boolean() }),
	annotations: { title: 'Get job status', ...readOnly },
	handler: async ({ job_id, preview }, context) => {
		const [job] = await readOwnedJobs(context.db, context.principal.id, [job_id]);
		if (!job) {
			return notFoundError(`job_id: no job "${job_id}" found for you. Use list_jobs to see your jobs.`);
		}
		const [entry] = await withImages(context.db, [job]);
		const view = presentJob(entry!, context.urls);
		const previews = await loadPreviews(
			context,
			view.images.map((image) => ({ job_id: view.job_id, index: image.index })),
			preview,
		);
		return toolResult({ success: true, ...view }, { images: view.images, previews, prompt: view.prompt });
	},
});

export const listJobsTool = defineTool({
	name: 'list_jobs',
	title: 'List jobs',
	description:
		'List your image-generation jobs, newest first, in every state (pending, processing, completed, failed, cancelled), optionally filtered by status.',
	input: z.strictObject({
		status: z
			.enum(['all', ...JOB_STATUSES])
			.default('all')
			.describe(`Only jobs in this state: all (default), ${JOB_STATUSES.join(', ')}.`),
		...pagination,
		all_users: allUsersSchema,
	}),
	output: z.object({
		success: z.boolean(),
		...pageOutput,
		status: z.string(),
		all_users: z.boolean(),
		jobs: z.array(jobViewSchema.extend({ owner: ownerField })),
	}),
	annotations: { title: 'List jobs', ...readOnly },
	handler: async ({ status, all_users, ...paging }, context) => {
		const refused = all_users ? requireAdminForAllUsers(context.principal, 'listing jobs') : undefined;
		if (refused) return refused;
		const request = pageRequest(paging);
		if (!request.ok) return request;
		const { limit, offset } = paging;
		const scope = listingScope(context.principal, all_users);
		const page = await listOwnedJobs(context.db, scope, { status, ...request.value });
		const views = page.items.map((item) => ({
			...presentJob(item, context.urls),
			...(all_users ? { owner: item.job.owner } : {}),
		}));
		return toolResult({
			success: true,
			...pageFields(page.total, views.length, limit, offset, page.next),
			status,
			all_users,
			jobs: views,
		});
	},
});

const generationSchema = z.object({
	job_id: z.string(),
	owner: ownerField,
	index: z.number().int(),
	status: z
		.enum(['available', ...IMAGE_REMOVED_REASONS])
		.describe('available: image_url works; expired or deleted: the image is gone and has no URL.'),
	image_url: z.string().optional(),
	markdown: z.string().optional(),
	message: z.string().optional().describe('Why an expired or deleted image has no URL.'),
	prompt: z.string(),
	model: z.string(),
	content_type: z.string(),
	width: z.number().int(),
	height: z.number().int(),
	bytes: z.number().int(),
	seed: z.number().int().nullable(),
	created_at: z.string(),
});

export const listGenerationsTool = defineTool({
	name: 'list_generations',
	title: 'List generated images',
	description:
		'Browse your finished images (the gallery), newest first, with URLs, prompts and models. ' +
		'Images that expired or that you deleted are listed with status expired or deleted and no URL.',
	input: z.strictObject({ ...pagination, all_users: allUsersSchema }),
	output: z.object({
		success: z.boolean(),
		...pageOutput,
		all_users: z.boolean(),
		generations: z.array(generationSchema),
	}),
	annotations: { title: 'List generated images', ...readOnly },
	handler: async ({ all_users, ...paging }, context) => {
		const refused = all_users ? requireAdminForAllUsers(context.principal, 'listing images') : undefined;
		if (refused) return refused;
		const request = pageRequest(paging);
		if (!request.ok) return request;
		const { limit, offset } = paging;
		const page = await listOwnedGenerations(context.db, listingScope(context.principal, all_users), request.value);
		const generations = page.items.map(({ image, job }) => {
			const view = presentImage(image, job.prompt, context.urls);
			const gone = removalMessage(image);
			return {
				job_id: job.id,
				...(all_users ? { owner: image.owner } : {}),
				index: view.index,
				status: image.removedReason ?? 'available',
				...(gone ? { message: gone } : { image_url: view.url, markdown: view.markdown }),
				prompt: job.prompt,
				model: job.model,
				content_type: view.content_type,
				width: view.width,
				height: view.height,
				bytes: view.bytes,
				seed: view.seed,
				created_at: new Date(image.createdAt).toISOString(),
			};
		});
		return toolResult({
			success: true,
			...pageFields(page.total, generations.length, limit, offset, page.next),
			all_users,
			generations,
		});
	},
});

export const waitForCompletionTool = defineTool({
	name: 'wait_for_completion',
	title: 'Wait for image job(s)',
	description:
		'Wait until image job(s) finish and return the image URL(s) with markdown image lines. Pass job_id, or job_ids for several. ' +
		'Returns within timeout_seconds (default 50); if a job is still running then, the result says still_running and you call again.',
	input: jobSelectionSchema('Several job ids', {
		timeout_seconds: timeoutSecondsSchema,
		preview: previewArgumentSchema,
	}),
	output: waitOutputSchema,
	annotations: { title: 'Wait for image job(s)', ...readOnly },
	handler: async (args, context) =>
		waitAndPresent(context, selectedJobIds(args), args.timeout_seconds, { preview: args.preview }),
});
