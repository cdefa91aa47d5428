/**
 * The OAuth dance as an MCP client and a browser do it, against the real Worker entry point
 * (OAuth provider, KV, our sign-in pages), with the upstream OpenID Connect provider faked at
 * the HTTP boundary: its discovery document, token endpoint and userinfo endpoint answer as
 * Google's documented endpoints do, and it checks what a real one checks (client secret,
 * redirect URI, PKCE verifier, single-use codes).
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { createHandler } from '../../src/worker/entry';
import { jsonResponse, type RecordedRequest, stubFetch } from './fetch-stub';
import { recordingQueue } from './users';

export const ORIGIN = 'https://mcp.example.com';
export const CLIENT_REDIRECT = 'http://localhost:6274/oauth/callback';

export interface UpstreamUser {
	sub: string;
	email?: string;
	email_verified?: boolean;
	name?: string;
	hd?: string;
}

export interface FakeIdp {
	issuer: string;
	discoveryUrl: string;
	clientId: string;
	clientSecret: string;
	/** Who signs in next at the provider's login page. */
	user: UpstreamUser;
	calls: RecordedRequest[];
	/** The person signs in at the provider's page `location`; returns where it sends them back. */
	login: (location: string) => string;
}

function base64url(bytes: Uint8Array): string {
	return btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, '-')
		.replace(/\//g, '_')
		.replace(/=+$/, '');
}

