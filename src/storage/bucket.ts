/**
 * Image bytes in R2: the only code that calls the bucket (DESIGN.md §2). Callers pass the
 * binding (`env.IMAGES`) in and name objects by key (src/storage/images.ts); the object's
 * metadata and the cache headers it is served with are decided here, once.
 */

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

/** The bytes stored under `key`, or null when there is no such object. */
export async function readImage(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
	const object = await bucket.get(key);
	return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

/**
 * Deletes the objects under `keys` (at most 1000, R2's limit per call). A missing key is
 * not an error, so deleting twice is harmless.
 */
export async function deleteImages(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
	if (keys.length === 0) return;
	await bucket.delete([...keys]);
}

/** Throws when R2 does not answer. */
export async function probeImageBucket(bucket: R2Bucket): Promise<void> {
	await bucket.head(HEALTH_PROBE_KEY);
}

/**
 * An image read for an HTTP response: the headers to send (stored content type, ETag,
 * immutable caching, nosniff) and, unless the request's conditions say the client's copy
 * is current, the body.
 */
export type ImageForHttp =
	| { modified: false; headers: Headers }
	| { modified: true; headers: Headers; body: ReadableStream };

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
	headers.set('etag', object.httpEtag);
	headers.set('cache-control', IMMUTABLE_CACHE_CONTROL);
	headers.set('x-content-type-options', 'nosniff');
	if (!('body' in object)) return { modified: false, headers };
	headers.set('content-length', String(object.size));
	return { modified: true, headers, body: object.body };
}
