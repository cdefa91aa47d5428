/**
 * DNS-rebinding protection (src/worker/host-guard.ts): in local dev, MCP requests addressed to a
 * foreign host or sent from a foreign page are refused before CORS and auth; deployed, not.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/worker/app';
import { rpcBody } from './helpers/mcp';

const TOKEN = 'correct horse battery staple';

const initialize = () =>
	rpcBody('initialize', {
		protocolVersion: '2025-11-25',
		capabilities: {},
		clientInfo: { name: 'host-guard-test', version: '1.0.0' },
	});

/** A request through the whole fetch handler (entry point, then app) with the local bindings. */
function request(url: string, headers: Record<string, string> = {}, method = 'POST'): Promise<Response> {
	return exports.default.fetch(
		new Request(url, {
			method,
			headers: { 'content-type': 'application/json', ...headers },
			body: method === 'POST' ? initialize() : undefined,
		}),
	);
}

/** The same through the app with other settings (ALLOWED_HOSTS, a token, a deployed config). */
function requestWithEnv(overrides: Partial<Env>, url: string, headers: Record<string, string> = {}) {
	return createApp().fetch(
		new Request(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...headers },
			body: initialize(),
		}),
		{ ...env, ...overrides },
		createExecutionContext(),
	);
}

interface JsonRpcErrorBody {
	jsonrpc: string;
	error: { code: number; message: string };
	id: null;
}

async function refusal(response: Response): Promise<string> {
	expect(response.status).toBe(403);
	const body = (await response.json()) as JsonRpcErrorBody;
	expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
	return body.error.message;
}

