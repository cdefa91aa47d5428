/**
 * MCP resources: every stored image is `image://<job_id>/<index>`, read back as its exact bytes
 * from R2 with the sniffed MIME type; resources/list pages through the caller's images, newest
 * first. Tool results' resource_links point here. Two more templates per image:
 * `…/view{?width,height,fit,format,quality}` reads it transformed (the Images binding, behind
 * src/storage/transform.ts), `…/metadata` reads how it was made, as JSON. Scoped like the
 * tools: another user's image is as unknown as a made-up one.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
	ErrorCode,
	ListResourcesRequestSchema,
	ListResourceTemplatesRequestSchema,
	ReadResourceRequestSchema,
	type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { toBase64 } from '../bytes';
import type { Db } from '../db/client';
import { type ImageRow, PUBLISHED_STYLE_OWNER } from '../db/schema';
import {
	decodeKeysetCursor,
	encodeKeysetCursor,
	listOwnedLiveImages,
	readJobSummaries,
	readOwnedImage,
	readOwnedJobs,
} from '../jobs/queries';
import { findStyle, listVisibleStyles, type StyleRow } from '../jobs/styles';
import { isTerminal } from '../jobs/wait';
import { readImage } from '../storage/bucket';
import {
	buildImageKey,
	IMAGE_METADATA_URI_TEMPLATE,
	IMAGE_RESOURCE_FORMS,
	IMAGE_URI_TEMPLATE,
	IMAGE_VIEW_URI_TEMPLATE,
	type ImageResourceRef,
	imageMetadataUri,
	imageUri,
	parseImageResourceUri,
} from '../storage/images';
import { FITS, imagesBindingTransformer, OUTPUT_FORMATS, parseViewQuery, TRANSFORM_LIMITS } from '../storage/transform';
import { oneLine } from '../text';
import type { RequestScope } from '../tools/context';
import { presentImageMetadata } from '../tools/image-metadata';
import { removalMessage } from '../tools/job-view';
import { APP_MIME_TYPE, APP_VIEWS, findView, viewHtml } from './apps/views';
import { invalidParams, protocolError, withInternalErrorsHidden } from './protocol';

/** Resources per resources/list page. */
export const RESOURCES_PAGE_SIZE = 50;

/** The spec's "Resource not found" code (server/resources, Error Handling). */
export const RESOURCE_NOT_FOUND = -32002;

const iso = (ms: number) => new Date(ms).toISOString();

function toResource(image: ImageRow, job: { prompt: string; model: string } | undefined): Resource {
	return {
		uri: imageUri(image.jobId, image.idx),
		name: buildImageKey(image.jobId, image.idx),
		title: job ? oneLine(job.prompt, 100) : undefined,
		description: `${job ? `"${oneLine(job.prompt, 300)}", ${job.model}, ` : ''}${image.width}×${image.height}${image.seed === null ? '' : `, seed ${image.seed}`}.`,
		mimeType: image.contentType,
		size: image.bytes,
		annotations: { lastModified: iso(image.createdAt) },
	};
}

/** One page of the caller's stored images (removed ones are not resources any more), newest first. */
export async function listImageResources(
	db: Db,
	owner: string,
	cursor: string | undefined,
): Promise<{ resources: Resource[]; nextCursor?: string }> {
	const after = cursor === undefined ? undefined : decodeKeysetCursor(cursor);
	if (after === null) {
		throw invalidParams(
			'cursor: not a cursor this server gave out; pass nextCursor from the previous resources/list exactly.',
		);
	}
	const page = await listOwnedLiveImages(db, owner, after, RESOURCES_PAGE_SIZE);
	const byId = await readJobSummaries(db, page.images);
	const resources = page.images.map((image) => toResource(image, byId.get(image.jobId)));
	return page.next ? { resources, nextCursor: encodeKeysetCursor(page.next) } : { resources };
}

function notFound(uri: string, why: string): Error {
	return protocolError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.slice(0, 200)}. ${why}`, {
		uri: uri.slice(0, 200),
	});
}

/** Base64 of bytes with the runtime's native encoder (nodejs_compat): a tenth of the time of btoa over a binary string. */

const { minSize, maxSize, minQuality, maxQuality } = TRANSFORM_LIMITS;

/** `style://{name}`: a style the caller can use. */
export const STYLE_URI_TEMPLATE = 'style://{name}';
const STYLE_URI_PREFIX = 'style://';

