/**
 * `GET /images/<job_id>/<index>[.<ext>][?w=&h=&fit=&q=]`: what a request asks for, and the
 * stored bytes that answer it (src/worker/images-route.ts renders the answer).
 *
 * - No parameters and the image's own extension (or none): the stored image as it is.
 * - Any output extension (`png`, `jpeg`/`jpg`, `webp`, `avif`) with parameters, or with none
 *   when the image is stored in another format: a transform to that format, made once with
 *   the Images binding and kept in R2 at `<key>/t/<name>`, so a repeat is one R2 read like the
 *   image itself (docs/benchmarks.md compares the Cache API).
 * - `.gif` serves an image stored as GIF; GIF is not an output format.
 */
import { err, ok, type Result } from '../result';
import { freshImageForHttp, type ImageForHttp, readImageForHttp } from './bucket';
import { parseImageFile, transformKey } from './images';
import {
	HTTP_PARAMETERS,
	type ImageTransformer,
	makeStoredTransform,
	OUTPUT_FORMATS,
	type OutputFormatName,
	parseTransformParameters,
	type TransformSpec,
	transformName,
} from './transform';

/** What one request asks of the image under `key`. */
export interface ImageRequest {
	key: string;
	/** The stored image answers as it is when its content type is one of these; `any`: whatever it is. */
	original: 'any' | readonly string[];
	/** Otherwise this transform answers; null: nothing else does (the request is refused). */
	transform: TransformSpec | null;
}

/** A request refused before anything is read: 404 for a path that names no image, 400 for bad input. */
export interface ImageRequestRefusal {
	status: 400 | 404;
	message: string;
}

const OUTPUT_EXTENSIONS = Object.keys(OUTPUT_FORMATS).join(', ');
const ALLOWED_EXTENSIONS = `${OUTPUT_EXTENSIONS}, or gif for an image stored as GIF`;

function isOutputExtension(extension: string): extension is OutputFormatName {
	return Object.hasOwn(OUTPUT_FORMATS, extension);
}

/** Parses the path tail after `/images/` and the query string; nothing is read yet. */
export function parseImageRequest(path: string, query: URLSearchParams): Result<ImageRequest, ImageRequestRefusal> {
	const file = parseImageFile(path);
	if (!file) return err({ status: 404, message: 'No such image.' });
	const { key, extension } = file;
	const transforming = query.size > 0;
	if (extension === null) {
		if (!transforming) return ok({ key, original: 'any', transform: null });
		return err({
			status: 400,
			message: `A transform needs the output format as the file extension: /images/${key}.<ext>?…, where <ext> is one of ${OUTPUT_EXTENSIONS}.`,
		});
	}
	if (extension === 'gif') {
		if (!transforming) return ok({ key, original: ['image/gif'], transform: null });
		return err({
			status: 400,
			message: `.gif: transforms cannot output GIF. Use one of ${OUTPUT_EXTENSIONS} for a transform.`,
		});
	}
	if (!isOutputExtension(extension)) {
		return err({
			status: 400,
			message: `.${extension}: not an image format this server serves. Use ${ALLOWED_EXTENSIONS}.`,
		});
	}
	const format = OUTPUT_FORMATS[extension];
	const spec = parseTransformParameters(query, format, HTTP_PARAMETERS);
	if (!spec.ok) return err({ status: 400, message: spec.error });
	return ok({ key, original: transforming ? [] : [format], transform: spec.value });
}

/**
 * What answers a request: the image (its headers, and its body unless the request's conditions
 * say the client's copy is current); `missing` when nothing is stored under the key (the face
 * asks D1 why); `refused` (400) for a `.gif` of an image stored in another format; `failed`
 * (500) when the transform failed (logged; nothing is kept).
 */
export type ServedImage =
	| { kind: 'image'; image: ImageForHttp }
	| { kind: 'missing' }
	| { kind: 'refused'; message: string }
	| { kind: 'failed' };

export async function serveImageRequest(
	bucket: R2Bucket,
	transformer: ImageTransformer,
	request: ImageRequest,
	conditions: Headers,
	claimTransforms: (key: string) => Promise<boolean>,
): Promise<ServedImage> {
	const { key, original, transform } = request;
	if (original === 'any' || original.length > 0) {
		const stored = await readImageForHttp(bucket, key, conditions);
		if (!stored) return { kind: 'missing' };
		// An object stored without a content type (none of ours) is served as it is, as before transforms.
		if (original === 'any' || stored.contentType === undefined || original.includes(stored.contentType)) {
			return { kind: 'image', image: stored };
		}
		// Another format: its body is left unread, as for HEAD, and dropped with the request.
		if (!transform) {
			return {
				kind: 'refused',
				message: `This image is stored as ${stored.contentType}, not GIF: ask for it without an extension, or convert it with ${OUTPUT_EXTENSIONS}.`,
			};
		}
	}
	if (!transform) return { kind: 'missing' };
	return serveTransform(bucket, transformer, key, transform, conditions, claimTransforms);
}

async function serveTransform(
	bucket: R2Bucket,
	transformer: ImageTransformer,
	key: string,
	spec: TransformSpec,
	conditions: Headers,
	claimTransforms: (key: string) => Promise<boolean>,
): Promise<ServedImage> {
	const kept = await readImageForHttp(bucket, transformKey(key, transformName(spec)), conditions);
	if (kept) return { kind: 'image', image: kept };
	try {
		const made = await makeStoredTransform(bucket, transformer, key, spec, () => claimTransforms(key));
		if (!made) return { kind: 'missing' };
		return { kind: 'image', image: freshImageForHttp(made.image.bytes, made.image.contentType, made.etag) };
	} catch (error) {
		console.error(`transform ${transformName(spec)} of ${key} failed`, error);
		return { kind: 'failed' };
	}
}
