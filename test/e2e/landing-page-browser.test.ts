/**
 * The landing page (GET / in a browser) in headless Chromium against a real `wrangler dev`:
 * it renders under its own strict CSP with no errors, light and dark, and its copy button puts
 * the MCP URL on the clipboard. Screenshots go to test-results/landing/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser';
import { type DevServer, PROJECT_ROOT, startDevServer } from './dev-server';
import { printServerLogsOnFailure } from './helpers';

const SCREENSHOTS = join(PROJECT_ROOT, 'test-results', 'landing');

let server: DevServer;
let browser: Browser;

beforeAll(async () => {
	mkdirSync(SCREENSHOTS, { recursive: true });
	[server, browser] = await Promise.all([startDevServer(), launchChromium()]);
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

describe('the landing page in a browser', () => {
	it('shows the MCP URL, the client snippets and the health, with no console or CSP errors', async () => {
		const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
		await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
		const page = await context.newPage();
		const errors: string[] = [];
		page.on('console', (message) => {
			if (message.type() === 'error') errors.push(message.text());
		});
		page.on('pageerror', (error) => errors.push(error.message));

		const response = await page.goto(`${server.url}/`);
		expect(response?.status()).toBe(200);
		await expect.poll(() => page.locator('#mcp-url').textContent()).toBe(`${server.url}/mcp`);
		expect(await page.getByRole('status').textContent()).toBe('Healthy');
		for (const heading of ['Better Chatbot', 'MCP Inspector', 'Claude Desktop (through mcp-remote)', 'curl']) {
			await expect.poll(() => page.getByRole('heading', { name: heading }).count()).toBe(1);
		}
		await page.screenshot({ path: join(SCREENSHOTS, 'landing-light.png'), fullPage: true });

		await page.getByRole('button', { name: 'Copy the MCP URL' }).click();
		await expect
			.poll(() =>
				page.evaluate(() =>
					(
						globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
					).navigator.clipboard.readText(),
				),
			)
			.toBe(`${server.url}/mcp`);
		await expect.poll(() => page.getByRole('button', { name: 'Copy the MCP URL' }).textContent()).toBe('Copied');

		await page.emulateMedia({ colorScheme: 'dark' });
		await page.screenshot({ path: join(SCREENSHOTS, 'landing-dark.png'), fullPage: true });
		expect(errors).toEqual([]);
		await context.close();
	});

	it('reads without script: the snippets are there and the copy buttons stay hidden', async () => {
		const context = await browser.newContext({ javaScriptEnabled: false });
		const page = await context.newPage();
		await page.goto(`${server.url}/`);
		expect(await page.locator('#snippet-curl').textContent()).toContain(`curl -s ${server.url}/mcp`);
		expect(await page.locator('button.copy:visible').count()).toBe(0);
		await context.close();
	});
});

describe('the API reference page in a browser', () => {
	it('lists every operation with a working anchor, under its CSP, with no errors', async () => {
		const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
		const page = await context.newPage();
		const errors: string[] = [];
		page.on('console', (message) => {
			if (message.type() === 'error') errors.push(message.text());
		});
		page.on('pageerror', (error) => errors.push(error.message));
		const response = await page.goto(`${server.url}/api/docs`);
		expect(response?.status()).toBe(200);
		const links = page.getByRole('navigation', { name: 'Operations' }).getByRole('link');
		expect(await links.count()).toBeGreaterThanOrEqual(8);
		await page.getByRole('link', { name: 'POST /api/v1/generations' }).click();
		await expect
			.poll(() => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash))
			.toBe('#createGeneration');
		expect(await page.locator('#createGeneration').getByText('prompt (required)').count()).toBe(1);
		await page.screenshot({ path: join(SCREENSHOTS, 'api-reference.png'), fullPage: false });
		await page.emulateMedia({ colorScheme: 'dark' });
		await page.screenshot({ path: join(SCREENSHOTS, 'api-reference-dark.png'), fullPage: false });
		expect(errors).toEqual([]);
		await context.close();
	});
});
