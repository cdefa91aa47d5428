/**
 * The web app at /ui (issue 18; docs/web.md): the Host guard of local dev, the session (or
 * token-less local access), CSRF protection of every state-changing request (the session's
 * token plus an Origin check), and each page module's routes. Pages call the operations of
 * src/tools/ through src/worker/web/page.ts, as the MCP tools and the REST API do.
 */
import { type Context, Hono } from 'hono';
import { getDb } from '../../db/client';
import type { RequestScope } from '../../tools/context';
import type { AppEnv } from '../app-env';
import { authSetup } from '../auth';
import { localRequestRefusal } from '../host-guard';
import { isLocalAccess, isSameOriginPost, LOCAL_PRINCIPAL, sessionPrincipal } from './access';
import { APP_CSS, APP_ICON, APP_SCRIPT } from './assets';
import { registerGalleryPages } from './gallery';
import { registerGeneratePages } from './generate';
import { registerJobPages } from './jobs';
import { messagePage } from './message';
import { formFields, secureCookies, seeOther, type WebEnv } from './page';
import {
	cookie,
	createSession,
	deleteSession,
	readCookie,
	readSession,
	SESSION_TTL_MS,
	sameSecret,
	sessionCookieName,
	type WebSession,
} from './session';
import { registerSettingsPages } from './settings';
import { beginOAuthSignIn, finishOAuthSignIn, signInPage, signInWithToken, WEB_STATE_PREFIX } from './signin';
import { registerUsagePages } from './usage';

/** Paths under /ui that need no session. */
const PUBLIC_PATHS = new Set([
	'/ui/signin',
	'/ui/signin/oauth',
	'/ui/assets/app.css',
	'/ui/assets/app.js',
	'/ui/assets/icon.svg',
]);

const ASSET_HEADERS = { 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' };

export function registerWebRoutes(app: Hono<AppEnv>, scopeOf: (c: Context<AppEnv>) => RequestScope) {
	const web = new Hono<WebEnv>();

	web.use('*', async (c, next) => {
		const config = c.get('config');
		const refusal = config.localDev ? localRequestRefusal(c.req.raw, config) : null;
		if (refusal) return messagePage(c, 403, 'Not served here', refusal);
		if (c.req.method === 'POST' && !isSameOriginPost(c.req.raw, config)) {
			return messagePage(c, 403, 'Refused', 'This form was sent from another site, so it was not accepted.');
		}
		const path = new URL(c.req.url).pathname;
		if (PUBLIC_PATHS.has(path)) return next();

		const db = getDb(c.env);
		const setup = authSetup(c.env);
		const now = Date.now();
		const secure = secureCookies(c);
		const secret = readCookie(c.req.raw, sessionCookieName(secure));
		const session = secret ? await readSession(db, secret, now) : undefined;
		const principal = session ? sessionPrincipal(session, setup, config, c.req.raw) : undefined;
		let created: WebSession | undefined;
		if (session && principal) {
			c.set('session', session);
			c.set('principal', principal);
		} else if (isLocalAccess(c.req.raw, setup, config)) {
			// Token-less local dev: no sign-in, but a session all the same, for its CSRF token.
			created = await createSession(db, LOCAL_PRINCIPAL, 'local', undefined, now);
			c.set('session', created);
			c.set('principal', LOCAL_PRINCIPAL);
		} else {
			if (session) await deleteSession(db, session.idHash);
			if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
				return messagePage(c, 401, 'Signed out', 'Your session has ended. Sign in again, then repeat what you did.');
			}
			const wanted = path + new URL(c.req.url).search;
			return seeOther(`/ui/signin?next=${encodeURIComponent(wanted)}`);
		}
		c.set('scope', scopeOf(c as unknown as Context<AppEnv>));
		if (c.req.method === 'POST') {
			const { csrf } = await formFields(c);
			if (!csrf || !sameSecret(csrf, c.get('session').csrf)) {
				return messagePage(
					c,
					403,
					'Refused',
					'This form has expired or was not sent from this app. Go back, reload the page and try again.',
				);
			}
		}
		await next();
		if (created) {
			c.res.headers.append(
				'set-cookie',
				cookie(sessionCookieName(secure), created.secret!, secure, SESSION_TTL_MS / 1000),
			);
		}
	});

	web.get('/assets/app.css', (c) =>
		c.body(APP_CSS, 200, { ...ASSET_HEADERS, 'content-type': 'text/css; charset=utf-8' }),
	);
	web.get('/assets/app.js', (c) =>
		c.body(APP_SCRIPT, 200, { ...ASSET_HEADERS, 'content-type': 'text/javascript; charset=utf-8' }),
	);

	web.get('/assets/icon.svg', (c) => c.body(APP_ICON, 200, { ...ASSET_HEADERS, 'content-type': 'image/svg+xml' }));
	web.get('/signin', (c) => signInPage(c));
	web.post('/signin', (c) => signInWithToken(c));
	web.get('/signin/oauth', (c) => beginOAuthSignIn(c));
	web.post('/signout', async (c) => {
		const secure = secureCookies(c);
		await deleteSession(getDb(c.env), c.get('session').idHash);
		return seeOther('/ui/signin', { 'set-cookie': cookie(sessionCookieName(secure), '', secure, 0) });
	});
	web.get('/', () => seeOther('/ui/gallery'));

	registerGalleryPages(web);
	registerSettingsPages(web);
	registerGeneratePages(web);
	registerJobPages(web);
	registerUsagePages(web);

	web.notFound((c) => messagePage(c, 404, 'Not found', 'There is no such page in this app.'));
	web.onError((error, c) => {
		console.error('web page failed', error);
		return messagePage(c, 500, 'Something went wrong', 'This page failed on the server. Try again in a moment.');
	});
	app.route('/ui', web as unknown as Hono<AppEnv>);
	// The provider sends web sign-ins back to the one callback URL registered for MCP clients too.
	app.get('/callback', (c, next) =>
		isWebCallback(c.req.raw) ? finishOAuthSignIn(c as unknown as Context<WebEnv>) : next(),
	);
}

/** Whether GET /callback belongs to a web sign-in (its `state`), not an MCP client's. */
export function isWebCallback(request: Request): boolean {
	return (new URL(request.url).searchParams.get('state') ?? '').startsWith(WEB_STATE_PREFIX);
}