/** resources/templates/list: the image, its view and its metadata, and a style. */
export const RESOURCE_TEMPLATES = [
	{
		uriTemplate: IMAGE_URI_TEMPLATE,
		name: 'image',
		title: 'Generated image',
		description:
			'An image this server generated for you: job_id from generate_image (or list_jobs), index from 0. ' +
			'Reading it returns the image file itself (PNG, JPEG or WebP).',
	},
	{
		uriTemplate: IMAGE_VIEW_URI_TEMPLATE,
		name: 'image-view',
		title: 'Generated image, resized or converted',
		description:
			`The same image transformed on read: width and height ${minSize}–${maxSize} px, ` +
			`fit one of ${FITS.join(', ')} (cover and crop fill the box and crop its overflow, centred; contain fits inside; scale-down never enlarges), ` +
			`format one of ${Object.keys(OUTPUT_FORMATS).join(', ')} (default webp), quality ${minQuality}–${maxQuality}. ` +
			'Every parameter is optional; e.g. ?width=256&format=png.',
	},
	{
		uriTemplate: IMAGE_METADATA_URI_TEMPLATE,
		name: 'image-metadata',
		title: 'How a generated image was made',
		description:
			'JSON about the image: prompt, model, seed, size, steps, negative prompt, reference images, cost, ' +
			'when it was created and finished, and its URLs.',
		mimeType: 'application/json',
	},
	{
		uriTemplate: STYLE_URI_TEMPLATE,
		name: 'style',
		title: 'A style from your library',
		description:
			'A saved style (save_style), yours or one an admin published: its markdown brief, tags and defaults. Pass its name as `style` to generate_image.',
		mimeType: 'text/markdown',
	},
];

function styleResource(row: StyleRow): Resource {
	return {
		uri: `${STYLE_URI_PREFIX}${row.name}`,
		name: row.name,
		title: `Style ${row.name}${row.owner === PUBLISHED_STYLE_OWNER ? ' (published)' : ''}`,
		description: oneLine(row.brief, 200),
		mimeType: 'text/markdown',
		annotations: { lastModified: iso(row.updatedAt) },
	};
}

/** A style as markdown: its brief, then its tags and defaults. */
async function readStyleResource(scope: RequestScope, uri: string) {
	const name = uri.slice(STYLE_URI_PREFIX.length);
	const row = await findStyle(scope.db, scope.principal.id, name);
	if (!row) throw notFound(uri, 'list_styles (or resources/list) shows the styles you can use.');
	const defaults = Object.entries(row.defaults as Record<string, unknown>);
	const text = [
		row.brief,
		'',
		'---',
		`Tags: ${row.tags.length ? row.tags.join(', ') : 'none'}`,
		`Defaults: ${defaults.length ? defaults.map(([key, value]) => `${key} = ${JSON.stringify(value)}`).join(', ') : 'none'}`,
		`Use: generate_image with style: "${row.name}"`,
	].join('\n');
	return { contents: [{ uri, mimeType: 'text/markdown', text }] };
}

/**
 * The owner's stored image a resource URI names, or the -32002 that says why there is none:
 * unknown (another user's too), not finished, failed, no such index, or removed.
 */
async function readLiveImage(db: Db, owner: string, uri: string, ref: ImageResourceRef): Promise<ImageRow> {
	const row = await readOwnedImage(db, owner, ref.key);
	if (!row) {
		const [job] = await readOwnedJobs(db, owner, [ref.jobId]);
		if (!job) throw notFound(uri, 'No image of yours has that job id and index; resources/list shows your images.');
		if (!isTerminal(job)) {
			throw notFound(
				uri,
				`Job ${job.id} is not finished yet (${job.status}); its images exist once it completes. Call wait_for_completion with its job_id, then read this again.`,
			);
		}
		if (job.status !== 'completed') throw notFound(uri, `Job ${job.id} ${job.status}, so it has no images.`);
		throw notFound(uri, `Job ${job.id} has no image at index ${ref.index}; resources/list shows your images.`);
	}
	const removed = removalMessage(row);
	if (removed) throw notFound(uri, removed);
	return row;
}

