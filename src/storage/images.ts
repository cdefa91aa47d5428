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
/** A key whose job id may be written in upper case; callers lower it (src/ids.ts: one canonical form). */
const ANY_CASE_KEY_PATTERN = new RegExp(KEY_PATTERN.source, 'i');

export function buildImageKey(jobId: string, index: number): string {
	return `${jobId}/${index}`;
}

/** Parses `<job_id>/<index>[.<ext>]` from a URL path tail; null for anything else. */
export function parseImagePath(path: string): string | null {
	const withoutExtension = path.replace(/\.(png|jpe?g|webp|gif)$/i, '');
	return ANY_CASE_KEY_PATTERN.test(withoutExtension) ? withoutExtension.toLowerCase() : null;
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

/**
 * The image's view resource (src/mcp/resources.ts): the image transformed on read, as the
 * query asks (width, height, fit, format, quality; RFC 6570 form-style query expansion).
 */
export const IMAGE_VIEW_URI_TEMPLATE = `${IMAGE_SCHEME}{job_id}/{index}/view{?width,height,fit,format,quality}`;

/** The image's metadata resource (src/mcp/resources.ts): how it was made, as JSON. */
export const IMAGE_METADATA_URI_TEMPLATE = `${IMAGE_SCHEME}{job_id}/{index}/metadata`;

/** The forms an image resource URI takes, for messages. */
export const IMAGE_RESOURCE_FORMS =
	'image://<job_id>/<index>, image://<job_id>/<index>/view?width=&height=&fit=&format=&quality= or image://<job_id>/<index>/metadata';

/** The view of an image as an MCP resource, with no parameters (a WebP of its own size): `image://<job_id>/<index>/view`. */
export function imageViewUri(jobId: string, index: number): string {
	return `${imageUri(jobId, index)}/view`;
}

/** The metadata of an image as an MCP resource: `image://<job_id>/<index>/metadata`. */
export function imageMetadataUri(jobId: string, index: number): string {
	return `${imageUri(jobId, index)}/metadata`;
}

/** Which image resource a URI names: the image itself, a view of it (with its query as written) or its metadata. */
export type ImageResourceRef =
	| { kind: 'image'; key: string; jobId: string; index: number }
	| { kind: 'view'; key: string; jobId: string; index: number; query: URLSearchParams }
	| { kind: 'metadata'; key: string; jobId: string; index: number };

const RESOURCE_PATH_PATTERN = new RegExp(`^(${JOB_ID_SOURCE})\\/(\\d{1,2})\\/(view|metadata)$`, 'i');

/**
 * The image resource a URI names, or null when it is none of IMAGE_RESOURCE_FORMS. Only a
 * view takes a query; its parameters are checked by parseViewQuery.
 */
export function parseImageResourceUri(uri: string): ImageResourceRef | null {
	if (!hasImageScheme(uri)) return null;
	const rest = uri.slice(IMAGE_SCHEME.length);
	const at = rest.indexOf('?');
	const path = at === -1 ? rest : rest.slice(0, at);
	if (at === -1) {
		const key = parseImagePath(path);
		if (key) return { kind: 'image', key, ...keyParts(key) };
	}
	const match = RESOURCE_PATH_PATTERN.exec(path);
	if (!match) return null;
	const key = buildImageKey(match[1]!.toLowerCase(), Number(match[2]));
	if (match[3]!.toLowerCase() === 'view') {
		return { kind: 'view', key, ...keyParts(key), query: new URLSearchParams(at === -1 ? '' : rest.slice(at + 1)) };
	}
	return at === -1 ? { kind: 'metadata', key, ...keyParts(key) } : null;
}

function keyParts(key: string): { jobId: string; index: number } {
	const slash = key.indexOf('/');
	return { jobId: key.slice(0, slash), index: Number(key.slice(slash + 1)) };
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

/**
 * Everything kept for the image under `key` besides the image itself lives under
 * `<key>/`: its preview (`<key>/preview.webp`) and its transforms (`<key>/t/<name>`). Deleting
 * an image deletes this prefix with it (src/storage/bucket.ts `deleteImages`). Index keys
 * have no slash after the index, so one image's prefix never holds another image's objects.
 */
export function derivedObjectsPrefix(key: string): string {
	return `${key}/`;
}

/** Where the preview of the image under `key` is kept (src/storage/previews.ts). */
export function previewKey(key: string): string {
	return `${derivedObjectsPrefix(key)}preview.webp`;
}

/** Where a transform of the image under `key` is kept, by its spec's name (`transformName`). */
export function transformKey(key: string, name: string): string {
	return `${derivedObjectsPrefix(key)}t/${name}`;
}

/** The job an image key belongs to. */
export function jobIdOfKey(key: string): string {
	return key.slice(0, key.indexOf('/'));
}

const FILE_PATTERN = new RegExp(`^(${JOB_ID_SOURCE}\\/\\d{1,2})(?:\\.([a-z0-9]{1,10}))?$`, 'i');

/**
 * Parses the path tail of `GET /images/<job_id>/<index>[.<ext>]` into the key and the
 * extension as written (lower-cased; null when there is none). Any extension is returned, so
 * the caller can refuse an unknown one by name; null when the rest is not an image key.
 */
export function parseImageFile(path: string): { key: string; extension: string | null } | null {
	const match = FILE_PATTERN.exec(path);
	if (!match?.[1]) return null;
	const key = match[1].toLowerCase();
	if (!KEY_PATTERN.test(key)) return null;
	return { key, extension: match[2]?.toLowerCase() ?? null };
}
