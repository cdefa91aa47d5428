/**
 * The sign-in pages of the OAuth flow (MCP authorization; docs/security.md):
 *   GET  /authorize  the MCP client sent the person here: ask whether this app may act for them;
 *   POST /authorize  they allowed it: send them to the upstream provider (PKCE, nonce, state);
 *   GET  /callback   the provider sent them back: check who they are, then issue our grant.
 * The consent handle and the upstream `state` are single-use and bound to this browser by
 * cookies (the OAuth library's helpers), so a forged form or a stolen code gets nowhere.
 * Discovery, registration and the token endpoint are the library's (src/worker/oauth/provider.ts).
 */
import { AuthorizationError, authorizationErrorRedirect, CimdFetchError } from '@cloudflare/workers-oauth-provider';
import type { Hono } from 'hono';
import { SERVER_INFO } from '../../mcp/server';
import { err, ok, type Result } from '../../result';
import type { AppEnv } from '../app-env';
import { type AuthSetup, authSetup, type OAuthProps } from '../auth';
import { consentPage, messagePage } from './pages';
import { admit } from './settings';
import { authorizationUrl, identify, randomSecret, UpstreamError, type UpstreamSecrets } from './upstream';

/** Where the provider sends people back (the origin they signed in on); register exactly this URL with it. */
export function callbackUrl(requestUrl: string): string {
	return `${new URL(requestUrl).origin}/callback`;
}

function redirect(location: string, headers: Headers): Response {
	headers.set('location', location);
	headers.set('cache-control', 'no-store');
	return new Response(null, { status: 302, headers });
}

const startAgain = 'Go back to your app and connect again.';

/** Errors the person caused or can fix render here; anything else is a bug or an outage (500). */
function explain(error: unknown): Response {
	if (error instanceof AuthorizationError && error.redirectTo) return redirect(error.redirectTo, new Headers());
	if (error instanceof AuthorizationError) {
		return messagePage(400, 'This sign-in cannot continue', `${error.description ?? error.message} ${startAgain}`);
	}
	if (error instanceof CimdFetchError) {
		return messagePage(400, 'This app could not be verified', `Its metadata document could not be read. ${startAgain}`);
	}
	if (error instanceof UpstreamError) return messagePage(502, 'Sign-in failed', `${error.message} ${startAgain}`);
	throw error;
}

/** The OAuth helpers and settings, or a page saying why sign-in is not available. */
function signIn(env: Env): Result<{ helpers: NonNullable<Env['OAUTH_PROVIDER']>; setup: AuthSetup }, Response> {
	const setup = authSetup(env);
	if (setup.errors.length) {
		return err(messagePage(503, 'Sign-in is not available', `The server is misconfigured: ${setup.errors.join(' ')}`));
	}
	if (!setup.oauth || !env.OAUTH_PROVIDER) {
		return err(
			messagePage(404, 'Sign-in is not enabled', 'This server does not offer OAuth sign-in; use a bearer token.'),
		);
	}
	return ok({ helpers: env.OAUTH_PROVIDER, setup });
}

export function registerOAuthRoutes(app: Hono<AppEnv>) {
	app.get('/authorize', async (c) => {
		const ready = signIn(c.env);
		if (!ready.ok) return ready.error;
		try {
			const request = await ready.value.helpers.parseAuthRequest(c.req.raw);
			const details = await ready.value.helpers.describeConsent(request);
			const consent = await ready.value.helpers.beginConsent(request);
			consent.headers.set('content-type', 'text/html; charset=utf-8');
			return new Response(
				consentPage(details, consent.handle, SERVER_INFO.title, ready.value.setup.oauth!.providerName),
				{
					headers: consent.headers,
				},
			);
		} catch (error) {
			return explain(error);
		}
	});

	app.post('/authorize', async (c) => {
		const ready = signIn(c.env);
		if (!ready.ok) return ready.error;
		try {
			const form = await c.req.raw.formData();
			const handle = String(form.get('handle') ?? '');
			if (form.get('decision') !== 'approve') {
				const denied = await ready.value.helpers.denyConsent(c.req.raw, handle);
				return redirect(denied.redirectTo, denied.headers);
			}
			const approved = await ready.value.helpers.approveConsent(c.req.raw, handle);
			const secrets: UpstreamSecrets = { verifier: randomSecret(), nonce: randomSecret() };
			const upstream = await ready.value.helpers.beginUpstream(approved.request, {
				data: secrets,
				headers: approved.headers,
			});
			const location = await authorizationUrl(
				ready.value.setup.oauth!,
				callbackUrl(c.req.url),
				upstream.state,
				secrets,
			);
			return redirect(location, upstream.headers);
		} catch (error) {
			return explain(error);
		}
	});

	app.get('/callback', async (c) => {
		const ready = signIn(c.env);
		if (!ready.ok) return ready.error;
		const settings = ready.value.setup.oauth!;
		try {
			const resumed = await ready.value.helpers.finishUpstream<UpstreamSecrets>(c.req.raw);
			const query = new URL(c.req.url).searchParams;
			const code = query.get('code');
			if (query.get('error') || !code) {
				return redirect(authorizationErrorRedirect(resumed.request, 'access_denied'), resumed.headers);
			}
			const identity = await identify(settings, callbackUrl(c.req.url), code, resumed.data);
			const admission = admit(settings, identity);
			if (!admission.ok) return messagePage(403, 'Access denied', admission.error);
			const { email } = admission.value;
			const props: OAuthProps = {
				via: 'oauth',
				email,
				name: identity.name ?? email,
				...(identity.hostedDomain ? { hostedDomain: identity.hostedDomain } : {}),
			};
			const { redirectTo } = await ready.value.helpers.completeAuthorization({
				request: resumed.request,
				userId: email,
				metadata: { email },
				scope: resumed.request.scope,
				props,
			});
			return redirect(redirectTo, resumed.headers);
		} catch (error) {
			return explain(error);
		}
	});
}
