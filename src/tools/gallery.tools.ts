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
import { ok } from '../result';
import { readImage } from '../storage/bucket';
import { buildImageKey, type UrlBases } from '../storage/images';
import { PREVIEW_CONTENT_TYPE } from '../storage/previews';
import { imagesBindingTransformer } from '../storage/transform';
import { defineTool, notFoundError, type ToolContext, toolResult } from './context';
import { presentImage, removalMessage } from './job-view';
import { cursorSchema, jobIdSchema, pageFields, pageOutput, pageRequest, readOnly } from './jobs.tools';
import { previewBase64 } from './previews';

/** Images per gallery page: a 4×3 grid, and at most 12 previews (64 KB each) in one answer. */
export const GALLERY_PAGE_MAX = 12;
/** Longest edge of an image as `view_image` gives it: the views' full-size view. */
export const VIEW_IMAGE_MAX_EDGE = 1024;
/** Longest search text. */
export const GALLERY_QUERY_MAX = 200;

const galleryInput = z.strictObject({
	query: z
		.string()
		.trim()
		.max(GALLERY_QUERY_MAX)
		.optional()
		.describe(`Words to look for in the prompts (up to ${GALLERY_QUERY_MAX} characters, any case). Omit for all.`),
	limit: z
		.number()
		.int()
		.min(1)
		.max(GALLERY_PAGE_MAX)
		.default(GALLERY_PAGE_MAX)
		.describe(`Images per page, 1–${GALLERY_PAGE_MAX} (default ${GALLERY_PAGE_MAX}).`),
	offset: z.number().int().min(0).max(1_000_000).default(0).describe('How many to skip, 0 or more (default 0).'),
	cursor: cursorSchema,
});

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

/** One page of the caller's stored images, newest first, optionally those whose prompt holds `query`. */
async function galleryPage(context: ToolContext, args: z.output<typeof galleryInput>) {
	const request = pageRequest(args);
	if (!request.ok) return request;
	const page = await listOwnedGenerations(context.db, { owner: context.principal.id }, request.value, {
		liveOnly: true,
		promptContains: args.query || undefined,
	});
	const images = page.items.map(({ image, job }) => galleryItem(image, job, context.urls));
	return ok({
		success: true,
		...pageFields(page.total, images.length, args.limit, args.offset, page.next),
		query: args.query ?? '',
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
		'Show your stored images as a gallery, newest first, optionally only those whose prompt contains some words. ' +
		'Hosts that render MCP Apps (Claude, ChatGPT, VS Code, the MCP Inspector) show a paged grid of thumbnails with search; ' +
		'others get the list with URLs and markdown lines.',
	input: galleryInput,
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
	input: galleryInput,
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

export const viewImageTool = defineTool({
	name: 'view_image',
	title: 'One image at viewing size (for the views)',
	description: `For the viewer and gallery views: one of your images as a WebP data: URI, longest edge at most ${VIEW_IMAGE_MAX_EDGE} px, with how it was made.`,
	input: z.strictObject({
		job_id: jobIdSchema,
		index: z
			.number()
			.int()
			.min(0)
			.max(MAX_COUNT - 1)
			.default(0)
			.describe(`Position of the image within its job, 0–${MAX_COUNT - 1} (default 0).`),
	}),
	output: galleryImage.extend({
		success: z.boolean(),
		estimated_cost_usd: z.number(),
		data_url: z.string().describe(`data:image/webp;base64,…, longest edge at most ${VIEW_IMAGE_MAX_EDGE} px.`),
	}),
	annotations: { title: 'One image at viewing size', ...readOnly },
	handler: async ({ job_id, index }, context) => {
		const key = buildImageKey(job_id, index);
		const [image, [job]] = await Promise.all([
			readOwnedImage(context.db, context.principal.id, key),
			readOwnedJobs(context.db, context.principal.id, [job_id]),
		]);
		if (!image || !job) {
			return notFoundError(
				`job_id: no image of yours at job "${job_id}", index ${index}. browse_gallery lists your images.`,
			);
		}
		const gone = removalMessage(image);
		if (gone) return notFoundError(`job_id: that image is gone. ${gone}`);
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
