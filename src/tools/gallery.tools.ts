/**
 * The gallery and the images behind the MCP Apps views (src/mcp/apps/): `browse_gallery`, which a
 * model calls and a host renders as the gallery view, and two tools only the views call
 * (`_meta.ui.visibility: ["app"]`): a page of thumbnails, and one image at viewing size. Views
 * show images as `data:` URIs because hosts' default CSP allows `img-src data:` and several do
 * not honour declared image domains; so these two, unlike every model-facing result, carry
 * base64 in `structuredContent`. Everything is the caller's own, like every listing.
 */
import { z } from 'zod';
import { toBase64 } from '../bytes';
import type { ImageRow, JobRow } from '../db/schema';
import { MAX_COUNT } from '../generation/request';
import { listOwnedGenerations, readOwnedImage, readOwnedJobs } from '../jobs/queries';
import { ok, type Result } from '../result';
import { readImage } from '../storage/bucket';
import { buildImageKey, type UrlBases } from '../storage/images';
import { PREVIEW_CONTENT_TYPE } from '../storage/previews';
import { imagesBindingTransformer } from '../storage/transform';
import { defineTool, notFoundError, type ToolContext, type ToolFailure, toolError, toolResult } from './context';
import { imageMetadataSchema, presentImageMetadata } from './image-metadata';
import { presentImage, removalMessage } from './job-view';
import { cursorSchema, jobIdSchema, pageFields, pageOutput, pageRequest, readOnly } from './jobs.tools';
import { previewBase64 } from './previews';

/** Images per page of gallery_page: a 4×3 grid, and at most 12 previews (64 KB each) in one answer. */
export const GALLERY_PAGE_MAX = 12;
/** Images per page of browse_gallery, which carries no thumbnails (the web gallery shows 24). */
export const BROWSE_PAGE_MAX = 48;
/** Longest edge of an image as `view_image` gives it: the views' full-size view. */
export const VIEW_IMAGE_MAX_EDGE = 1024;
/** Longest search text. */
export const GALLERY_QUERY_MAX = 200;
/** Longest model id a filter takes. */
export const MODEL_FILTER_MAX = 100;
/** Longest user id `owner` takes. */
export const OWNER_ARGUMENT_MAX = 200;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A UTC day written YYYY-MM-DD, as ms since the epoch at its start; NaN for a day that does not exist (2026-02-30). */
function dayStart(day: string): number {
	const ms = Date.parse(`${day}T00:00:00Z`);
	return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(day) ? ms : Number.NaN;
}

function daySchema(which: string) {
	return z
		.string()
		.trim()
		.regex(DAY_PATTERN, 'Not a day written YYYY-MM-DD')
		.refine((day) => Number.isFinite(dayStart(day)), 'No such day in the calendar')
		.optional()
		.describe(`${which}, a UTC day written YYYY-MM-DD (inclusive). Omit for no limit.`);
}

/** Admins only: whose images to read; everyone else reads only their own. */
const ownerArgument = z
	.string()
	.trim()
	.min(1)
	.max(OWNER_ARGUMENT_MAX)
	.optional()
	.describe(
		'Admins only: the id of the user whose images to read (read-only; admin_users lists them). Default: yours. A user naming anyone else gets an error.',
	);

/** The owner whose images a call reads: the caller's own, or for an admin the one named; else the refusal. */
function readableOwner(context: ToolContext, owner: string | undefined): Result<string, ToolFailure> {
	if (owner === undefined || owner === context.principal.id) return ok(context.principal.id);
	if (context.principal.role === 'admin') return ok(owner);
	return toolError(
		`owner: reading another user's images needs the admin role, and you ("${context.principal.name}") are a user. Omit owner to read your own.`,
		undefined,
		'forbidden',
	);
}

