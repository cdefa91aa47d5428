/**
 * A server without OAuth, met by a client that tries OAuth after a 401 (mcp-remote does, with
 * the MCP SDK's auth helpers): discovery finds nothing, and registration fails saying to send
 * a bearer token, instead of "Dynamic Client Registration rejected (HTTP 404)".
 */
import { exports } from 'cloudflare:workers';
import { discoverAuthorizationServerMetadata, registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import { describe, expect, it } from 'vitest';
import { BASE } from './helpers/mcp';

const fetchFn = (url: string | URL, init?: RequestInit) => exports.default.fetch(new Request(url, init));

describe('OAuth endpoints of a server that takes bearer tokens', () => {
	it('discovery finds no OAuth metadata', async () => {
		expect(await discoverAuthorizationServerMetadata(BASE, { fetchFn })).toBeUndefined();
		for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server']) {
			const response = await fetchFn(`${BASE}${path}`);
			expect(response.status).toBe(404);
			expect(((await response.json()) as { error_description: string }).error_description).toContain(
				'Authorization: Bearer <token>',
			);
		}
	});

	it("the SDK client's registration fails with the server's words: send a bearer token", async () => {
		await expect(
			registerClient(BASE, {
				clientMetadata: { redirect_uris: ['http://localhost:9/callback'], client_name: 'mcp-remote' },
				fetchFn,
			}),
		).rejects.toThrow(/does not use OAuth: it takes a bearer token/);
	});

	it('POST /token says the same', async () => {
		const response = await fetchFn(`${BASE}/token`, { method: 'POST' });
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: 'invalid_request' });
	});

	it('GET /authorize, opened in a browser, is a page saying to use a bearer token', async () => {
		const response = await fetchFn(`${BASE}/authorize?client_id=x`);
		expect(response.status).toBe(404);
		expect(await response.text()).toContain('use a bearer token');
	});
});
