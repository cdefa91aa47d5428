/**
 * The web app's sessions, sign-in and CSRF protection (issue 18; src/worker/web/): token-less
 * local dev needs no sign-in; with tokens, a form; sessions live in D1, end on sign-out and when
 * the token is removed; every state-changing form needs the session's token and our Origin.
 * Settings is the page these go through; test/e2e/web-app-browser.test.ts drives it all in Chromium.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/worker/app';
import { MAX_TOKEN_LENGTH } from '../src/worker/web/signin';
import { usersEnv } from './helpers/users';

const BASE = 'http://localhost';

function fetchWith(bindings: Partial<Env>, path: string, init: RequestInit = {}) {
	return createApp().fetch(
		new Request(`${BASE}${path}`, { redirect: 'manual', ...init }),
		{ ...env, ...bindings },
		createExecutionContext(),
	);
}

/** The session cookie a response sets, as a Cookie header value. */
function sessionCookie(response: Response): string {
	// Deployed (no LOCAL_DEV, as usersEnv sets), the cookie is Secure with the __Host- prefix.
	const set = response.headers.getSetCookie().find((value) => /^(__Host-)?image_mcp_session=/.test(value));
	expect(set, 'a session cookie').toBeDefined();
	return set!.split(';')[0]!;
}

function csrfOf(html: string): string {
	const match = /name="csrf" value="([^"]+)"/.exec(html);
	expect(match, 'a CSRF field').not.toBeNull();
	return match![1]!;
}

function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
	return {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...headers },
		body: new URLSearchParams(fields).toString(),
	};
}

describe('token-less local dev', () => {
	it('serves the pages without sign-in, with a session cookie and the strict CSP', async () => {
		const response = await fetchWith({}, '/ui/settings');
		expect(response.status).toBe(200);
		const csp = response.headers.get('content-security-policy') ?? '';
		expect(csp).toContain("script-src 'self'");
		expect(csp).toContain("default-src 'none'");
		expect(csp).not.toContain('unsafe-inline');
		const set = response.headers.getSetCookie().join('\n');
		expect(set).toMatch(/image_mcp_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800/);
		const html = await response.text();
		expect(html).toContain('<h1>Settings</h1>');
		expect(html).not.toContain('Sign out');
	});

	it('refuses a non-loopback client with no credentials to sign in with', async () => {
		const response = await fetchWith({}, '/ui/settings', { headers: { 'cf-connecting-ip': '203.0.113.9' } });
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/ui/signin?next=%2Fui%2Fsettings');
		const signIn = await fetchWith({}, '/ui/signin', { headers: { 'cf-connecting-ip': '203.0.113.9' } });
		expect(await signIn.text()).toContain('no way to sign in configured');
	});
});

