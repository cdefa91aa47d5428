/**
 * OAuth end to end in workerd: an MCP client registers, the person approves it, signs in at
 * a fake OpenID Connect provider (faked at the HTTP boundary), and the client's token then
 * works on /mcp, scoped to that person. Every refusal the sign-in must make is pinned.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../src/worker/entry';
import {
	approve,
	authorizeUrl,
	Browser,
	CLIENT_REDIRECT,
	consentHandle,
	exchangeCode,
	fakeIdp,
	mcpCall,
	ORIGIN,
	oauthEnv,
	refusedSignIn,
	registerClient,
	signIn,
} from './helpers/oauth-flow';
import { SseReader } from './helpers/sse';
import { sha256Hex } from './helpers/users';

const alice = { sub: '1001', email: 'alice@example.com', email_verified: true, name: 'Alice Example' };

async function rpcResult(response: Response) {
	const body = (await response.json()) as { result?: Record<string, unknown>; error?: { message: string } };
	return body;
}

describe('OAuth discovery', () => {
	it('answers an unauthenticated MCP request with a challenge that leads to the metadata', async () => {
		const idp = fakeIdp({ user: alice });
		const response = await mcpCall(oauthEnv(idp), undefined, 'tools/list');
		expect(response.status).toBe(401);
		const challenge = response.headers.get('www-authenticate') ?? '';
		expect(challenge).toContain(`resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource"`);
		// curl users get a sentence, not an empty body.
		expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/sign in with OAuth/);

		const browser = new Browser(oauthEnv(idp));
		const resource = (await (await browser.fetch(`${ORIGIN}/.well-known/oauth-protected-resource`)).json()) as Record<
			string,
			unknown
		>;
		expect(resource.resource).toBe(ORIGIN);
		expect(resource.authorization_servers).toEqual([ORIGIN]);
		const server = (await (await browser.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json()) as Record<
			string,
			unknown
		>;
		expect(server).toMatchObject({
			issuer: ORIGIN,
			authorization_endpoint: `${ORIGIN}/authorize`,
			token_endpoint: `${ORIGIN}/token`,
			registration_endpoint: `${ORIGIN}/register`,
			code_challenge_methods_supported: ['S256'],
		});
	});
});

describe('OAuth sign-in', () => {
	it('runs the whole flow, and the issued token calls tools as the signed-in person', async () => {
		const idp = fakeIdp({ user: alice });
		const workerEnv = oauthEnv(idp);
		const browser = new Browser(workerEnv);
		const client = await registerClient(browser);

		const consent = await browser.fetch(authorizeUrl(client));
		expect(consent.headers.get('x-frame-options')).toBe('DENY');
		const handle = await consentHandle(consent);

		const toIdp = await approve(browser, handle);
		expect(toIdp.status).toBe(302);
		const upstream = new URL(toIdp.headers.get('location')!);
		expect(upstream.origin).toBe(idp.issuer);
		expect(Object.fromEntries(upstream.searchParams)).toMatchObject({
			client_id: idp.clientId,
			redirect_uri: `${ORIGIN}/callback`,
			response_type: 'code',
			scope: 'openid email profile',
			code_challenge_method: 'S256',
		});
		expect(upstream.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
		expect(upstream.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);

		const callback = await browser.fetch(idp.login(upstream.toString()));
		expect(callback.status).toBe(302);
		const back = new URL(callback.headers.get('location')!);
		expect(`${back.origin}${back.pathname}`).toBe(CLIENT_REDIRECT);
		expect(back.searchParams.get('state')).toBe('client-state-1');
		// The upstream saw the PKCE verifier and our client secret (the fake checks both).
		const tokenCall = idp.calls.find((call) => call.url.endsWith('/token'));
		expect(new URLSearchParams(tokenCall!.text).get('code_verifier')).toMatch(/^[\w-]{43}$/);

		const code = back.searchParams.get('code')!;
		const token = await exchangeCode(browser, client, code);
		expect(token.status).toBe(200);
		const { access_token, token_type } = token.body as { access_token: string; token_type: string };
		expect(token_type.toLowerCase()).toBe('bearer');

		const created = await rpcResult(
			await mcpCall(workerEnv, access_token, 'tools/call', {
				name: 'generate_image',
				arguments: { prompt: 'a lighthouse', model: 'offline' },
			}),
		);
		const job = created.result?.structuredContent as { job_id: string };
		expect(job.job_id).toMatch(/^[0-9a-f-]{36}$/);
		const listed = await rpcResult(
			await mcpCall(workerEnv, access_token, 'tools/call', { name: 'list_jobs', arguments: {} }),
		);
		const jobs = (listed.result!.structuredContent as { jobs: { job_id: string }[] }).jobs;
		expect(jobs.map((item) => item.job_id)).toEqual([job.job_id]);

		// The jobs are Alice's: the same owner id a bearer token with id alice@example.com has.
		const row = await workerEnv.DB.prepare('SELECT owner FROM jobs WHERE id = ?').bind(job.job_id).first();
		expect(row?.owner).toBe('alice@example.com');

		// The code is single use, and replaying it revokes what it gave (OAuth 2.1 §4.1.3).
		const again = await exchangeCode(browser, client, code);
		expect(again.status).toBe(400);
		expect((await mcpCall(workerEnv, access_token, 'tools/list')).status).toBe(401);
	});

	it('accepts a client that names the MCP endpoint, not the origin, as the resource', async () => {
		const idp = fakeIdp({ user: alice });
		const workerEnv = oauthEnv(idp);
		const browser = new Browser(workerEnv);
		const client = await registerClient(browser);
		const authorize = new URL(authorizeUrl(client));
		authorize.searchParams.set('resource', `${ORIGIN}/mcp`);
		const toIdp = await approve(browser, await consentHandle(await browser.fetch(authorize.toString())));
		const callback = await browser.fetch(idp.login(toIdp.headers.get('location')!));
		const code = new URL(callback.headers.get('location')!).searchParams.get('code')!;
		const token = await exchangeCode(browser, client, code, { resource: `${ORIGIN}/mcp` });
		expect(token.status).toBe(200);
		const access_token = token.body.access_token as string;
		expect((await mcpCall(workerEnv, access_token, 'tools/list')).status).toBe(200);
		// Another server's URL is still refused.
		authorize.searchParams.set('resource', 'https://elsewhere.example/mcp');
		const refused = await browser.fetch(authorize.toString());
		expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_target');
	});

	it('refuses a PKCE verifier that does not match', async () => {
		const idp = fakeIdp({ user: alice });
		const browser = new Browser(oauthEnv(idp));
		const client = await registerClient(browser);
		const toIdp = await approve(browser, await consentHandle(await browser.fetch(authorizeUrl(client))));
		const callback = await browser.fetch(idp.login(toIdp.headers.get('location')!));
		const code = new URL(callback.headers.get('location')!).searchParams.get('code')!;
		const wrong = await exchangeCode(browser, client, code, { verifier: 'x'.repeat(43) });
		expect(wrong.status).toBe(400);
		expect(wrong.body.error).toBe('invalid_grant');
	});

	it('sends the client access_denied when the person clicks Deny, without visiting the provider', async () => {
		const idp = fakeIdp({ user: alice });
		const browser = new Browser(oauthEnv(idp));
		const client = await registerClient(browser);
		const denied = await approve(browser, await consentHandle(await browser.fetch(authorizeUrl(client))), 'deny');
		expect(denied.status).toBe(302);
		const back = new URL(denied.headers.get('location')!);
		expect(`${back.origin}${back.pathname}`).toBe(CLIENT_REDIRECT);
		expect(back.searchParams.get('error')).toBe('access_denied');
		expect(idp.calls).toHaveLength(0);
	});

	it('refuses an approval posted without the browser cookie (a forged consent form)', async () => {
		const idp = fakeIdp({ user: alice });
		const browser = new Browser(oauthEnv(idp));
		const client = await registerClient(browser);
		const handle = await consentHandle(await browser.fetch(authorizeUrl(client)));
		browser.forgetCookies();
		const forged = await approve(browser, handle);
		expect(forged.status).toBe(400);
		expect(await forged.text()).toMatch(/connect again/);
	});

	it('refuses a tampered state, and a callback opened in another browser', async () => {
		const idp = fakeIdp({ user: alice });
		const browser = new Browser(oauthEnv(idp));
		const client = await registerClient(browser);
		const toIdp = await approve(browser, await consentHandle(await browser.fetch(authorizeUrl(client))));
		const back = new URL(idp.login(toIdp.headers.get('location')!));

		const tampered = new URL(back);
		tampered.searchParams.set('state', `${back.searchParams.get('state')}x`);
		const refused = await browser.fetch(tampered.toString());
		expect(refused.status).toBe(400);

		const elsewhere = new Browser(oauthEnv(idp));
		const stolen = await elsewhere.fetch(back.toString());
		expect(stolen.status).toBe(400);
		// Neither reached the provider's token endpoint.
		expect(idp.calls.some((call) => call.url.endsWith('/token'))).toBe(false);
	});

	it('sends the client access_denied when the person declines at the provider', async () => {
		const idp = fakeIdp({ user: alice });
		const browser = new Browser(oauthEnv(idp));
		const client = await registerClient(browser);
		const toIdp = await approve(browser, await consentHandle(await browser.fetch(authorizeUrl(client))));
		const back = new URL(`${ORIGIN}/callback`);
		back.searchParams.set('error', 'access_denied');
		back.searchParams.set('state', new URL(toIdp.headers.get('location')!).searchParams.get('state')!);
		const declined = await browser.fetch(back.toString());
		expect(declined.status).toBe(302);
		const toClient = new URL(declined.headers.get('location')!);
		expect(`${toClient.origin}${toClient.pathname}`).toBe(CLIENT_REDIRECT);
		expect(toClient.searchParams.get('error')).toBe('access_denied');
		expect(toClient.searchParams.get('state')).toBe('client-state-1');
	});

	it('shows a sign-in failure, not a stack trace, when the provider refuses the code exchange', async () => {
		const idp = fakeIdp({ user: alice });
		const refused = await refusedSignIn(idp, new Browser(oauthEnv(idp, { OAUTH_CLIENT_SECRET: 'a-stale-secret' })));
		expect(refused.status).toBe(502);
		expect(refused.text).toContain('The sign-in provider refused the code exchange: HTTP 401 (invalid_client).');
	});

	it('refuses an unverified email', async () => {
		const idp = fakeIdp({ user: { ...alice, email_verified: false } });
		const refused = await refusedSignIn(idp, new Browser(oauthEnv(idp)));
		expect(refused.status).toBe(403);
		expect(refused.text).toContain('the email alice@example.com is not verified');
	});

	it('refuses an email that is not on the allow-list', async () => {
		const idp = fakeIdp({ user: { sub: '2002', email: 'mallory@example.com', email_verified: true } });
		const refused = await refusedSignIn(idp, new Browser(oauthEnv(idp)));
		expect(refused.status).toBe(403);
		expect(refused.text).toContain('mallory@example.com is not on this server&#39;s list of allowed');
	});

	describe('Google hosted domain, checked on the hd claim', () => {
		const google = 'https://accounts.google.com';
		const domainEnv = (idp: ReturnType<typeof fakeIdp>) =>
			oauthEnv(idp, { OAUTH_ALLOWED_EMAILS: '', OAUTH_ADMIN_EMAILS: '', OAUTH_HOSTED_DOMAIN: 'example.com' });

		it('admits a Workspace account of the domain and hints the domain to Google', async () => {
			const idp = fakeIdp({ issuer: google, user: { ...alice, email: 'bob@example.com', hd: 'example.com' } });
			const browser = new Browser(domainEnv(idp));
			const client = await registerClient(browser);
			const toIdp = await approve(browser, await consentHandle(await browser.fetch(authorizeUrl(client))));
			expect(new URL(toIdp.headers.get('location')!).searchParams.get('hd')).toBe('example.com');
			const callback = await browser.fetch(idp.login(toIdp.headers.get('location')!));
			expect(callback.status).toBe(302);
		});

		it('refuses a personal Google account that uses an address at the domain (no hd claim)', async () => {
			const idp = fakeIdp({ issuer: google, user: { ...alice, email: 'carol@example.com' } });
			const refused = await refusedSignIn(idp, new Browser(domainEnv(idp)));
			expect(refused.status).toBe(403);
			expect(refused.text).toContain('carol@example.com is not a Workspace account');
		});

		it('refuses a Workspace account of another domain', async () => {
			const idp = fakeIdp({ issuer: google, user: { ...alice, email: 'dave@other.org', hd: 'other.org' } });
			const refused = await refusedSignIn(idp, new Browser(domainEnv(idp)));
			expect(refused.text).toContain('dave@other.org is in other.org');
		});
	});
});

describe('OAuth tokens after sign-in', () => {
	it('stop working at once when the email is taken off the allow-list', async () => {
		const idp = fakeIdp({ user: alice });
		const outcome = await signIn(idp, new Browser(oauthEnv(idp)));
		if (!outcome.ok) throw new Error('sign-in failed');
		const allowed = await mcpCall(oauthEnv(idp), outcome.accessToken, 'tools/list');
		expect(allowed.status).toBe(200);
		const removed = await mcpCall(
			oauthEnv(idp, { OAUTH_ALLOWED_EMAILS: 'someone-else@example.com' }),
			outcome.accessToken,
			'tools/list',
		);
		expect(removed.status).toBe(403);
		expect(((await removed.json()) as { error: { message: string } }).error.message).toContain(
			'alice@example.com is not on this server',
		);
	});

	it('are refreshed with the refresh token, and the new one works', async () => {
		const idp = fakeIdp({ user: alice });
		const workerEnv = oauthEnv(idp);
		const browser = new Browser(workerEnv);
		const outcome = await signIn(idp, browser);
		if (!outcome.ok) throw new Error('sign-in failed');
		const refreshed = await browser.fetch(`${ORIGIN}/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'refresh_token',
				refresh_token: outcome.refreshToken,
				client_id: outcome.clientId,
			}).toString(),
		});
		expect(refreshed.status).toBe(200);
		const { access_token } = (await refreshed.json()) as { access_token: string };
		expect(access_token).not.toBe(outcome.accessToken);
		expect((await mcpCall(workerEnv, access_token, 'tools/list')).status).toBe(200);
	});

	it('are refused when unknown or tampered with', async () => {
		const idp = fakeIdp({ user: alice });
		const outcome = await signIn(idp, new Browser(oauthEnv(idp)));
		if (!outcome.ok) throw new Error('sign-in failed');
		const tampered = `${outcome.accessToken.slice(0, -2)}xx`;
		const response = await mcpCall(oauthEnv(idp), tampered, 'tools/list');
		expect(response.status).toBe(401);
		expect(response.headers.get('www-authenticate')).toContain('invalid_token');
	});

	it('work side by side with AUTH_TOKENS bearer tokens', async () => {
		const idp = fakeIdp({ user: alice });
		const workerEnv = oauthEnv(idp, {
			AUTH_TOKENS: JSON.stringify([{ id: 'bob', sha256: await sha256Hex('bob-token') }]),
		});
		const bearer = await mcpCall(workerEnv, 'bob-token', 'tools/list');
		expect(bearer.status).toBe(200);
		const outcome = await signIn(idp, new Browser(workerEnv));
		if (!outcome.ok) throw new Error('sign-in failed');
		expect((await mcpCall(workerEnv, outcome.accessToken, 'tools/list')).status).toBe(200);
		expect((await mcpCall(workerEnv, 'not-a-token', 'tools/list')).status).toBe(401);
	});

	it('open a legacy SSE stream and post to it, as the Inspector in SSE mode does', async () => {
		const idp = fakeIdp({ user: alice });
		const workerEnv = oauthEnv(idp);
		const outcome = await signIn(idp, new Browser(workerEnv));
		if (!outcome.ok) throw new Error('sign-in failed');
		const handler = createHandler();
		const authorization = `Bearer ${outcome.accessToken}`;
		const streamCtx = createExecutionContext();
		const stream = await handler(
			new Request(`${ORIGIN}/sse`, { headers: { accept: 'text/event-stream', authorization } }),
			workerEnv,
			streamCtx,
		);
		expect(stream.status).toBe(200);
		const reader = new SseReader(stream);
		const endpoint = await reader.next();
		expect(endpoint.event).toBe('endpoint');
		const posted = await handler(
			new Request(new URL(endpoint.data, ORIGIN), {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization },
				body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
			}),
			workerEnv,
			createExecutionContext(),
		);
		expect(posted.status).toBe(202);
		const answer = await reader.next();
		expect(JSON.parse(answer.data)).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
		await reader.close();
		await waitOnExecutionContext(streamCtx);
		// The stream's own loop notices the disconnect and closes the session; wait for it.
		const openSessions = () =>
			workerEnv.DB.prepare('SELECT count(*) AS n FROM sse_sessions WHERE owner = ?')
				.bind('alice@example.com')
				.first('n');
		for (let i = 0; i < 100 && (await openSessions()) !== 0; i++) await new Promise((done) => setTimeout(done, 20));
		expect(await openSessions()).toBe(0);
	});

	it('carry the role from OAUTH_ADMIN_EMAILS: an admin may list everyone, a user may not', async () => {
		const idp = fakeIdp({ user: { sub: '9', email: 'Root@Example.com', email_verified: true, name: 'Root' } });
		const workerEnv = oauthEnv(idp);
		const admin = await signIn(idp, new Browser(workerEnv));
		idp.user = alice;
		const user = await signIn(idp, new Browser(workerEnv));
		if (!admin.ok || !user.ok) throw new Error('sign-in failed');
		const listAll = (token: string) =>
			mcpCall(workerEnv, token, 'tools/call', { name: 'list_jobs', arguments: { all_users: true } }).then(rpcResult);
		expect((await listAll(admin.accessToken)).result?.isError).toBeUndefined();
		const refused = await listAll(user.accessToken);
		expect(refused.result?.isError).toBe(true);
		expect(JSON.stringify(refused.result?.content)).toContain('needs the admin role');
	});
});
