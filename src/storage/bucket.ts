/**
 * Image bytes in R2: the only code that calls the bucket (DESIGN.md §2). Callers pass the
 * binding (`env.IMAGES`) in and name objects by key (src/storage/images.ts); the object's
 * metadata and the cache headers it is served with are decided here, once. Besides each
 * image, its preview and its transforms are kept under `<key>/` and deleted with it.
 */
import { derivedObjectsPrefix, previewKey } from './images';

/** Objects never change under their key (a retry overwrites with the same job's image), so caches may keep them. */
const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The key the health check asks about; it need not exist, R2 only has to answer. */
const HEALTH_PROBE_KEY = 'health-probe';

/** Who an object belongs to, kept on it so the bucket alone says whose it is. */
export interface StoredImageOwner {
	jobId: string;
	owner: string;
}

/** Writes an image under `key` with its sniffed content type; overwrites what was there. */
export async function storeImage(
	bucket: R2Bucket,
	key: string,
	bytes: Uint8Array,
	contentType: string,
	{ jobId, owner }: StoredImageOwner,
): Promise<void> {
	await bucket.put(key, bytes, {
		httpMetadata: { contentType, cacheControl: IMMUTABLE_CACHE_CONTROL },
		customMetadata: { jobId, owner },
	});
}

/** What a derived object (a preview or a transform) is stored as. */
export interface DerivedImage {
	bytes: Uint8Array;
	contentType: string;
}

/**
 * Writes a preview or a transform of an image under `derivedKey` (one of `<key>/…`, from
 * src/storage/images.ts) and returns its ETag, which is stable for the same bytes.
 */
export async function storeDerived(bucket: R2Bucket, derivedKey: string, image: DerivedImage): Promise<string> {
	const stored = await bucket.put(derivedKey, image.bytes, {
		httpMetadata: { contentType: image.contentType, cacheControl: IMMUTABLE_CACHE_CONTROL },
	});
	return stored.httpEtag;
}

/** Writes the preview of the image under `key` (a WebP from src/storage/previews.ts). */
export async function storePreview(bucket: R2Bucket, key: string, bytes: Uint8Array): Promise<void> {
	await storeDerived(bucket, previewKey(key), { bytes, contentType: 'image/webp' });
}

/** The preview of the image under `key`, or null when it has none (yet). */
export function readPreview(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
	return readImage(bucket, previewKey(key));
}

/** Whether an object is stored under `key`. */
export async function objectExists(bucket: R2Bucket, key: string): Promise<boolean> {
	return (await bucket.head(key)) !== null;
}