describe('signing in with a token', () => {
	it('sends a browser without a session to the sign-in form, and a good token signs in', async () => {
		const bindings = await usersEnv([{ id: 'alice' }]);
		const first = await fetchWith(bindings, '/ui/settings');
		expect(first.status).toBe(303);
		expect(first.headers.get('location')).toBe('/ui/signin?next=%2Fui%2Fsettings');
		const page = await (await fetchWith(bindings, '/ui/signin?next=%2Fui%2Fsettings')).text();
		expect(page).toContain('<label for="token">Your access token</label>');

		const signedIn = await fetchWith(bindings, '/ui/signin', form({ token: 'token-alice', next: '/ui/settings' }));
		expect(signedIn.status).toBe(303);
		expect(signedIn.headers.get('location')).toBe('/ui/settings');
		const cookie = sessionCookie(signedIn);
		const settings = await fetchWith(bindings, '/ui/settings', { headers: { cookie } });
		expect(settings.status).toBe(200);
		const html = await settings.text();
		expect(html).toContain('alice');
		expect(html).toContain('Sign out');
	});

	it('re-renders the form with what was wrong, and sets no cookie, for a wrong, empty or too long token', async () => {
		const bindings = await usersEnv([{ id: 'alice' }]);
		for (const [token, message] of [
			['token-mallory', 'That token is not valid here'],
			['', 'Enter your access token.'],
			['x'.repeat(MAX_TOKEN_LENGTH + 1), `A token is at most ${MAX_TOKEN_LENGTH} characters.`],
		] as const) {
			const response = await fetchWith(bindings, '/ui/signin', form({ token }));
			expect(response.status).toBe(401);
			expect(response.headers.getSetCookie()).toEqual([]);
			expect(await response.text()).toContain(message);
		}
		// A token of exactly the longest length is checked, not refused for its length.
		const longest = await fetchWith(bindings, '/ui/signin', form({ token: 'x'.repeat(MAX_TOKEN_LENGTH) }));
		expect(await longest.text()).toContain('That token is not valid here');
	});

	it('goes only to pages of the app after sign-in, never to another site', async () => {
		const bindings = await usersEnv([{ id: 'alice' }]);
		for (const next of ['https://evil.example/', '//evil.example/ui', '/uix', '/api/v1/jobs']) {
			const response = await fetchWith(bindings, '/ui/signin', form({ token: 'token-alice', next }));
			expect(response.headers.get('location')).toBe('/ui/gallery');
		}
	});

	it('ends the session on sign-out, and when the operator removes the token', async () => {
		const bindings = await usersEnv([{ id: 'alice' }, { id: 'bob' }]);
		const cookie = sessionCookie(await fetchWith(bindings, '/ui/signin', form({ token: 'token-alice' })));
		const csrf = csrfOf(await (await fetchWith(bindings, '/ui/settings', { headers: { cookie } })).text());
		const out = await fetchWith(bindings, '/ui/signout', form({ csrf }, { cookie }));
		expect(out.status).toBe(303);
		expect(out.headers.getSetCookie().join()).toContain('Max-Age=0');
		expect((await fetchWith(bindings, '/ui/settings', { headers: { cookie } })).status).toBe(303);

		const again = sessionCookie(await fetchWith(bindings, '/ui/signin', form({ token: 'token-alice' })));
		const withoutAlice = await usersEnv([{ id: 'bob' }]);
		expect((await fetchWith(withoutAlice, '/ui/settings', { headers: { cookie: again } })).status).toBe(303);
	});

	it('marks the cookie Secure and __Host- when deployed', async () => {
		const bindings = await usersEnv([{ id: 'alice' }]);
		const response = createApp().fetch(
			new Request('https://images.example/ui/signin', {
				...form({ token: 'token-alice' }, { origin: 'https://images.example' }),
				redirect: 'manual',
			}),
			{ ...env, ...bindings },
			createExecutionContext(),
		);
		const set = (await response).headers.getSetCookie().join('\n');
		expect(set).toMatch(/^__Host-image_mcp_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800; Secure$/);
	});
});

describe('CSRF', () => {
	it('refuses a form posted from another site, or without the session token, and changes nothing', async () => {
		const bindings = await usersEnv([{ id: 'alice' }]);
		const cookie = sessionCookie(await fetchWith(bindings, '/ui/signin', form({ token: 'token-alice' })));
		const csrf = csrfOf(await (await fetchWith(bindings, '/ui/settings', { headers: { cookie } })).text());

		const crossSite = await fetchWith(
			bindings,
			'/ui/settings',
			form({ csrf, default_size: '16:9' }, { cookie, origin: 'https://evil.example' }),
		);
		expect(crossSite.status).toBe(403);
		expect(await crossSite.text()).toContain('sent from another site');
		const noOriginCrossSite = await fetchWith(
			bindings,
			'/ui/settings',
			form({ csrf, default_size: '16:9' }, { cookie, origin: '', 'sec-fetch-site': 'cross-site' }),
		);
		expect(noOriginCrossSite.status).toBe(403);
		for (const token of ['', 'wrong']) {
			const response = await fetchWith(
				bindings,
				'/ui/settings',
				form({ csrf: token, default_size: '16:9' }, { cookie }),
			);
			expect(response.status).toBe(403);
		}
		const page = await (await fetchWith(bindings, '/ui/settings', { headers: { cookie } })).text();
		expect(page).toContain('id="default_size" name="default_size" value=""');

		const saved = await fetchWith(bindings, '/ui/settings', form({ csrf, default_size: '16:9' }, { cookie }));
		expect(saved.status).toBe(303);
		const after = await (await fetchWith(bindings, '/ui/settings?saved=1', { headers: { cookie } })).text();
		expect(after).toContain('value="16:9"');
		expect(after).toContain('Saved.');
	});
});

