/**
 * The upstream OpenID Connect provider: discovery, the authorization redirect (code flow
 * with PKCE and a nonce), the code exchange and the userinfo read. The ID token arrives
 * straight from the token endpoint over TLS, so its claims are read without verifying a
 * signature (OpenID Connect Core §3.1.3.7), but its issuer, audience and nonce must match.
 */
import { sha256 } from '../tokens';
import { isSecureOrLoopback, type OAuthSettings, type UpstreamIdentity } from './settings';

interface Discovery {
	issuer: string;
	authorization_endpoint: string;
	token_endpoint: string;
	userinfo_endpoint: string;
}

/** The upstream did something we cannot go on from; the message is safe to show. */
export class UpstreamError extends Error {}

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const UPSTREAM_TIMEOUT_MS = 10_000;
const discoveries = new Map<string, { doc: Discovery; expires: number }>();

function secureUrl(value: unknown): value is string {
	try {
		return typeof value === 'string' && isSecureOrLoopback(new URL(value));
	} catch {
		return false;
	}
}

async function fetchJson(what: string, input: string, init?: RequestInit): Promise<Record<string, unknown>> {
	let response: Response;
	try {
		response = await fetch(input, { ...init, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
	} catch {
		throw new UpstreamError(`Could not reach the sign-in provider (${what}). Try again in a moment.`);
	}
	const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
	if (!response.ok || typeof body !== 'object' || body === null) {
		const detail = typeof body?.error === 'string' ? ` (${body.error})` : '';
		throw new UpstreamError(`The sign-in provider refused the ${what}: HTTP ${response.status}${detail}.`);
	}
	return body;
}

export async function discover(settings: OAuthSettings, now = Date.now()): Promise<Discovery> {
	const cached = discoveries.get(settings.discoveryUrl);
	if (cached && cached.expires > now) return cached.doc;
	const doc = await fetchJson('discovery document', settings.discoveryUrl, { headers: { accept: 'application/json' } });
	for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint'] as const) {
		if (!secureUrl(doc[field])) {
			throw new UpstreamError(`The provider's discovery document has no https ${field}; check OAUTH_DISCOVERY_URL.`);
		}
	}
	if (typeof doc.issuer !== 'string') throw new UpstreamError("The provider's discovery document names no issuer.");
	const discovery = doc as unknown as Discovery;
	discoveries.set(settings.discoveryUrl, { doc: discovery, expires: now + DISCOVERY_TTL_MS });
	return discovery;
}

function base64url(bytes: Uint8Array): string {
	let binary = '';
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomSecret(): string {
	return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(verifier: string): Promise<string> {
	return base64url(await sha256(verifier));
}

/** What the callback needs back; kept server-side by the OAuth library, never sent upstream. */
export interface UpstreamSecrets {
	verifier: string;
	nonce: string;
}

export async function authorizationUrl(
	settings: OAuthSettings,
	callbackUrl: string,
	state: string,
	secrets: UpstreamSecrets,
): Promise<string> {
	const discovery = await discover(settings);
	const url = new URL(discovery.authorization_endpoint);
	url.searchParams.set('client_id', settings.clientId);
	url.searchParams.set('redirect_uri', callbackUrl);
	url.searchParams.set('response_type', 'code');
	url.searchParams.set('scope', 'openid email profile');
	url.searchParams.set('state', state);
	url.searchParams.set('nonce', secrets.nonce);
	url.searchParams.set('code_challenge', await s256(secrets.verifier));
	url.searchParams.set('code_challenge_method', 'S256');
	// Google: a hint that narrows the account chooser; the callback still checks the claim.
	if (settings.isGoogle && settings.hostedDomain) url.searchParams.set('hd', settings.hostedDomain);
	if (settings.isGoogle) url.searchParams.set('prompt', 'select_account');
	return url.toString();
}

function idTokenClaims(idToken: unknown): Record<string, unknown> {
	if (typeof idToken !== 'string') throw new UpstreamError('The sign-in provider returned no ID token.');
	const payload = idToken.split('.')[1];
	try {
		const json = atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/'));
		const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (char) => char.charCodeAt(0))));
		if (typeof claims === 'object' && claims !== null) return claims as Record<string, unknown>;
	} catch {}
	throw new UpstreamError('The sign-in provider returned an ID token that cannot be read.');
}

const isTrue = (value: unknown) => value === true || value === 'true';

/** Exchanges the code and reads who signed in. Throws UpstreamError when anything does not match. */
export async function identify(
	settings: OAuthSettings,
	callbackUrl: string,
	code: string,
	secrets: UpstreamSecrets,
	now = Date.now(),
): Promise<UpstreamIdentity> {
	const discovery = await discover(settings);
	const tokens = await fetchJson('code exchange', discovery.token_endpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			code,
			redirect_uri: callbackUrl,
			client_id: settings.clientId,
			client_secret: settings.clientSecret,
			code_verifier: secrets.verifier,
		}),
	});
	if (typeof tokens.access_token !== 'string')
		throw new UpstreamError('The sign-in provider returned no access token.');
	const claims = idTokenClaims(tokens.id_token);
	const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
	if (claims.iss !== discovery.issuer || !audiences.includes(settings.clientId)) {
		throw new UpstreamError('The ID token was not issued by the configured provider for this server.');
	}
	if (claims.nonce !== secrets.nonce) throw new UpstreamError('The ID token does not belong to this sign-in.');
	if (typeof claims.exp === 'number' && claims.exp * 1000 < now) throw new UpstreamError('The ID token has expired.');

	const userinfo = await fetchJson('profile request', discovery.userinfo_endpoint, {
		headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
	});
	if (userinfo.sub !== claims.sub)
		throw new UpstreamError('The profile does not belong to the account that signed in.');
	// The email and whether it is verified come from the same place: userinfo, or else the ID token.
	const source = typeof userinfo.email === 'string' ? userinfo : claims;
	return {
		email: typeof source.email === 'string' ? source.email : undefined,
		emailVerified: isTrue(source.email_verified),
		hostedDomain: typeof claims.hd === 'string' ? claims.hd : typeof userinfo.hd === 'string' ? userinfo.hd : undefined,
		name: typeof userinfo.name === 'string' ? userinfo.name : typeof claims.name === 'string' ? claims.name : undefined,
	};
}
