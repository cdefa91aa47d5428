/**
 * R2 keys and public URLs: the only place that builds them (DESIGN.md §2).
 *
 * Key: `<job_id>/<index>`. Deterministic per job and image index, so a retried job
 * overwrites its object instead of adding one; unguessable because the job id is a random
 * UUID v4 (122 random bits). No extension in the key, so a retry whose provider answered in
 * another format still lands on the same object; URLs carry the extension for clients that
 * look at it, and the Worker ignores it when serving.
 */

const KEY_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\/(\d{1,2})$/;

export function buildImageKey(jobId: string, index: number): string {
	return `${jobId}/${index}`;
}

/** Parses `<job_id>/<index>[.<ext>]` from a URL path tail; null for anything else. */
export function parseImagePath(path: string): string | null {
	const withoutExtension = path.replace(/\.(png|jpe?g|webp|gif)$/i, '');
	return KEY_PATTERN.test(withoutExtension) ? withoutExtension : null;
}

const EXTENSIONS: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

export interface UrlBases {
	/** Origin the Worker is reached at (PUBLIC_BASE_URL or the request's origin). */
	workerBase: string;
	/** R2 custom domain, when configured. */
	r2Base: string | undefined;
}

/** Absolute HTTPS URL of an image. */
export function buildImageUrl(bases: UrlBases, key: string, contentType: string): string {
	if (bases.r2Base) return `${bases.r2Base}/${key}`;
	return `${bases.workerBase}/images/${key}.${EXTENSIONS[contentType] ?? 'bin'}`;
}

/** The image as an MCP resource (src/tools/resources.ts): `image://<job_id>/<index>`. */
export function imageUri(jobId: string, index: number): string {
	return `image://${buildImageKey(jobId, index)}`;
}

/** The R2 key an `image://` URI names, or null when it is not one. */
export function parseImageUri(uri: string): string | null {
	return uri.startsWith('image://') ? parseImagePath(uri.slice('image://'.length)) : null;
}