describe('settings', () => {
	it('re-renders with the field message and saves nothing for bad input', async () => {
		const bindings = await usersEnv([{ id: 'carol' }]);
		const cookie = sessionCookie(await fetchWith(bindings, '/ui/signin', form({ token: 'token-carol' })));
		const csrf = csrfOf(await (await fetchWith(bindings, '/ui/settings', { headers: { cookie } })).text());
		const cases = [
			[{ default_size: 'huge' }, 'default_size: &quot;huge&quot; is neither an aspect ratio'],
			[{ default_model: 'no-such-model' }, 'default_model: &quot;no-such-model&quot; is not a model configured here'],
			[{ confirm_above_usd: 'ten' }, 'Enter an amount in USD'],
			[{ confirm_above_usd: '1000.01' }, 'confirm_above_usd'],
		] as const;
		for (const [fields, message] of cases) {
			const response = await fetchWith(bindings, '/ui/settings', form({ csrf, ...fields }, { cookie }));
			expect(response.status, JSON.stringify(fields)).toBe(400);
			const html = await response.text();
			expect(html).toContain(message);
			expect(html).toContain('aria-invalid="true"');
		}
		const limit = await fetchWith(bindings, '/ui/settings', form({ csrf, confirm_above_usd: '1000' }, { cookie }));
		expect(limit.status).toBe(303);
	});
});

describe('usage', () => {
	it("shows my figures and budgets; only an admin gets the cost-per-user table linking to each user's gallery", async () => {
		const bindings = await usersEnv([
			{ id: 'dora', daily_budget_usd: 0.5 },
			{ id: 'root', role: 'admin' },
		]);
		const signIn = async (id: string) =>
			sessionCookie(await fetchWith(bindings, '/ui/signin', form({ token: `token-${id}` })));
		const dora = await signIn('dora');
		const csrf = csrfOf(await (await fetchWith(bindings, '/ui/settings', { headers: { cookie: dora } })).text());
		expect(csrf).not.toBe('');
		await fetchWith(bindings, '/mcp', {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: 'Bearer token-dora' },
			body: JSON.stringify({
				jsonrpc: '2.0',
				id: 1,
				method: 'tools/call',
				params: { name: 'generate_image', arguments: { prompt: 'a kite', model: 'offline', count: 2 } },
			}),
		});
		const mine = await (await fetchWith(bindings, '/ui/usage?days=7', { headers: { cookie: dora } })).text();
		expect(mine).toContain('<option value="7" selected="">Last 7 days</option>');
		expect(mine).toMatch(/<td>offline<\/td><td class="num">\d<\/td><td class="num">2<\/td>/);
		expect(mine).toContain('<td class="num">$0.50</td>');
		expect(mine).toContain('about 29 left now (1 in the last 60 s)');
		expect(mine).not.toContain('Cost per user');

		const root = await signIn('root');
		const admin = await (await fetchWith(bindings, '/ui/usage', { headers: { cookie: root } })).text();
		expect(admin).toContain('Cost per user (admin)');
		expect(admin).toContain('<a href="/ui/users/dora/gallery">dora</a>');
		expect(admin).toContain('No rate limit applies to you (admin).');
		// A period it does not offer falls back to 30 days rather than failing.
		const odd = await fetchWith(bindings, '/ui/usage?days=5000', { headers: { cookie: dora } });
		expect(odd.status).toBe(200);
		expect(await odd.text()).toContain('<option value="30" selected="">Last 30 days</option>');
	});
});