describe('DNS-rebinding protection in local dev (LOCAL_DEV=true)', () => {
	it('refuses a foreign Host on every MCP endpoint with 403, naming the host and what is allowed', async () => {
		const responses = [
			await request('http://evil.example.com/mcp'),
			await request('http://evil.example.com:8787/sse', {}, 'GET'),
			await request('http://evil.example.com:8787/messages?sessionId=0123456789abcdef0123456789abcdef'),
		];
		for (const response of responses) {
			const message = await refusal(response);
			expect(message).toContain('addressed to host "evil.example.com"');
			expect(message).toContain('localhost, *.localhost, 127.0.0.1 (any 127.x.x.x) or [::1]');
			expect(message).toContain('ALLOWED_HOSTS');
			// A plain `wrangler deploy` ships this local configuration: the refusal says how to deploy.
			expect(message).toContain('deploy with npm run deploy (wrangler deploy --env production)');
		}
	});

	it('refuses a foreign Origin on a loopback Host, naming the Origin', async () => {
		const message = await refusal(await request('http://127.0.0.1:8787/mcp', { origin: 'http://evil.example.com' }));
		expect(message).toContain('Origin "http://evil.example.com"');
		expect(message).toContain('ALLOWED_ORIGINS');
		// Sandboxed frames and file:// pages send "null", which names no host.
		await refusal(await request('http://localhost:8787/mcp', { origin: 'null' }));
	});

	it('serves loopback Hosts and Origins, as the conformance suite, curl and the browser Inspector send them', async () => {
		const hosts = ['localhost:8787', '127.0.0.1:8787', '[::1]:8787', 'app.localhost:8787', '127.0.0.2'];
		for (const host of hosts) {
			const plain = await request(`http://${host}/mcp`);
			expect(plain.status, host).toBe(200);
			const sameOrigin = await request(`http://${host}/mcp`, { origin: `http://${host}` });
			expect(sameOrigin.status, host).toBe(200);
			const inspector = await request(`http://${host}/mcp`, { origin: 'http://localhost:6274' });
			expect(inspector.status, host).toBe(200);
			expect(inspector.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
		}
	});

	it('refuses a foreign Host even with a valid bearer token: the guard does not depend on auth', async () => {
		const response = await requestWithEnv({ AUTH_TOKEN: TOKEN }, 'http://evil.example.com/mcp', {
			authorization: `Bearer ${TOKEN}`,
		});
		expect(await refusal(response)).toContain('host "evil.example.com"');
	});

	it('serves the hosts in ALLOWED_HOSTS, with or without a port, in any case, and Origins on them', async () => {
		const settings = { ALLOWED_HOSTS: ' 192.168.1.5:8787 , MyBox.local ', AUTH_TOKEN: TOKEN };
		const bearer = { authorization: `Bearer ${TOKEN}` };
		expect((await requestWithEnv(settings, 'http://192.168.1.5:8787/mcp', bearer)).status).toBe(200);
		const sameOrigin = await requestWithEnv(settings, 'http://mybox.local:8787/mcp', {
			...bearer,
			origin: 'http://mybox.local:8787',
		});
		expect(sameOrigin.status).toBe(200);
		const foreign = await requestWithEnv(settings, 'http://evil.example.com/mcp', bearer);
		expect(await refusal(foreign)).toContain('or 192.168.1.5, mybox.local (ALLOWED_HOSTS)');
	});
});

describe('token-less local mode is for loopback only (issue 15, item 6)', () => {
	// What a LAN client of `wrangler dev --ip 0.0.0.0` can send: wrangler dev keeps a client's own
	// CF-Connecting-IP, and the Host is the client's to write, so it looks like loopback.
	const passingForLoopback = { 'cf-connecting-ip': '127.0.0.1' };

	it('refuses every request, loopback-looking or not, when ALLOWED_HOSTS opens the server and no token is set', async () => {
		const exposed = { ALLOWED_HOSTS: '192.168.1.5' };
		for (const url of ['http://localhost:8787/mcp', 'http://192.168.1.5:8787/mcp']) {
			const response = await requestWithEnv(exposed, url, passingForLoopback);
			expect(response.status, url).toBe(503);
			const body = (await response.json()) as JsonRpcErrorBody;
			expect(body.error.message).toContain('ALLOWED_HOSTS (192.168.1.5) opens it to other machines');
			expect(body.error.message).toContain('Set AUTH_TOKEN');
		}
	});

	it('says so in /health, which marks MCP requests as not served', async () => {
		const response = await createApp().fetch(
			new Request('http://localhost:8787/health'),
			{ ...env, ALLOWED_HOSTS: '192.168.1.5' },
			createExecutionContext(),
		);
		const health = (await response.json()) as { auth: { serving: boolean; reason?: string } };
		expect(health.auth.serving).toBe(false);
		expect(health.auth.reason).toContain('ALLOWED_HOSTS');
	});

	it('serves loopback clients without a token when nothing opens the server to other machines', async () => {
		expect((await request('http://localhost:8787/mcp')).status).toBe(200);
	});

	it('refuses a client whose real address wrangler dev recorded, whatever Host it names', async () => {
		const response = await request('http://localhost:8787/mcp', { 'cf-connecting-ip': '192.0.2.7' });
		expect(response.status).toBe(403);
		expect(((await response.json()) as JsonRpcErrorBody).error.message).toContain('only serves loopback clients');
	});
});

describe('on a deployed Worker (LOCAL_DEV empty)', () => {
	const deployed = { LOCAL_DEV: '', AUTH_TOKEN: TOKEN };
	const bearer = { authorization: `Bearer ${TOKEN}` };
	const workerUrl = 'https://image-mcp.example.workers.dev/mcp';

	it('does not check the Host: the Worker is reached by its public hostname', async () => {
		expect((await requestWithEnv(deployed, workerUrl, bearer)).status).toBe(200);
	});

	it("takes a browser Origin only when it is the Worker's own or listed in ALLOWED_ORIGINS", async () => {
		const inspector = { ...bearer, origin: 'http://localhost:6274' };
		const refused = await requestWithEnv(deployed, workerUrl, inspector);
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as JsonRpcErrorBody).error.code).toBe(-32600);
		const listed = await requestWithEnv(
			{ ...deployed, ALLOWED_ORIGINS: 'http://localhost:6274' },
			workerUrl,
			inspector,
		);
		expect(listed.status).toBe(200);
		const own = await requestWithEnv(deployed, workerUrl, { ...bearer, origin: new URL(workerUrl).origin });
		expect(own.status).toBe(200);
	});
});
