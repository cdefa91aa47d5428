/**
 * Signing in to the web app (issue 18): with OAuth configured, "Sign in with Google" (or the
 * configured OpenID Connect provider) through the same upstream flow and allow-list as MCP
 * clients; with bearer tokens, a form to paste one's token. Either ends in a server-side
 * session (src/worker/web/session.ts). Token-less local dev needs no sign-in at all.
 */
import type { Context } from 'hono';
import { getDb } from '../../db/client';
import type { Principal } from '../../tools/context';
import { type AuthSetup, authSetup, oauthPrincipal, principalForToken } from '../auth';
import { callbackUrl } from '../oauth/routes';
import { admit } from '../oauth/settings';
import { authorizationUrl, identify, UpstreamError } from '../oauth/upstream';
import { FieldError, Layout } from './layout';
import { htmlPage, safeNext, secureCookies, startSession, type WebEnv } from './page';
import { beginLogin, cookie, LOGIN_TTL_MS, loginCookieName, readCookie, takeLogin } from './session';

/** Upstream `state` values of web sign-ins start with this, so GET /callback knows them from MCP clients'. */
export const WEB_STATE_PREFIX = 'web.';

/** Longest token the form takes (a token table's tokens are far shorter). */
export const MAX_TOKEN_LENGTH = 512;

interface SignInView {
	providerName?: string;
	takesTokens: boolean;
	next: string;
	error?: string;
	problem?: string;
}

const SignInPage = ({ view }: { view: SignInView }) => (
	<Layout title="Sign in">
		<h1>Sign in</h1>
		{view.problem ? (
			<p class="alert" role="alert">
				{view.problem}
			</p>
		) : null}
		{view.providerName ? (
			<p>
				<a class="button-link" href={`/ui/signin/oauth?next=${encodeURIComponent(view.next)}`}>
					Sign in with {view.providerName}
				</a>
			</p>
		) : null}
		{view.takesTokens ? (
			<form method="post" action="/ui/signin" class="card">
				<input type="hidden" name="next" value={view.next} />
				<label for="token">{view.providerName ? 'Or paste your access token' : 'Your access token'}</label>
				<input
					id="token"
					name="token"
					type="password"
					autocomplete="current-password"
					required
					maxlength={MAX_TOKEN_LENGTH}
					size={48}
					aria-invalid={view.error ? 'true' : undefined}
					aria-describedby={view.error ? 'token-error' : 'token-hint'}
				/>
				<p class="hint" id="token-hint">
					The bearer token your operator gave you for MCP clients (docs/security.md).
				</p>
				<FieldError id="token-error" message={view.error} />
				<p>
					<button type="submit" class="primary">
						Sign in
					</button>
				</p>
			</form>
		) : null}
		{!view.providerName && !view.takesTokens && !view.problem ? (
			<p class="alert" role="alert">
				This server has no way to sign in configured: the operator sets AUTH_TOKEN, AUTH_TOKENS or OAuth
				(docs/security.md).
			</p>
		) : null}
	</Layout>
);

function view(setup: AuthSetup, next: string, extra: Partial<SignInView> = {}): SignInView {
	const problem = setup.errors.length
		? `Sign-in is not available: the server is misconfigured. ${setup.errors.join(' ')}`
		: undefined;
	return {
		...(setup.oauth && !problem ? { providerName: setup.oauth.providerName } : {}),
		takesTokens: !problem && setup.bearer !== undefined,
		next,
		...(problem ? { problem } : {}),
		...extra,
	};
}

export function signInPage(c: Context<WebEnv>): Promise<Response> {
	const next = safeNext(c.req.query('next'));
	return htmlPage(c, <SignInPage view={view(authSetup(c.env), next)} />);
}