export async function s256(verifier: string): Promise<string> {
	return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

function unsignedJwt(claims: Record<string, unknown>): string {
	const part = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
	return `${part({ alg: 'RS256', kid: 'fake' })}.${part(claims)}.${base64url(new Uint8Array(16))}`;
}

/** Stubs fetch with an OpenID Connect provider. `issuer` Google's makes the Worker treat it as Google. */
export function fakeIdp(options: { issuer?: string; user: UpstreamUser }): FakeIdp {
	const issuer = options.issuer ?? 'https://idp.example.net';
	const google = issuer === 'https://accounts.google.com';
	const endpoints = google
		? {
				authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
				token_endpoint: 'https://oauth2.googleapis.com/token',
				userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
			}
		: {
				authorization_endpoint: `${issuer}/authorize`,
				token_endpoint: `${issuer}/token`,
				userinfo_endpoint: `${issuer}/userinfo`,
			};
	const idp: FakeIdp = {
		login: (location) => login(location),
		issuer,
		discoveryUrl: `${issuer}/.well-known/openid-configuration`,
		clientId: 'client-123.apps.example',
		clientSecret: 'upstream-client-secret',
		user: options.user,
		calls: [],
	};
	const accessTokens = new Map<string, UpstreamUser>();
	const pendingCodes = new Map<string, { challenge: string; nonce: string; redirectUri: string; user: UpstreamUser }>();
	idp.calls = stubFetch(async (request) => {
		const url = new URL(request.url);
		if (url.href === idp.discoveryUrl) {
			return jsonResponse({
				issuer,
				...endpoints,
				response_types_supported: ['code'],
				code_challenge_methods_supported: ['S256'],
				id_token_signing_alg_values_supported: ['RS256'],
			});
		}
		if (url.href === endpoints.token_endpoint && request.method === 'POST') {
			const form = new URLSearchParams(await request.text());
			const issued = pendingCodes.get(form.get('code') ?? '');
			pendingCodes.delete(form.get('code') ?? '');
			if (form.get('client_id') !== idp.clientId || form.get('client_secret') !== idp.clientSecret) {
				return jsonResponse({ error: 'invalid_client' }, 401);
			}
			if (
				!issued ||
				form.get('grant_type') !== 'authorization_code' ||
				form.get('redirect_uri') !== issued.redirectUri ||
				(await s256(form.get('code_verifier') ?? '')) !== issued.challenge
			) {
				return jsonResponse({ error: 'invalid_grant' }, 400);
			}
			const accessToken = `ya29.${crypto.randomUUID()}`;
			accessTokens.set(accessToken, issued.user);
			return jsonResponse({
				access_token: accessToken,
				expires_in: 3599,
				token_type: 'Bearer',
				scope: 'openid https://www.googleapis.com/auth/userinfo.email',
				id_token: unsignedJwt({
					iss: issuer,
					aud: idp.clientId,
					azp: idp.clientId,
					sub: issued.user.sub,
					email: issued.user.email,
					email_verified: issued.user.email_verified,
					...(issued.user.hd ? { hd: issued.user.hd } : {}),
					nonce: issued.nonce,
					iat: Math.floor(Date.now() / 1000),
					exp: Math.floor(Date.now() / 1000) + 3600,
				}),
			});
		}
		if (url.href === endpoints.userinfo_endpoint) {
			const user = accessTokens.get((request.headers.get('authorization') ?? '').replace(/^Bearer /, ''));
			if (!user) return jsonResponse({ error: 'invalid_token' }, 401);
			return jsonResponse(user);
		}
		return new Response('not found', { status: 404 });
	});
	const login = (location: string) => {
		const url = new URL(location);
		expect(url.origin + url.pathname).toBe(endpoints.authorization_endpoint);
		const code = `code-${crypto.randomUUID()}`;
		pendingCodes.set(code, {
			challenge: url.searchParams.get('code_challenge') ?? '',
			nonce: url.searchParams.get('nonce') ?? '',
			redirectUri: url.searchParams.get('redirect_uri') ?? '',
			user: { ...idp.user },
		});
		const back = new URL(url.searchParams.get('redirect_uri') ?? '');
		back.searchParams.set('code', code);
		back.searchParams.set('state', url.searchParams.get('state') ?? '');
		return back.toString();
	};
	return idp;
}

/**
 * Worker settings for OAuth against this provider, on a deployed (not local) Worker. Jobs are
 * only recorded on a queue: these tests are about who may create them, not about running them.
 */
export function oauthEnv(idp: FakeIdp, overrides: Partial<Env> = {}): Env {
	return {
		...env,
		JOBS: recordingQueue().queue,
		LOCAL_DEV: '',
		OAUTH_CLIENT_ID: idp.clientId,
		OAUTH_CLIENT_SECRET: idp.clientSecret,
		OAUTH_DISCOVERY_URL: idp.discoveryUrl,
		OAUTH_ALLOWED_EMAILS: 'alice@example.com',
		OAUTH_ADMIN_EMAILS: 'root@example.com',
		...overrides,
	};
}

/** A browser: keeps cookies between the requests of one sign-in. */
export class Browser {
	private readonly cookies = new Map<string, string>();
	private readonly handler = createHandler();

	constructor(private readonly workerEnv: Env) {}

	async fetch(url: string, init: RequestInit = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		if (this.cookies.size)
			headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
		const response = await this.handler(
			new Request(url, { ...init, headers, redirect: 'manual' }),
			this.workerEnv,
			createExecutionContext(),
		);
		for (const cookie of response.headers.getSetCookie()) {
			const [pair] = cookie.split(';');
			const at = pair!.indexOf('=');
			const name = pair!.slice(0, at);
			const value = pair!.slice(at + 1);
			if (/max-age=0/i.test(cookie) || value === '') this.cookies.delete(name);
			else this.cookies.set(name, value);
		}
		return response;
	}

	forgetCookies() {
		this.cookies.clear();
	}
}

export interface ClientRegistration {
	clientId: string;
	verifier: string;
	challenge: string;
}

/** What an MCP client does first: register itself (RFC 7591) and make a PKCE pair. */
export async function registerClient(browser: Browser): Promise<ClientRegistration> {
	const response = await browser.fetch(`${ORIGIN}/register`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			client_name: 'Test MCP Client',
			redirect_uris: [CLIENT_REDIRECT],
			grant_types: ['authorization_code', 'refresh_token'],
			response_types: ['code'],
			token_endpoint_auth_method: 'none',
		}),
	});
	expect(response.status).toBe(201);
	const { client_id } = (await response.json()) as { client_id: string };
	const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
	return { clientId: client_id, verifier, challenge: await s256(verifier) };
}

