/**
 * OAuth end to end, as an MCP client that logs in meets it: a real `wrangler dev` with OAuth
 * configured against a fake OpenID Connect provider on 127.0.0.1, and the official SDK client
 * with an OAuthClientProvider. The client discovers the server from its 401, registers itself,
 * sends the person (a scripted browser with a cookie jar) through our approval page and the
 * provider's sign-in, exchanges the code with PKCE, and then calls tools with the token.
 */

import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
	OAuthClientInformationMixed,
	OAuthClientMetadata,
	OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { type FakeOidc, startFakeOidc } from './fake-oidc';
import { callTool, EXPECTED_TOOLS, printServerLogsOnFailure, UUID_PATTERN } from './helpers';

const CLIENT_REDIRECT = 'http://localhost:33418/oauth/callback';

let idp: FakeOidc;
let server: DevServer;

beforeAll(async () => {
	idp = await startFakeOidc({ sub: '42', email: 'alice@example.com', email_verified: true, name: 'Alice' });
	server = await startDevServer({
		vars: {
			OAUTH_CLIENT_ID: idp.clientId,
			OAUTH_CLIENT_SECRET: idp.clientSecret,
			OAUTH_DISCOVERY_URL: idp.discoveryUrl,
			OAUTH_ALLOWED_EMAILS: 'alice@example.com',
		},
	});
});

afterAll(async () => {
	await Promise.all([server?.stop(), idp?.close()]);
});

printServerLogsOnFailure(() => [server]);

/** What an MCP client keeps between runs, in memory; it sends the person to `authorizationUrl`. */
class MemoryOAuthClient implements OAuthClientProvider {
	client?: OAuthClientInformationMixed;
	saved?: OAuthTokens;
	verifier = '';
	authorizationUrl?: URL;

	get redirectUrl() {
		return CLIENT_REDIRECT;
	}
	get clientMetadata(): OAuthClientMetadata {
		return {
			client_name: 'image-mcp e2e client',
			redirect_uris: [CLIENT_REDIRECT],
			grant_types: ['authorization_code', 'refresh_token'],
			response_types: ['code'],
			token_endpoint_auth_method: 'none',
		};
	}
	clientInformation() {
		return this.client;
	}
	saveClientInformation(info: OAuthClientInformationMixed) {
		this.client = info;
	}
	tokens() {
		return this.saved;
	}
	saveTokens(tokens: OAuthTokens) {
		this.saved = tokens;
	}
	redirectToAuthorization(url: URL) {
		this.authorizationUrl = url;
	}
	saveCodeVerifier(verifier: string) {
		this.verifier = verifier;
	}
	codeVerifier() {
		return this.verifier;
	}
}

/** A browser: follows redirects by hand, keeping cookies, until it leaves for the client's redirect URI. */
async function browse(start: URL): Promise<{ final: Response; url: string; pages: string[] }> {
	const cookies = new Map<string, string>();
	const pages: string[] = [];
	let url = start.toString();
	let init: RequestInit = {};
	for (let hop = 0; hop < 10; hop++) {
		if (url.startsWith(CLIENT_REDIRECT)) return { final: new Response(null, { status: 302 }), url, pages };
		const headers = new Headers(init.headers);
		if (cookies.size) headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
		const response = await fetch(url, { ...init, headers, redirect: 'manual' });
		for (const cookie of response.headers.getSetCookie()) {
			const [pair] = cookie.split(';');
			const at = pair!.indexOf('=');
			cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
		}
		pages.push(`${response.status} ${new URL(url).pathname}`);
		const location = response.headers.get('location');
		if (response.status === 302 && location) {
			url = new URL(location, url).toString();
			init = {};
			continue;
		}
		const html = await response.text();
		const handle = /name="handle" value="([^"]+)"/.exec(html)?.[1];
		if (response.status !== 200 || !handle) return { final: new Response(html, response), url, pages };
		// The approval page: the person clicks "Allow and sign in".
		init = {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ handle, decision: 'approve' }).toString(),
		};
	}
	throw new Error(`too many redirects: ${pages.join(' → ')}`);
}

async function signedInClient(provider: MemoryOAuthClient): Promise<{ client: Client; pages: string[] }> {
	const mcpUrl = new URL(`${server.url}/mcp`);
	const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
	const client = new Client({ name: 'image-mcp-e2e-oauth', version: '1.0.0' });
	await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
	expect(provider.authorizationUrl?.toString()).toContain(`${server.url}/authorize?`);
	const { url, pages } = await browse(provider.authorizationUrl!);
	const code = new URL(url).searchParams.get('code');
	expect(code, pages.join(' → ')).toBeTruthy();
	await first.finishAuth(code!);
	const second = new Client({ name: 'image-mcp-e2e-oauth', version: '1.0.0' });
	await second.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
	return { client: second, pages };
}

describe('OAuth with the official SDK client on a real wrangler dev', () => {
	it('discovers, registers, signs in through the provider and calls tools as the signed-in person', async () => {
		const provider = new MemoryOAuthClient();
		const { client, pages } = await signedInClient(provider);
		try {
			// Approval page, approval, provider, our callback, back to the client.
			expect(pages).toEqual(['200 /authorize', '302 /authorize', '302 /authorize', '302 /callback']);
			expect(idp.requests).toEqual(
				expect.arrayContaining(['GET /.well-known/openid-configuration', 'POST /token', 'GET /userinfo']),
			);
			expect(provider.client?.client_id).toBeTruthy();
			expect(provider.saved?.access_token).toBeTruthy();
			expect(provider.saved?.refresh_token).toBeTruthy();

			expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([...EXPECTED_TOOLS]);
			const made = await callTool(client, 'generate_image_and_wait', { prompt: 'a lantern', model: 'offline' });
			const job = made.structuredContent as { job_id: string; status: string };
			expect(job.job_id).toMatch(UUID_PATTERN);
			expect(job.status).toBe('completed');
			const usage = await callTool(client, 'get_usage', {});
			expect((usage.structuredContent as { user: string }).user).toBe('alice@example.com');
		} finally {
			await client.close();
		}
	});

	it('refuses a person who is not on the allow-list at the callback, and issues no token', async () => {
		idp.user = { sub: '43', email: 'mallory@example.com', email_verified: true, name: 'Mallory' };
		try {
			const provider = new MemoryOAuthClient();
			const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider });
			await expect(
				new Client({ name: 'image-mcp-e2e-oauth', version: '1.0.0' }).connect(transport),
			).rejects.toBeInstanceOf(UnauthorizedError);
			const { final, pages } = await browse(provider.authorizationUrl!);
			expect(pages.at(-1)).toBe('403 /callback');
			expect(await final.text()).toContain('mallory@example.com is not on this server&#39;s list of allowed emails');
			expect(provider.saved).toBeUndefined();
		} finally {
			idp.user = { sub: '42', email: 'alice@example.com', email_verified: true, name: 'Alice' };
		}
	});
});
