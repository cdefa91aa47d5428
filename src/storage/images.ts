/**
 * How an image is named: R2 keys, public URLs and `image://` URIs. The only place that builds
 * or parses them (DESIGN.md §2).
 *
 * Key: `<job_id>/<index>`. Deterministic per job and image index, so a retried job
 * overwrites its object instead of adding one; unguessable because the job id is a random
 * UUID v4 (122 random bits). No extension in the key, so a retry whose provider answered in
 * another format still lands on the same object; URLs carry the extension for clients that
 * look at it, and the Worker ignores it when serving.
 */
import { isJobId, JOB_ID_SOURCE } from '../ids';

const KEY_PATTERN = new RegExp(`^(${JOB_ID_SOURCE})\\/(\\d{1,2})$`);

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

const IMAGE_SCHEME = 'image://';

/** The MCP resource template every image matches (src/mcp/resources.ts). */
export const IMAGE_URI_TEMPLATE = `${IMAGE_SCHEME}{job_id}/{index}`;

/** The image under `key` as an MCP resource: `image://<job_id>/<index>`. */
export function imageUriOfKey(key: string): string {
	return `${IMAGE_SCHEME}${key}`;
}

/** The image as an MCP resource (src/mcp/resources.ts): `image://<job_id>/<index>`. */
export function imageUri(jobId: string, index: number): string {
	return imageUriOfKey(buildImageKey(jobId, index));
}

/** Whether `value` is written as an `image://` URI, well-formed or not. */
export function hasImageScheme(value: string): boolean {
	return value.startsWith(IMAGE_SCHEME);
}

/** The R2 key an `image://` URI names, or null when it is not one. */
export function parseImageUri(uri: string): string | null {
	return hasImageScheme(uri) ? parseImagePath(uri.slice(IMAGE_SCHEME.length)) : null;
}

/** The name a resource_link gives the image at `uri`: `<job_id>-<index>`. */
export function imageResourceName(uri: string): string {
	return uri.slice(IMAGE_SCHEME.length).replace('/', '-');
}

/**
 * The R2 key when `value` names one of this server's images, however a caller wrote it: a job
 * id (its first image), `<job_id>/<index>`, `image://<job_id>/<index>`, this server's
 * `/images/…` URL or the R2 public URL. Ids and keys match in any case. Null when `value` is
 * none of these.
 */
export function imageKeyFrom(value: string, urls: UrlBases): string | null {
	if (isJobId(value.toLowerCase())) return buildImageKey(value.toLowerCase(), 0);
	const bare = hasImageScheme(value) ? value.slice(IMAGE_SCHEME.length) : value;
	const direct = parseImagePath(bare.toLowerCase());
	if (direct) return direct;
	for (const base of [urls.workerBase && `${urls.workerBase}/images/`, urls.r2Base && `${urls.r2Base}/`]) {
		if (base && value.startsWith(base)) return parseImagePath(value.slice(base.length).toLowerCase());
	}
	return null;
}
