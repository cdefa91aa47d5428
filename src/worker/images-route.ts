/**
 * GET /images/<job_id>/<index>[.<ext>]: image bytes from R2 with the sniffed content type,
 * an ETag and immutable caching. The unguessable path is the capability, so no auth: chat
 * clients and markdown renderers fetch these URLs without credentials.
 */
import { parseImagePath } from '../storage/images';

function notFound(): Response {
	return Response.json({ error: 'No such image.' }, { status: 404 });
}

export async function serveImage(request: Request, env: Pick<Env, 'IMAGES'>, path: string): Promise<Response> {
	const key = parseImagePath(path);
	if (!key) return notFound();
	const object = await env.IMAGES.get(key, { onlyIf: request.headers });
	if (!object) return notFound();
	const headers = new Headers();
	object.writeHttpMetadata(headers);
	headers.set('etag', object.httpEtag);
	headers.set('cache-control', 'public, max-age=31536000, immutable');
	headers.set('x-content-type-options', 'nosniff');
	if (!('body' in object)) return new Response(null, { status: 304, headers });
	headers.set('content-length', String(object.size));
	return new Response(request.method === 'HEAD' ? null : object.body, { headers });
}