/** The bytes stored under `key`, or null when there is no such object. */
export async function readImage(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
	const object = await bucket.get(key);
	return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

/** R2 deletes at most this many keys per call. */
export const R2_DELETE_MAX_KEYS = 1000;
/** R2 lists at most this many keys per call. */
const R2_LIST_MAX_KEYS = 1000;
/** Prefix listings run this many at a time. */
const LIST_CONCURRENCY = 8;

/** An image to delete, and whether transforms of it may be kept (`images.has_transforms`). */
export interface ImageObjects {
	key: string;
	transforms: boolean;
}

/**
 * Deletes images with everything derived from them: each one's preview (its key is known) and,
 * for those that may have them, its transforms (`<key>/t/…`, made on request, so one R2 list
 * per such image finds them). Deletes go in calls of at most R2_DELETE_MAX_KEYS. A missing
 * key is not an error, so deleting twice is harmless.
 *
 * The images and previews go first, then the transforms: a preview or transform made at the
 * same time checks after writing that its image still exists and removes itself when not
 * (`keepIfImageExists`), and a transform written before the listing is found by it, so none
 * outlives its image. A transform is only written after its row is marked as having
 * transforms, which the caller reads when it marks the row removed (src/jobs/image-removal.ts).
 * If a later step fails, the caller's retry deletes again and lists again.
 */
export async function deleteImages(bucket: R2Bucket, targets: readonly ImageObjects[]): Promise<void> {
	if (targets.length === 0) return;
	await deleteKeys(
		bucket,
		targets.flatMap(({ key }) => [key, previewKey(key)]),
	);
	const withTransforms = targets.filter((target) => target.transforms).map((target) => target.key);
	const derived: string[] = [];
	for (let start = 0; start < withTransforms.length; start += LIST_CONCURRENCY) {
		const listed = await Promise.all(
			withTransforms.slice(start, start + LIST_CONCURRENCY).map((key) => listDerived(bucket, key)),
		);
		derived.push(...listed.flat());
	}
	await deleteKeys(bucket, derived);
}

/**
 * R2 calls `deleteImages` makes for these images, for the caller's budget of calls to
 * Cloudflare services: the deletes of images and previews, one list per image with transforms
 * and one delete of what they found (more only past 1,000 transforms, which the budget's
 * margin absorbs).
 */
export function deleteImagesCalls(targets: readonly ImageObjects[]): number {
	const withTransforms = targets.filter((target) => target.transforms).length;
	return Math.ceil((2 * targets.length) / R2_DELETE_MAX_KEYS) + withTransforms + (withTransforms > 0 ? 1 : 0);
}

async function deleteKeys(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
	for (let start = 0; start < keys.length; start += R2_DELETE_MAX_KEYS) {
		await bucket.delete(keys.slice(start, start + R2_DELETE_MAX_KEYS));
	}
}

/** Every object kept under the image's prefix: its preview and its transforms. */
async function listDerived(bucket: R2Bucket, key: string): Promise<string[]> {
	const found: string[] = [];
	let cursor: string | undefined;
	do {
		const page = await bucket.list({ prefix: derivedObjectsPrefix(key), limit: R2_LIST_MAX_KEYS, cursor });
		found.push(...page.objects.map((object) => object.key));
		cursor = page.truncated ? page.cursor : undefined;
	} while (cursor);
	return found;
}

/**
 * After writing `derivedKey` from the image under `key`: keeps it if the image is still
 * stored, else deletes it and says so (false). Closes the race with `deleteImages`, which
 * may have listed the image's prefix before this object was written.
 */
export async function keepIfImageExists(bucket: R2Bucket, key: string, derivedKey: string): Promise<boolean> {
	if (await objectExists(bucket, key)) return true;
	await bucket.delete(derivedKey);
	return false;
}

/** Throws when R2 does not answer. */
export async function probeImageBucket(bucket: R2Bucket): Promise<void> {
	await bucket.head(HEALTH_PROBE_KEY);
}

/**
 * An image read for an HTTP response: the headers to send (stored content type, ETag,
 * immutable caching, nosniff, CORS), the stored content type, and, unless the request's
 * conditions say the client's copy is current, the body.
 */
export type ImageForHttp =
	| { modified: false; headers: Headers; contentType: string | undefined }
	| { modified: true; headers: Headers; contentType: string | undefined; body: ReadableStream | Uint8Array };

/**
 * Reads `key` under the request's conditional headers (If-None-Match, If-Modified-Since, …).
 * Null when there is no such object.
 */
export async function readImageForHttp(
	bucket: R2Bucket,
	key: string,
	conditions: Headers,
): Promise<ImageForHttp | null> {
	const object = await bucket.get(key, { onlyIf: conditions });
	if (!object) return null;
	const headers = new Headers();
	object.writeHttpMetadata(headers);
	setServingHeaders(headers, object.httpEtag);
	const contentType = object.httpMetadata?.contentType;
	if (!('body' in object)) return { modified: false, headers, contentType };
	headers.set('content-length', String(object.size));
	return { modified: true, headers, contentType, body: object.body };
}

/** The answer for bytes just made and stored under an ETag (a new transform), as `readImageForHttp` would give them. */
export function freshImageForHttp(bytes: Uint8Array, contentType: string, etag: string): ImageForHttp {
	const headers = new Headers({ 'content-type': contentType, 'content-length': String(bytes.byteLength) });
	setServingHeaders(headers, etag);
	return { modified: true, headers, contentType, body: bytes };
}

function setServingHeaders(headers: Headers, etag: string): void {
	headers.set('etag', etag);
	headers.set('cache-control', IMMUTABLE_CACHE_CONTROL);
	headers.set('x-content-type-options', 'nosniff');
	// Public by design (the unguessable path is the capability): pages on any origin may draw them.
	headers.set('access-control-allow-origin', '*');
}
