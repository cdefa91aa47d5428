/**
 * MCP resources: every stored image is `image://<job_id>/<index>` (one resource template), read
 * back as its exact bytes from R2 with the sniffed MIME type; resources/list pages through the
 * caller's images, newest first. Tool results' resource_links point here. Scoped like the tools:
 * another user's image is as unknown as a made-up one.
 */
import { Buffer } from 'node:buffer';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
	ErrorCode,
	ListResourcesRequestSchema,
	ListResourceTemplatesRequestSchema,
	ReadResourceRequestSchema,
	type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type ImageRow, images, jobs } from '../db/schema';
import { buildImageKey, imageUri, parseImageUri } from '../storage/images';
import { removalMessage } from './job-view';
import { protocolError } from './protocol';

export const IMAGE_URI_TEMPLATE = 'image://{job_id}/{index}';

/** Resources per resources/list page. */
export const RESOURCES_PAGE_SIZE = 50;

/** The spec's "Resource not found" code (server/resources, Error Handling). */
export const RESOURCE_NOT_FOUND = -32002;

const iso = (ms: number) => new Date(ms).toISOString();

function oneLine(text: string, max: number): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

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

interface ListCursor {
	c: number;
	i: string;
}

function decodeCursor(text: string): ListCursor {
	try {
		const value = JSON.parse(atob(text)) as Partial<ListCursor>;
		if (typeof value.c === 'number' && typeof value.i === 'string') return { c: value.c, i: value.i };
	} catch {
		// Falls through to the error below.
	}
	throw protocolError(
		ErrorCode.InvalidParams,
		'cursor: not a cursor this server gave out; pass nextCursor from the previous resources/list exactly.',
	);
}

/** One page of the caller's stored images (removed ones are not resources any more), newest first. */
export async function listImageResources(
	db: Db,
	owner: string,
	cursor: string | undefined,
): Promise<{ resources: Resource[]; nextCursor?: string }> {
	const after = cursor === undefined ? undefined : decodeCursor(cursor);
	const rows = await db
		.select()
		.from(images)
		.where(
			and(
				eq(images.owner, owner),
				isNull(images.removedAt),
				after
					? or(
							sql`${images.createdAt} < ${after.c}`,
							and(eq(images.createdAt, after.c), sql`${images.id} > ${after.i}`),
						)
					: undefined,
			),
		)
		.orderBy(desc(images.createdAt), asc(images.id))
		.limit(RESOURCES_PAGE_SIZE + 1);
	const page = rows.slice(0, RESOURCES_PAGE_SIZE);
	const jobIds = [...new Set(page.map((image) => image.jobId))];
	const parents = jobIds.length
		? await db
				.select({ id: jobs.id, prompt: jobs.prompt, model: jobs.model })
				.from(jobs)
				.where(inArray(jobs.id, jobIds))
		: [];
	const byId = new Map(parents.map((job) => [job.id, job]));
	const resources = page.map((image) => toResource(image, byId.get(image.jobId)));
	const last = page.at(-1);
	return rows.length > RESOURCES_PAGE_SIZE && last
		? { resources, nextCursor: btoa(JSON.stringify({ c: last.createdAt, i: last.id })).replace(/=+$/, '') }
		: { resources };
}

function notFound(uri: string, why: string): Error {
	return protocolError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.slice(0, 200)}. ${why}`, {
		uri: uri.slice(0, 200),
	});
}

/** Base64 of bytes with the runtime's native encoder (nodejs_compat): a tenth of the time of btoa over a binary string. */
function toBase64(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function registerResources(server: Server, db: Db, bucket: R2Bucket, owner: string): void {
	server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
		resourceTemplates: [
			{
				uriTemplate: IMAGE_URI_TEMPLATE,
				name: 'image',
				title: 'Generated image',
				description:
					'An image this server generated for you: job_id from generate_image (or list_jobs), index from 0. ' +
					'Reading it returns the image file itself (PNG, JPEG or WebP).',
			},
		],
	}));

	server.setRequestHandler(ListResourcesRequestSchema, async (request) =>
		listImageResources(db, owner, request.params?.cursor),
	);

	server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
		const { uri } = request.params;
		const key = parseImageUri(uri);
		if (!key) {
			throw protocolError(
				ErrorCode.InvalidParams,
				`uri: "${uri.slice(0, 200)}" is not an image resource. Expected image://<job_id>/<index>, e.g. the uri of a resource_link in a tool result, or one from resources/list.`,
			);
		}
		const row = await db
			.select()
			.from(images)
			.where(and(eq(images.owner, owner), eq(images.id, key)))
			.get();
		if (!row) throw notFound(uri, 'No image of yours has that job id and index; resources/list shows your images.');
		const removed = removalMessage(row);
		if (removed) throw notFound(uri, removed);
		const object = await bucket.get(row.r2Key);
		if (!object) throw notFound(uri, 'Its file is no longer stored; generate it again if you need it.');
		const bytes = new Uint8Array(await object.arrayBuffer());
		return { contents: [{ uri: imageUri(row.jobId, row.idx), mimeType: row.contentType, blob: toBase64(bytes) }] };
	});
}