function galleryInput(maxLimit: number) {
	return z.strictObject({
		query: z
			.string()
			.trim()
			.max(GALLERY_QUERY_MAX)
			.optional()
			.describe(`Words to look for in the prompts (up to ${GALLERY_QUERY_MAX} characters, any case). Omit for all.`),
		model: z
			.string()
			.trim()
			.min(1)
			.max(MODEL_FILTER_MAX)
			.optional()
			.describe('Only images made by this model id (as list_models names it). Omit for all.'),
		from: daySchema('Only images made on or after this day'),
		to: daySchema('Only images made on or before this day'),
		owner: ownerArgument,
		limit: z
			.number()
			.int()
			.min(1)
			.max(maxLimit)
			.default(GALLERY_PAGE_MAX)
			.describe(`Images per page, 1–${maxLimit} (default ${GALLERY_PAGE_MAX}).`),
		offset: z.number().int().min(0).max(1_000_000).default(0).describe('How many to skip, 0 or more (default 0).'),
		cursor: cursorSchema,
	});
}

const browseInput = galleryInput(BROWSE_PAGE_MAX);
const thumbnailPageInput = galleryInput(GALLERY_PAGE_MAX);

const imageIndexSchema = z
	.number()
	.int()
	.min(0)
	.max(MAX_COUNT - 1)
	.default(0)
	.describe(`Position of the image within its job, 0–${MAX_COUNT - 1} (default 0).`);

const galleryImage = z.object({
	job_id: z.string(),
	index: z.number().int(),
	prompt: z.string(),
	model: z.string(),
	width: z.number().int(),
	height: z.number().int(),
	seed: z.number().int().nullable(),
	created_at: z.string(),
	image_url: z.string(),
	resource_uri: z.string(),
	markdown: z.string(),
});

const galleryOutput = {
	success: z.boolean(),
	...pageOutput,
	query: z.string().describe('The search text, "" for none.'),
	owner: z.string().describe('Whose images these are: your id, or the user an admin named.'),
	images: z.array(galleryImage),
};

/** An image as the gallery and the views show it (`galleryImage`). */
function galleryItem(image: ImageRow, job: Pick<JobRow, 'id' | 'prompt' | 'model'>, urls: UrlBases) {
	const view = presentImage(image, job.prompt, urls);
	return {
		job_id: job.id,
		index: view.index,
		prompt: job.prompt,
		model: job.model,
		width: view.width,
		height: view.height,
		seed: view.seed,
		created_at: new Date(image.createdAt).toISOString(),
		image_url: view.url,
		resource_uri: view.resource_uri,
		markdown: view.markdown,
	};
}

/** One page of the caller's stored images (or, for an admin, a named user's), newest first, filtered as asked. */
async function galleryPage(context: ToolContext, args: z.output<typeof browseInput>) {
	const owner = readableOwner(context, args.owner);
	if (!owner.ok) return owner;
	if (args.from && args.to && args.from > args.to) {
		return toolError(`to: ${args.to} is before from (${args.from}); give a to on or after from.`);
	}
	const request = pageRequest(args);
	if (!request.ok) return request;
	const page = await listOwnedGenerations(context.db, { owner: owner.value }, request.value, {
		liveOnly: true,
		promptContains: args.query || undefined,
		model: args.model,
		createdFrom: args.from ? dayStart(args.from) : undefined,
		createdBefore: args.to ? dayStart(args.to) + DAY_MS : undefined,
	});
	const images = page.items.map(({ image, job }) => galleryItem(image, job, context.urls));
	return ok({
		success: true,
		...pageFields(page.total, images.length, args.limit, args.offset, page.next),
		query: args.query ?? '',
		owner: owner.value,
		images,
	});
}

function dataUrl(bytes: Uint8Array, contentType: string): string {
	return `data:${contentType};base64,${toBase64(bytes)}`;
}

export const browseGalleryTool = defineTool({
	name: 'browse_gallery',
	title: 'Browse your image gallery',
	description:
		'Show your stored images as a gallery, newest first, optionally only those whose prompt contains some words, of one model or made between two days. ' +
		'Hosts that render MCP Apps (Claude, ChatGPT, VS Code, the MCP Inspector) show a paged grid of thumbnails with search; ' +
		'others get the list with URLs and markdown lines.',
	input: browseInput,
	output: z.object(galleryOutput),
	annotations: { title: 'Browse your image gallery', ...readOnly },
	handler: async (args, context) => {
		const page = await galleryPage(context, args);
		return page.ok ? toolResult(page.value) : page;
	},
});

