/**
 * The web app (issue 18) in headless Chromium against real `wrangler dev` servers: signing in
 * with a token and through OAuth (the fake OpenID provider), generating from the form and
 * seeing the image in the gallery, opening, iterating on and deleting it, a default model that
 * the next MCP call uses, cancelling a slow job, admin-only pages, a refused cross-site form,
 * and axe-core in every page (no serious or critical violations). Screenshots of each page go
 * to test-results/web/.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser';
import { type DevServer, PROJECT_ROOT, startDevServer } from './dev-server';
import { type FakeOidc, startFakeOidc } from './fake-oidc';
import { callTool, connectClient, printServerLogsOnFailure } from './helpers';

const SCREENSHOTS = join(PROJECT_ROOT, 'test-results', 'web');
const AXE_SOURCE = readFileSync(join(PROJECT_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

const TOKENS = { alice: 'imcp_alice-web-e2e', bob: 'imcp_bob-web-e2e', root: 'imcp_root-web-e2e' };
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const AUTH_TOKENS = JSON.stringify([
	{ id: 'alice', name: 'Alice', sha256: sha256(TOKENS.alice) },
	{ id: 'bob', name: 'Bob', sha256: sha256(TOKENS.bob) },
	{ id: 'root', name: 'Root', role: 'admin', sha256: sha256(TOKENS.root) },
]);

let server: DevServer;
/** OAuth sign-in, and an offline model slow enough (60 s) that a job is still running when cancelled. */
let slowServer: DevServer;
let idp: FakeOidc;
let browser: Browser;

beforeAll(async () => {
	mkdirSync(SCREENSHOTS, { recursive: true });
	idp = await startFakeOidc({ sub: '7', email: 'alice@example.com', email_verified: true, name: 'Alice Example' });
	[server, slowServer, browser] = await Promise.all([
		startDevServer({ vars: { AUTH_TOKENS } }),
		startDevServer({
			vars: {
				OAUTH_CLIENT_ID: idp.clientId,
				OAUTH_CLIENT_SECRET: idp.clientSecret,
				OAUTH_DISCOVERY_URL: idp.discoveryUrl,
				OAUTH_ALLOWED_EMAILS: 'alice@example.com',
				OFFLINE_LATENCY_MS: '60000',
			},
		}),
		launchChromium(),
	]);
});

afterAll(async () => {
	await browser?.close();
	await Promise.all([server?.stop(), slowServer?.stop(), idp?.close()]);
});

printServerLogsOnFailure(() => [server, slowServer]);

/** A page that records console errors and uncaught exceptions (a CSP violation is a console error). */
async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('console', (message) => {
		if (message.type() === 'error') errors.push(message.text());
	});
	page.on('pageerror', (error) => errors.push(error.message));
	return { page, errors };
}

/** axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as it is). */
async function expectAccessible(page: Page, name: string): Promise<void> {
	await page.evaluate(AXE_SOURCE);
	const violations = await page.evaluate(async () => {
		const axe = (
			globalThis as unknown as {
				axe: {
					run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
				};
			}
		).axe;
		const result = await axe.run();
		return result.violations
			.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
			.map(
				(violation) =>
					`${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
			);
	});
	expect(violations, `axe on ${name}`).toEqual([]);
}

/** A link of the main navigation. */
function nav(page: Page, name: string) {
	return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

async function screenshot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A browser context signed in with `token` through the form, on `serverUrl`. */
async function signedIn(token: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
	const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
	const { page, errors } = await openPage(context);
	await page.goto(`${server.url}/ui/gallery`);
	await page.getByLabel('Your access token').fill(token);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(`${server.url}/ui/gallery`);
	return { context, page, errors };
}

describe('signing in', () => {
	it('goes from the landing page to the sign-in form, and a token signs in', async () => {
		const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
		const { page, errors } = await openPage(context);
		await page.goto(`${server.url}/`);
		await page.getByRole('link', { name: 'Open the web app' }).click();
		await page.waitForURL(/\/ui\/signin\?next=/);
		await expectAccessible(page, 'sign-in');
		await screenshot(page, 'signin');
		await page.getByLabel('Your access token').fill('not-a-token');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect.poll(() => page.getByText('That token is not valid here').count()).toBe(1);
		await page.getByLabel('Your access token').fill(TOKENS.alice);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(`${server.url}/ui/gallery`);
		expect(await page.getByRole('navigation', { name: 'Main' }).textContent()).toContain('Alice');
		// The cookie is the server's session, out of reach of page script.
		const cookies = await context.cookies();
		expect(cookies.find((cookie) => cookie.name === 'image_mcp_session')).toMatchObject({
			httpOnly: true,
			sameSite: 'Lax',
		});
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.waitForURL(/\/ui\/signin$/);
		await page.goto(`${server.url}/ui/settings`);
		await page.waitForURL(/\/ui\/signin\?next=%2Fui%2Fsettings/);
		// The refused token's page is a 401, which the browser logs; nothing else went wrong.
		expect(errors.filter((error) => !error.includes('status of 401'))).toEqual([]);
		await context.close();
	});

	it('signs in with the OpenID provider, through the same allow-list as MCP clients', async () => {
		const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
		const { page, errors } = await openPage(context);
		await page.goto(`${slowServer.url}/ui/usage`);
		const providerLink = page.getByRole('link', { name: /^Sign in with / });
		await expectAccessible(page, 'sign-in (OAuth)');
		await providerLink.click();
		await page.waitForURL(`${slowServer.url}/ui/usage`);
		expect(await page.getByRole('navigation', { name: 'Main' }).textContent()).toContain('Alice Example');
		expect(idp.requests.some((request) => request.startsWith('GET /authorize'))).toBe(true);
		expect(errors).toEqual([]);
		await context.close();
	});
});

/** Generates from the Generate form on the page's server and waits on the job page until its image shows. */
async function generateFromForm(page: Page, prompt: string): Promise<string> {
	await page.getByLabel('Prompt', { exact: true }).fill(prompt);
	await page.getByLabel('Model', { exact: true }).selectOption('offline');
	await page.getByRole('button', { name: 'Generate', exact: true }).click();
	await page.waitForURL(/\/ui\/jobs\/[0-9a-f-]{36}/);
	return new URL(page.url()).pathname.split('/').at(-1)!;
}

describe('generating and managing images', () => {
	it('generates from the form, shows the image as it finishes, in the gallery; opens, iterates on and deletes it', async () => {
		const { context, page, errors } = await signedIn(TOKENS.alice);
		await nav(page, 'Generate').click();
		await page.getByLabel('Prompt', { exact: true }).waitFor();
		await expectAccessible(page, 'generate');
		await screenshot(page, 'generate');

		const prompt = 'a paper lantern over a night river';
		const jobId = await generateFromForm(page, prompt);
		// The job page updates in place (polling) until the image is there.
		await page.locator(`a.thumb[href="/ui/images/${jobId}/0"] img`).waitFor({ timeout: 30_000 });
		await expect.poll(() => page.getByText('Done', { exact: true }).count()).toBeGreaterThan(0);
		await expectAccessible(page, 'job');
		await screenshot(page, 'job');

		// A few more, through MCP, so the gallery (and the README's screenshot of it) shows a grid.
		const client = await connectClient(server.url, { Authorization: `Bearer ${TOKENS.alice}` });
		try {
			for (const other of ['a red fox in snow', 'a teapot, studio light', 'a city at dusk', 'a field of poppies']) {
				const made = await callTool(client, 'generate_image_and_wait', {
					prompt: other,
					model: 'offline',
					width: 512,
					height: 512,
				});
				expect(made.structuredContent).toMatchObject({ status: 'completed' });
			}
		} finally {
			await client.close();
		}
		await nav(page, 'Gallery').click();
		const thumb = page.getByRole('img', { name: prompt });
		await thumb.waitFor();
		await expectAccessible(page, 'gallery');
		await screenshot(page, 'gallery');
		await page.emulateMedia({ colorScheme: 'dark' });
		await screenshot(page, 'gallery-dark');
		await page.emulateMedia({ colorScheme: 'light' });

		await thumb.click();
		await page.waitForURL(`${server.url}/ui/images/${jobId}/0`);
		await expect.poll(() => page.locator('dl.facts').textContent()).toContain(prompt);
		await expectAccessible(page, 'image');
		await screenshot(page, 'image');
		const imageUrl = await page.getByLabel('Image URL').inputValue();
		expect(imageUrl).toBe(`${server.url}/images/${jobId}/0.png`);

		// Iterate: the form comes back with the prompt and this image as its reference.
		await page.getByRole('link', { name: 'Iterate on this' }).click();
		await page.waitForURL(/\/ui\/generate\?reference=/);
		expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe(prompt);
		expect(await page.locator(`input[name="reference"][value="${imageUrl}"]`).isChecked()).toBe(true);
		const childId = await generateFromForm(page, `${prompt}, at dawn`);
		await page.locator(`a.thumb[href="/ui/images/${childId}/0"]`).waitFor({ timeout: 30_000 });
		await page.goto(`${server.url}/ui/images/${childId}/0`);
		await expect.poll(() => page.locator('dl.facts').textContent()).toContain(`image://${jobId}/0`);

		// Delete, after a confirmation page; the URL stops working.
		await page.goto(`${server.url}/ui/images/${jobId}/0`);
		await page.getByRole('link', { name: 'Delete…' }).click();
		await page.getByRole('button', { name: 'Delete permanently' }).waitFor();
		await expectAccessible(page, 'delete');
		await screenshot(page, 'delete');
		await page.getByRole('button', { name: 'Delete permanently' }).click();
		await page.waitForURL(`${server.url}/ui/gallery?deleted=1`);
		await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Image deleted');
		expect(await page.getByRole('img', { name: prompt, exact: true }).count()).toBe(0);
		expect((await fetch(imageUrl)).status).toBe(410);
		expect(errors).toEqual([]);
		await context.close();
	});

	it('cancels a slow job from its page, and the jobs list says so', async () => {
		const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
		const { page, errors } = await openPage(context);
		await page.goto(`${slowServer.url}/ui/generate`);
		await page.getByRole('link', { name: /^Sign in with / }).click();
		await page.waitForURL(`${slowServer.url}/ui/generate`);
		const jobId = await generateFromForm(page, 'a very slow snail');
		await nav(page, 'Jobs').click();
		await page.getByRole('button', { name: /^Cancel: a very slow snail/ }).waitFor();
		await expectAccessible(page, 'jobs');
		await screenshot(page, 'jobs');
		await page.goto(`${slowServer.url}/ui/jobs/${jobId}`);
		await page.getByRole('button', { name: 'Cancel this job' }).click();
		await expect
			.poll(() => page.getByText('Cancelled', { exact: true }).count(), { timeout: 15_000 })
			.toBeGreaterThan(0);
		await nav(page, 'Jobs').click();
		expect(await page.getByRole('button', { name: /^Cancel: a very slow snail/ }).count()).toBe(0);
		expect(errors).toEqual([]);
		await context.close();
	});
});