export function authorizeUrl(client: ClientRegistration, state = 'client-state-1'): string {
	const url = new URL(`${ORIGIN}/authorize`);
	url.searchParams.set('response_type', 'code');
	url.searchParams.set('client_id', client.clientId);
	url.searchParams.set('redirect_uri', CLIENT_REDIRECT);
	url.searchParams.set('code_challenge', client.challenge);
	url.searchParams.set('code_challenge_method', 'S256');
	url.searchParams.set('state', state);
	url.searchParams.set('resource', ORIGIN);
	return url.toString();
}

/** The consent page's form handle. */
export async function consentHandle(response: Response): Promise<string> {
	expect(response.status).toBe(200);
	const html = await response.text();
	const handle = /name="handle" value="([^"]+)"/.exec(html)?.[1];
	expect(handle, html).toBeTruthy();
	return handle!;
}

export function approve(browser: Browser, handle: string, decision = 'approve'): Promise<Response> {
	return browser.fetch(`${ORIGIN}/authorize`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ handle, decision }).toString(),
	});
}

/** The MCP client trades the code for tokens at our token endpoint, with its PKCE verifier unless told otherwise. */
export async function exchangeCode(
	browser: Browser,
	client: ClientRegistration,
	code: string,
	{ verifier = client.verifier, resource = ORIGIN }: { verifier?: string; resource?: string } = {},
) {
	const response = await browser.fetch(`${ORIGIN}/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			code,
			redirect_uri: CLIENT_REDIRECT,
			client_id: client.clientId,
			code_verifier: verifier,
			resource,
		}).toString(),
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The whole flow for the provider's current user. Returns the callback response when the
 * Worker refuses the person there, or the access token the MCP client ends up with.
 */
export async function signIn(
	idp: FakeIdp,
	browser: Browser,
): Promise<
	{ ok: true; accessToken: string; refreshToken: string; clientId: string } | { ok: false; callback: Response }
> {
	const client = await registerClient(browser);
	const handle = await consentHandle(await browser.fetch(authorizeUrl(client)));
	const toIdp = await approve(browser, handle);
	expect(toIdp.status).toBe(302);
	const callback = await browser.fetch(idp.login(toIdp.headers.get('location')!));
	if (callback.status !== 302) return { ok: false, callback };
	const back = new URL(callback.headers.get('location')!);
	expect(back.origin + back.pathname).toBe(CLIENT_REDIRECT);
	expect(back.searchParams.get('state')).toBe('client-state-1');
	const token = await exchangeCode(browser, client, back.searchParams.get('code')!);
	expect(token.status).toBe(200);
	return {
		ok: true,
		accessToken: token.body.access_token as string,
		refreshToken: token.body.refresh_token as string,
		clientId: client.clientId,
	};
}

/** A sign-in the server refuses at the callback: its status and page text (fails the test if it succeeds). */
export async function refusedSignIn(idp: FakeIdp, browser: Browser): Promise<{ status: number; text: string }> {
	const outcome = await signIn(idp, browser);
	expect(outcome.ok).toBe(false);
	if (outcome.ok) throw new Error('sign-in was expected to be refused');
	return { status: outcome.callback.status, text: await outcome.callback.text() };
}

/** JSON-RPC over POST /mcp through the full entry point (OAuth provider included). */
export async function mcpCall(workerEnv: Env, token: string | undefined, method: string, params?: unknown) {
	const response = await createHandler()(
		new Request(`${ORIGIN}/mcp`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				accept: 'application/json, text/event-stream',
				...(token ? { authorization: `Bearer ${token}` } : {}),
			},
			body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) }),
		}),
		workerEnv,
		createExecutionContext(),
	);
	return response;
}