export const galleryPageTool = defineTool({
	name: 'gallery_page',
	title: 'Gallery page with thumbnails (for the gallery view)',
	description:
		'For the gallery view: a page of your stored images, each with its thumbnail (the WebP preview) as a data: URI.',
	input: thumbnailPageInput,
	output: z.object({
		...galleryOutput,
		images: z.array(
			galleryImage.extend({
				thumbnail: z.string().nullable().describe('data:image/webp;base64,… or null when none can be made.'),
			}),
		),
	}),
	annotations: { title: 'Gallery page with thumbnails', ...readOnly },
	handler: async (args, context) => {
		const listed = await galleryPage(context, args);
		if (!listed.ok) return listed;
		const page = listed.value;
		const images = await Promise.all(
			page.images.map(async (image) => {
				const preview = await previewBase64(context, image.job_id, image.index);
				return { ...image, thumbnail: preview ? `data:${PREVIEW_CONTENT_TYPE};base64,${preview}` : null };
			}),
		);
		return toolResult({ ...page, images });
	},
});

export const getImageTool = defineTool({
	name: 'get_image',
	title: 'How one image was made',
	description:
		'One of your stored images: its URL and markdown, and how it was made: prompt (and the style and prompt you gave), ' +
		'model, seed, size, cost, reference images and, for a variation, the job it came from. The same as the image://<job_id>/<index>/metadata resource.',
	input: z.strictObject({ job_id: jobIdSchema, index: imageIndexSchema, owner: ownerArgument }),
	output: imageMetadataSchema.extend({
		success: z.boolean(),
		owner: z.string().describe('Whose image it is: your id, or the user an admin named.'),
	}),
	annotations: { title: 'How one image was made', ...readOnly },
	handler: async ({ job_id, index, owner }, context) => {
		const whose = readableOwner(context, owner);
		if (!whose.ok) return whose;
		const found = await readLiveImage(context, whose.value, job_id, index);
		if (!found.ok) return found;
		const { image, job } = found.value;
		return toolResult({ success: true, ...presentImageMetadata(job, image, context.urls), owner: whose.value });
	},
});

/** The owner's stored image at `job_id`/`index` with its job, or why there is none to show. */
async function readLiveImage(context: ToolContext, owner: string, jobId: string, index: number) {
	const [image, [job]] = await Promise.all([
		readOwnedImage(context.db, owner, buildImageKey(jobId, index)),
		readOwnedJobs(context.db, owner, [jobId]),
	]);
	if (!image || !job) {
		return notFoundError(
			`job_id: no image of yours at job "${jobId}", index ${index}. browse_gallery lists your images.`,
		);
	}
	const gone = removalMessage(image);
	if (gone) return notFoundError(`job_id: that image is gone. ${gone}`);
	return ok({ image, job });
}

export const viewImageTool = defineTool({
	name: 'view_image',
	title: 'One image at viewing size (for the views)',
	description: `For the viewer and gallery views: one of your images as a WebP data: URI, longest edge at most ${VIEW_IMAGE_MAX_EDGE} px, with how it was made.`,
	input: z.strictObject({ job_id: jobIdSchema, index: imageIndexSchema }),
	output: galleryImage.extend({
		success: z.boolean(),
		estimated_cost_usd: z.number(),
		data_url: z.string().describe(`data:image/webp;base64,…, longest edge at most ${VIEW_IMAGE_MAX_EDGE} px.`),
	}),
	annotations: { title: 'One image at viewing size', ...readOnly },
	handler: async ({ job_id, index }, context) => {
		const found = await readLiveImage(context, context.principal.id, job_id, index);
		if (!found.ok) return found;
		const { image, job } = found.value;
		const key = buildImageKey(job_id, index);
		const bytes = await readImage(context.env.IMAGES, key);
		if (!bytes) return notFoundError('job_id: that image is no longer stored; generate it again if you need it.');
		const view = await imagesBindingTransformer(context.env.IMAGE_TRANSFORMS).transform(bytes, {
			width: VIEW_IMAGE_MAX_EDGE,
			height: VIEW_IMAGE_MAX_EDGE,
			fit: 'scale-down',
			format: 'image/webp',
		});
		return toolResult({
			success: true,
			...galleryItem(image, job, context.urls),
			estimated_cost_usd: job.estimatedCostUsd,
			data_url: dataUrl(view.bytes, view.contentType),
		});
	},
});
