/**
 * GET /images/<job_id>/<index>[.<ext>][?w=&h=&fit=&q=]: the stored image, or a transform of it
 * (resized, cropped, converted; docs/storage-schema.md "Transforms"), with its content type,
 * an ETag, immutable caching and CORS. What a request asks for and what answers it are decided
 * in src/storage/http-images.ts; this face renders that, and asks D1 why an image is missing.
 * The unguessable path is the capability, so no auth: chat clients and markdown renderers fetch
 * these URLs without credentials.
 */
import { getDb } from '../db/client';
import { claimTransforms, explainMissingImage } from '../jobs/image-removal';
import { parseImageRequest, serveImageRequest } from '../storage/http-images';
import { imagesBindingTransformer } from '../storage/transform';

/**
 * Errors are JSON `{ "error": … }` and never cached: the same URL may answer later. CORS as on
 * the images themselves, so a page that fetch()es an image can read why it failed.
 */
function errorResponse(status: number, body: Record<string, unknown>): Response {
	return Response.json(body, { status, headers: { 'cache-control': 'no-store', 'access-control-allow-origin': '*' } });
}

/** A missing object whose row says it expired or was deleted is 410 Gone, with why; a job still running 404 saying so. */
async function missing(env: Pick<Env, 'DB'>, key: string): Promise<Response> {
	const why = await explainMissingImage(getDb(env), key);
	if (why.kind === 'unfinished') {
		return errorResponse(404, {
			error: `This image is not finished yet: job ${why.jobId} is ${why.status}. Wait for it (wait_for_completion or get_job_status), then ask again.`,
			status: why.status,
		});
	}
	if (why.kind === 'unknown') return errorResponse(404, { error: 'No such image.' });
	const message =
		why.reason === 'deleted'
			? 'This image was deleted by its owner.'
			: 'This image expired: images are kept for a limited time on this server.';
	return errorResponse(410, {
		error: message,
		reason: why.reason,
		removed_at: new Date(why.removedAt).toISOString(),
	});
}

/**
 * R2 answers "not modified" for any condition that stopped the read; RFC 9110 §13.2.2 says
 * which status that is. A failed If-Match, or a failed If-Unmodified-Since with no If-Match,
 * is 412 Precondition Failed; a current copy (If-None-Match, If-Modified-Since) is 304.
 */
function preconditionFailed(headers: Headers, etag: string | null): boolean {
	const ifMatch = headers.get('if-match');
	if (ifMatch !== null) {
		const tags = ifMatch.split(',').map((tag) => tag.trim());
		return !(tags.includes('*') || (etag !== null && !etag.startsWith('W/') && tags.includes(etag)));
	}
	if (headers.get('if-unmodified-since') === null) return false;
	// With If-Unmodified-Since alone, it is what failed; a matching If-None-Match or an
	// If-Modified-Since may instead have found the client's copy current.
	const ifNoneMatch = headers.get('if-none-match');
	const current =
		(ifNoneMatch !== null && (ifNoneMatch.trim() === '*' || (etag !== null && ifNoneMatch.includes(etag)))) ||
		headers.get('if-modified-since') !== null;
	return !current;
}

export async function serveImage(
	request: Request,
	env: Pick<Env, 'IMAGES' | 'DB' | 'IMAGE_TRANSFORMS'>,
	path: string,
): Promise<Response> {
	const parsed = parseImageRequest(path, new URL(request.url).searchParams);
	if (!parsed.ok) return errorResponse(parsed.error.status, { error: parsed.error.message });
	const transformer = imagesBindingTransformer(env.IMAGE_TRANSFORMS);
	const served = await serveImageRequest(env.IMAGES, transformer, parsed.value, request.headers, (key) =>
		claimTransforms(getDb(env), key),
	);
	switch (served.kind) {
		case 'missing':
			return missing(env, parsed.value.key);
		case 'refused':
			return errorResponse(400, { error: served.message });
		case 'failed':
			return errorResponse(500, { error: 'This image could not be transformed; try other parameters.' });
	}
	const { image } = served;
	if (!image.modified) {
		const status = preconditionFailed(request.headers, image.headers.get('etag')) ? 412 : 304;
		return new Response(null, { status, headers: image.headers });
	}
	return new Response(request.method === 'HEAD' ? null : image.body, { headers: image.headers });
}
