/**
 * GET / in a browser (issue 18, first page): the landing page, server-rendered, with this
 * deployment's MCP URL and client snippets and its health; non-browser clients keep the JSON.
 * test/e2e/landing-page-browser.test.ts renders it in Chromium.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/worker/app';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function get(headers: Record<string, string>, overrides: Partial<Env> = {}, url = 'http://localhost/') {
	if (Object.keys(overrides).length === 0) return exports.default.fetch(new Request(url, { headers }));
	return createApp().fetch(new Request(url, { headers }), { ...env, ...overrides }, createExecutionContext());
}

describe('GET / for a browser', () => {
	it('is an HTML page with the MCP URL, every client snippet, the tools and the health', async () => {
		const response = await get({ accept: BROWSER_ACCEPT });
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
		expect(response.headers.get('vary')).toContain('Accept');
		const html = await response.text();
		expect(html.startsWith('<!doctype html>')).toBe(true);
		expect(html).toContain('<code id="mcp-url">http://localhost/mcp</code>');
		for (const id of ['snippet-chatbot', 'snippet-inspector', 'snippet-claude', 'snippet-curl']) {
			expect(html).toContain(`id="${id}"`);
		}
		expect(html).toContain('http://localhost/sse');
		expect(html).toContain('mcp-remote');
		expect(html).toContain('<code>browse_gallery</code>');
		expect(html).toContain('Healthy');
		expect(html).toContain('<a href="/ui" id="open-web-app">Open the web app</a>');
		// Local dev on loopback needs no token: the snippets carry none.
		expect(html).not.toContain('Authorization');
	});

	it('allows only its own inline script and style, by a fresh nonce, and nothing from elsewhere', async () => {
		const [first, second] = await Promise.all([get({ accept: BROWSER_ACCEPT }), get({ accept: BROWSER_ACCEPT })]);
		const csp = first.headers.get('content-security-policy') ?? '';
		const nonce = /script-src 'nonce-([0-9a-f]{32})'/.exec(csp)?.[1];
		expect(nonce).toBeDefined();
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("frame-ancestors 'none'");
		const html = await first.text();
		expect(html).toContain(`<script nonce="${nonce}">`);
		expect(html).toContain(`<style nonce="${nonce}">`);
		expect(html).not.toMatch(/(src|href)="https?:/);
		expect(second.headers.get('content-security-policy')).not.toContain(nonce);
	});

	it('with a token set, shows where it goes, escaped', async () => {
		const html = await (await get({ accept: BROWSER_ACCEPT }, { AUTH_TOKEN: 'secret-token' })).text();
		expect(html).toContain('Authorization: Bearer &lt;token&gt;');
		expect(html).not.toContain('secret-token');
	});

	it('on a deployment with no credentials, says it is not serving and why', async () => {
		const html = await (await get({ accept: BROWSER_ACCEPT }, { LOCAL_DEV: '' }, 'https://images.example.com/')).text();
		expect(html).toContain('Not serving MCP requests');
		expect(html).toContain('No AUTH_TOKEN, AUTH_TOKENS or OAuth is configured');
		expect(html).toContain('https://images.example.com/mcp');
	});
});

describe('GET / for everything else', () => {
	it.each(['', '*/*', 'application/json', 'application/json, text/html;q=0.1', 'text/html;q=0'])(
		'keeps the JSON for Accept "%s"',
		async (accept) => {
			const response = await get(accept ? { accept } : {});
			expect(response.headers.get('content-type')).toContain('application/json');
			expect(await response.json()).toMatchObject({ name: 'image-mcp', mcp_endpoint: 'http://localhost/mcp' });
		},
	);
});