/** The stored bytes of a live image row, or -32002 when the file is gone. */
async function readStoredBytes(bucket: R2Bucket, uri: string, row: ImageRow): Promise<Uint8Array> {
	const bytes = await readImage(bucket, row.r2Key);
	if (!bytes) throw notFound(uri, 'Its file is no longer stored; generate it again if you need it.');
	return bytes;
}

type ReadResult = { contents: ({ uri: string; mimeType: string } & ({ blob: string } | { text: string }))[] };

async function readImageResource(scope: RequestScope, uri: string): Promise<ReadResult> {
	const { db, env, principal } = scope;
	const ref = parseImageResourceUri(uri);
	if (!ref) {
		throw protocolError(
			ErrorCode.InvalidParams,
			`uri: "${uri.slice(0, 200)}" is not an image resource. Expected ${IMAGE_RESOURCE_FORMS}; image://<job_id>/<index> is the uri of a resource_link in a tool result, or one from resources/list.`,
		);
	}
	switch (ref.kind) {
		case 'image': {
			const row = await readLiveImage(db, principal.id, uri, ref);
			const bytes = await readStoredBytes(env.IMAGES, uri, row);
			return { contents: [{ uri: imageUri(row.jobId, row.idx), mimeType: row.contentType, blob: toBase64(bytes) }] };
		}
		case 'view': {
			// Checked before the image is looked up: a bad parameter is the same error for any image.
			const spec = parseViewQuery(ref.query);
			if (!spec.ok) throw invalidParams(`uri: ${spec.error}`);
			const row = await readLiveImage(db, principal.id, uri, ref);
			const bytes = await readStoredBytes(env.IMAGES, uri, row);
			const view = await imagesBindingTransformer(env.IMAGE_TRANSFORMS).transform(bytes, spec.value);
			return { contents: [{ uri, mimeType: view.contentType, blob: toBase64(view.bytes) }] };
		}
		case 'metadata': {
			const row = await readLiveImage(db, principal.id, uri, ref);
			const [job] = await readOwnedJobs(db, principal.id, [row.jobId]);
			if (!job) throw notFound(uri, 'No image of yours has that job id and index; resources/list shows your images.');
			const metadata = presentImageMetadata(job, row, scope.urls);
			return {
				contents: [
					{
						uri: imageMetadataUri(row.jobId, row.idx),
						mimeType: 'application/json',
						text: JSON.stringify(metadata, null, 2),
					},
				],
			};
		}
	}
}

const APP_VIEW_RESOURCES: Resource[] = APP_VIEWS.map((view) => ({
	uri: view.uri,
	name: view.name,
	title: view.title,
	description: view.description,
	mimeType: APP_MIME_TYPE,
}));

/** An MCP Apps view: its HTML, bordered by hosts that draw one. */
function readViewResource(uri: string) {
	const view = findView(uri);
	if (!view) {
		throw notFound(uri, `The views are ${APP_VIEWS.map((entry) => entry.uri).join(' and ')}.`);
	}
	return {
		contents: [
			{ uri: view.uri, mimeType: APP_MIME_TYPE, text: viewHtml(view), _meta: { ui: { prefersBorder: true } } },
		],
	};
}

export function registerResources(server: Server, scope: RequestScope): void {
	server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
		resourceTemplates: RESOURCE_TEMPLATES,
	}));

	server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
		const cursor = request.params?.cursor;
		const page = await listImageResources(scope.db, scope.principal.id, cursor);
		if (cursor !== undefined) return page;
		// The MCP Apps views and the caller's styles lead the first page; image pages follow by their own cursor.
		const styles = (await listVisibleStyles(scope.db, scope.principal.id)).map(styleResource);
		return { ...page, resources: [...APP_VIEW_RESOURCES, ...styles, ...page.resources] };
	});

	server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
		const uri = request.params.uri;
		if (uri.startsWith('ui://')) return readViewResource(uri);
		if (uri.startsWith(STYLE_URI_PREFIX))
			return withInternalErrorsHidden('resources/read', () => readStyleResource(scope, uri));
		return withInternalErrorsHidden('resources/read', () => readImageResource(scope, uri));
	});
}
