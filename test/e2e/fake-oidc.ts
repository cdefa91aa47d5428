/**
 * An OpenID Connect provider on 127.0.0.1 for the e2e OAuth test: discovery, an authorize
 * endpoint where the current user "signs in" at once (it redirects straight back with a code),
 * the token endpoint (client secret, redirect URI, PKCE S256, single-use codes) and userinfo.
 * The shapes are Google's documented ones; the ID token is unsigned, which the Worker accepts
 * because it comes straight from the token endpoint (docs/security.md).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcUser {
	sub: string;
	email: string;
	email_verified: boolean;
	name: string;
}

export interface FakeOidc {
	discoveryUrl: string;
	clientId: string;
	clientSecret: string;
	/** Who signs in at the next authorize request. */
	user: OidcUser;
	/** Requests the provider received, as `METHOD /path`. */
	requests: string[];
	close: () => Promise<void>;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function readBody(request: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		let body = '';
		request.on('data', (chunk) => {
			body += chunk;
		});
		request.on('end', () => resolve(body));
		request.on('error', reject);
	});
}

function json(response: ServerResponse, status: number, body: unknown) {
	response.writeHead(status, { 'content-type': 'application/json' });
	response.end(JSON.stringify(body));
}

export async function startFakeOidc(user: OidcUser): Promise<FakeOidc> {
	const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string; user: OidcUser }>();
	const accessTokens = new Map<string, OidcUser>();
	let issuer = '';
	const fake: FakeOidc = {
		discoveryUrl: '',
		clientId: 'e2e-client.apps.example',
		clientSecret: 'e2e-client-secret',
		user,
		requests: [],
		close: async () => {},
	};

	const server = createServer(async (request, response) => {
		const url = new URL(request.url ?? '/', issuer);
		fake.requests.push(`${request.method} ${url.pathname}`);
		if (url.pathname === '/.well-known/openid-configuration') {
			return json(response, 200, {
				issuer,
				authorization_endpoint: `${issuer}/authorize`,
				token_endpoint: `${issuer}/token`,
				userinfo_endpoint: `${issuer}/userinfo`,
				response_types_supported: ['code'],
				code_challenge_methods_supported: ['S256'],
			});
		}
		if (url.pathname === '/authorize') {
			const redirectUri = url.searchParams.get('redirect_uri') ?? '';
			if (url.searchParams.get('client_id') !== fake.clientId || !redirectUri) {
				return json(response, 400, { error: 'invalid_request' });
			}
			const code = randomUUID();
			codes.set(code, {
				challenge: url.searchParams.get('code_challenge') ?? '',
				nonce: url.searchParams.get('nonce') ?? '',
				redirectUri,
				user: { ...fake.user },
			});
			const back = new URL(redirectUri);
			back.searchParams.set('code', code);
			back.searchParams.set('state', url.searchParams.get('state') ?? '');
			response.writeHead(302, { location: back.toString() });
			return response.end();
		}
		if (url.pathname === '/token' && request.method === 'POST') {
			const form = new URLSearchParams(await readBody(request));
			const issued = codes.get(form.get('code') ?? '');
			codes.delete(form.get('code') ?? '');
			if (form.get('client_id') !== fake.clientId || form.get('client_secret') !== fake.clientSecret) {
				return json(response, 401, { error: 'invalid_client' });
			}
			const verifier = form.get('code_verifier') ?? '';
			if (
				!issued ||
				form.get('redirect_uri') !== issued.redirectUri ||
				base64url(createHash('sha256').update(verifier).digest()) !== issued.challenge
			) {
				return json(response, 400, { error: 'invalid_grant' });
			}
			const accessToken = `at-${randomUUID()}`;
			accessTokens.set(accessToken, issued.user);
			const now = Math.floor(Date.now() / 1000);
			const claims = {
				iss: issuer,
				aud: fake.clientId,
				sub: issued.user.sub,
				email: issued.user.email,
				email_verified: issued.user.email_verified,
				nonce: issued.nonce,
				iat: now,
				exp: now + 3600,
			};
			return json(response, 200, {
				access_token: accessToken,
				token_type: 'Bearer',
				expires_in: 3599,
				id_token: `${base64url(JSON.stringify({ alg: 'RS256' }))}.${base64url(JSON.stringify(claims))}.${base64url('sig')}`,
			});
		}
		if (url.pathname === '/userinfo') {
			const found = accessTokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
			return found ? json(response, 200, found) : json(response, 401, { error: 'invalid_token' });
		}
		json(response, 404, { error: 'not_found' });
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	fake.discoveryUrl = `${issuer}/.well-known/openid-configuration`;
	fake.close = () => new Promise((resolve) => server.close(() => resolve()));
	return fake;
}
