/**
 * GET /images/<job_id>/<index>[.<ext>]: image bytes from R2 with the sniffed content type,
 * an ETag and immutable caching. The unguessable path is the capability, so no auth: chat
 * clients and markdown renderers fetch these URLs without credentials.
 */
import { getDb } from '../db/client';
import { readImageRemoval } from '../jobs/image-removal';
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
	const object = await env.IMAGES.get(key, { onlyIf: request.headers });
	if (!object) return missing(env, key);
	const headers = new Headers();
	object.writeHttpMetadata(headers);
	headers.set('etag', object.httpEtag);
	headers.set('cache-control', 'public, max-age=31536000, immutable');
	headers.set('x-content-type-options', 'nosniff');
	if (!('body' in object)) return new Response(null, { status: 304, headers });
	headers.set('content-length', String(object.size));
	return new Response(request.method === 'HEAD' ? null : object.body, { headers });
}
