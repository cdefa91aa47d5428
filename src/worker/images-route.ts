/**
 * GET /images/<job_id>/<index>[.<ext>]: image bytes from R2 with the sniffed content type,
 * an ETag and immutable caching (read and headed by src/storage/bucket.ts). The unguessable
 * path is the capability, so no auth: chat clients and markdown renderers fetch these URLs
 * without credentials.
 */
import { getDb } from '../db/client';
import { readImageRemoval } from '../jobs/image-removal';
import { readImageForHttp } from '../storage/bucket';
import { parseImagePath } from '../storage/images';

function notFound(): Response {
	return Response.json({ error: 'No such image.' }, { status: 404 });
}

/** A missing object whose row says it expired or was deleted is 410 Gone, with why; anything else 404. */
async function missing(env: Pick<Env, 'DB'>, key: string): Promise<Response> {
	const removal = await readImageRemoval(getDb(env), key);
	if (!removal) return notFound();
	const message =
		removal.reason === 'deleted'
			? 'This image was deleted by its owner.'
			: 'This image expired: images are kept for a limited time on this server.';
	return Response.json(
		{ error: message, reason: removal.reason, removed_at: new Date(removal.removedAt).toISOString() },
		{ status: 410 },
	);
}

export async function serveImage(request: Request, env: Pick<Env, 'IMAGES' | 'DB'>, path: string): Promise<Response> {
	const key = parseImagePath(path);
	if (!key) return notFound();
	const image = await readImageForHttp(env.IMAGES, key, request.headers);
	if (!image) return missing(env, key);
	if (!image.modified) return new Response(null, { status: 304, headers: image.headers });
	return new Response(request.method === 'HEAD' ? null : image.body, { headers: image.headers });
}