/** POST /ui/signin: a pasted bearer token; a wrong one re-renders the form saying so. */
export async function signInWithToken(c: Context<WebEnv>): Promise<Response> {
	const setup = authSetup(c.env);
	const form = await c.req.parseBody();
	const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
	const token = typeof form.token === 'string' ? form.token.trim() : '';
	let error: string | undefined;
	let principal: Principal | undefined;
	if (!token) error = 'Enter your access token.';
	else if (token.length > MAX_TOKEN_LENGTH) error = `A token is at most ${MAX_TOKEN_LENGTH} characters.`;
	else if (setup.errors.length === 0) {
		principal = await principalForToken(setup, token);
		if (!principal) error = 'That token is not valid here. Check it and paste it again.';
	}
	if (!principal) return htmlPage(c, <SignInPage view={view(setup, next, error ? { error } : {})} />, 401);
	return startSession(c, principal, 'token', undefined, next);
}

function safeDecode(text: string): string | undefined {
	try {
		return decodeURIComponent(text);
	} catch {
		return undefined;
	}
}

/** GET /ui/signin/oauth: off to the upstream provider, this browser bound by the login cookie. */
export async function beginOAuthSignIn(c: Context<WebEnv>): Promise<Response> {
	const setup = authSetup(c.env);
	if (!setup.oauth || setup.errors.length) return signInPage(c);
	const login = await beginLogin(getDb(c.env), Date.now());
	const state = `${WEB_STATE_PREFIX}${login.state}.${encodeURIComponent(safeNext(c.req.query('next')))}`;
	try {
		const location = await authorizationUrl(setup.oauth, callbackUrl(c.req.url), state, login);
		return new Response(null, {
			status: 303,
			headers: {
				location,
				'cache-control': 'no-store',
				'set-cookie': cookie(loginCookieName(secureCookies(c)), login.state, secureCookies(c), LOGIN_TTL_MS / 1000),
			},
		});
	} catch (error) {
		if (!(error instanceof UpstreamError)) throw error;
		return htmlPage(c, <SignInPage view={view(setup, '/ui', { problem: error.message })} />, 502);
	}
}

/**
 * GET /callback with a web `state`: the provider sent the person back. The state must be live,
 * unused and this browser's; the code exchange and the allow-list are the MCP sign-in's.
 */
export async function finishOAuthSignIn(c: Context<WebEnv>): Promise<Response> {
	const setup = authSetup(c.env);
	const query = new URL(c.req.url).searchParams;
	const state = (query.get('state') ?? '').slice(WEB_STATE_PREFIX.length);
	const dot = state.indexOf('.');
	const secret = dot === -1 ? state : state.slice(0, dot);
	const next = safeNext(dot === -1 ? undefined : safeDecode(state.slice(dot + 1)));
	const secure = secureCookies(c);
	const fail = (problem: string, status: number) =>
		htmlPage(c, <SignInPage view={view(setup, next, { problem })} />, status, {
			'set-cookie': cookie(loginCookieName(secure), '', secure, 0),
		});
	if (!setup.oauth || setup.errors.length) return fail('OAuth sign-in is not enabled on this server.', 404);
	if (readCookie(c.req.raw, loginCookieName(secure)) !== secret) {
		return fail('This sign-in was started in another browser or has expired. Sign in again.', 400);
	}
	const login = await takeLogin(getDb(c.env), secret, Date.now());
	if (!login) return fail('This sign-in has expired or was already used. Sign in again.', 400);
	const code = query.get('code');
	if (query.get('error') || !code) return fail(`${setup.oauth.providerName} did not sign you in.`, 400);
	try {
		const identity = await identify(setup.oauth, callbackUrl(c.req.url), code, login);
		const admission = admit(setup.oauth, identity);
		if (!admission.ok) return fail(`Access denied: ${admission.error}`, 403);
		const principal = oauthPrincipal(
			{
				via: 'oauth',
				email: admission.value.email,
				name: identity.name ?? admission.value.email,
				...(identity.hostedDomain ? { hostedDomain: identity.hostedDomain } : {}),
			},
			setup,
		);
		if (!principal.ok) return fail(principal.error.message, principal.error.status);
		return startSession(c, principal.value, 'oauth', identity.hostedDomain, next, [
			cookie(loginCookieName(secure), '', secure, 0),
		]);
	} catch (error) {
		if (error instanceof UpstreamError) return fail(`Sign-in failed: ${error.message}`, 502);
		throw error;
	}
}