describe('settings', () => {
	it('sets a default model that the next MCP call, naming none, uses', async () => {
		const { context, page, errors } = await signedIn(TOKENS.bob);
		await nav(page, 'Settings').click();
		await expectAccessible(page, 'settings');
		const options = await page
			.getByLabel('Default model')
			.locator('option')
			.evaluateAll((nodes) => nodes.map((node) => (node as unknown as { value: string }).value));
		const other = options.find((value) => value !== '' && value !== 'auto' && value !== 'offline');
		expect(other, 'a configured model besides offline').toBeDefined();
		await page.getByLabel('Default model').selectOption(other!);
		await page.getByRole('button', { name: 'Save settings' }).click();
		await expect.poll(() => page.getByRole('status').textContent()).toContain('Saved.');
		await screenshot(page, 'settings');

		const client = await connectClient(server.url, { Authorization: `Bearer ${TOKENS.bob}` });
		try {
			const result = await callTool(client, 'generate_image', { prompt: 'a lantern' });
			expect(result.structuredContent).toMatchObject({ model: other });
		} finally {
			await client.close();
		}
		expect(errors).toEqual([]);
		await context.close();
	});

	it('refuses a form posted from another site, and changes nothing', async () => {
		const { context, page, errors } = await signedIn(TOKENS.alice);
		// Another origin (another port: the same site to the browser, so the cookie goes along).
		const evil: Server = createServer((_request, response) => {
			response.writeHead(200, { 'content-type': 'text/html' });
			response.end(
				`<!doctype html><form id="f" method="post" action="${server.url}/ui/settings"><input name="default_size" value="21:9"><input name="csrf" value="guess"></form><script>document.getElementById('f').submit()</script>`,
			);
		});
		await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
		try {
			await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
			await expect.poll(() => page.getByText('sent from another site').count()).toBe(1);
			await page.goto(`${server.url}/ui/settings`);
			expect(await page.getByLabel('Default size or aspect ratio').inputValue()).toBe('');
		} finally {
			evil.close();
		}
		expect(errors.filter((error) => !error.includes('403'))).toEqual([]);
		await context.close();
	});
});

describe('usage and admin pages', () => {
	it('shows an admin the cost per user, and keeps a user out of another user’s gallery', async () => {
		const admin = await signedIn(TOKENS.root);
		await nav(admin.page, 'Usage').click();
		await expect.poll(() => admin.page.getByRole('heading', { name: 'Cost per user (admin)' }).count()).toBe(1);
		await expectAccessible(admin.page, 'usage (admin)');
		await screenshot(admin.page, 'usage-admin');
		await admin.page.emulateMedia({ colorScheme: 'dark' });
		await screenshot(admin.page, 'usage-admin-dark');
		expect(admin.errors).toEqual([]);
		await admin.context.close();

		const user = await signedIn(TOKENS.alice);
		const response = await user.page.goto(`${server.url}/ui/users/root/gallery`);
		expect(response?.status()).toBe(403);
		await user.context.close();
	});
});
