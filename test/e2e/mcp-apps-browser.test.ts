/**
 * The MCP Apps views in a real browser (issue 19): headless Chromium (Debian `chromium`, driven
 * by playwright-core) loads each `ui://` view, as read from a real `wrangler dev`, into a
 * sandboxed iframe of a test host page under the hosts' default CSP. The page plays the host's
 * side of the bridge: it answers `ui/initialize`, sends `ui/notifications/tool-input` and
 * `…/tool-result`, and proxies the view's `tools/call` to the server through the official SDK
 * client. Screenshots go to test-results/mcp-apps/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser';
import { type DevServer, PROJECT_ROOT, startDevServer } from './dev-server';
import { callTool, connectClient, printServerLogsOnFailure } from './helpers';

const SCREENSHOTS = join(PROJECT_ROOT, 'test-results', 'mcp-apps');
/** What hosts apply when a view declares no CSP (MCP Apps spec 2026-01-26). */
const DEFAULT_CSP =
	"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

/** The host page: one sandboxed iframe, and the host's half of the bridge. */
const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>test host</title>
<style>body{margin:0;background:#e9ebef;font:13px system-ui} iframe{display:block;width:760px;height:600px;border:0;margin:8px;background:#fff}</style></head>
<body><iframe id="view" sandbox="allow-scripts allow-downloads"></iframe>
<script>
const frame = document.getElementById('view');
window.hostLog = [];
window.openedLinks = [];
let toolInput = {}, toolResult = null;
function reply(id, result) { frame.contentWindow.postMessage({ jsonrpc: '2.0', id, result }, '*'); }
function fail(id, message) { frame.contentWindow.postMessage({ jsonrpc: '2.0', id, error: { code: -32000, message } }, '*'); }
function notify(method, params) { frame.contentWindow.postMessage({ jsonrpc: '2.0', method, params }, '*'); }
window.addEventListener('message', async (event) => {
	if (event.source !== frame.contentWindow) return;
	const m = event.data;
	window.hostLog.push(m.method || 'response');
	if (m.method === 'ui/initialize') {
		reply(m.id, { protocolVersion: '2026-01-26', hostInfo: { name: 'test-host', version: '1' }, hostCapabilities: { serverTools: {}, openLinks: {} }, hostContext: { theme: 'light', displayMode: 'inline' } });
	} else if (m.method === 'ui/notifications/initialized') {
		notify('ui/notifications/tool-input', { arguments: toolInput });
		notify('ui/notifications/tool-result', toolResult);
	} else if (m.method === 'ui/notifications/size-changed') {
		frame.style.height = Math.min(Math.max(m.params.height, 200), 2000) + 'px';
	} else if (m.method === 'ui/open-link') {
		window.openedLinks.push(m.params.url); reply(m.id, {});
	} else if (m.method === 'tools/call' || m.method === 'resources/read') {
		try { reply(m.id, await window.proxyToServer(m.method, m.params)); } catch (error) { fail(m.id, String(error.message || error)); }
	} else if (m.id !== undefined) {
		fail(m.id, 'not supported by the test host: ' + m.method);
	}
});
window.loadView = (html, input, result) => { toolInput = input; toolResult = result; frame.srcdoc = html; };
</script></body></html>`;

let server: DevServer;
let client: Client;
let browser: Browser;

beforeAll(async () => {
	mkdirSync(SCREENSHOTS, { recursive: true });
	[server, browser] = await Promise.all([startDevServer(), launchChromium()]);
	client = await connectClient(server.url);
});

afterAll(async () => {
	await client?.close();
	await browser?.close();
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

async function viewHtml(uri: string): Promise<string> {
	const { contents } = await client.readResource({ uri });
	const html = (contents[0] as { text: string }).text;
	// The hosts' default CSP, as the iframe's own policy: the view must work under it.
	return html.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`);
}

/** A host page showing the view at `uri` for a tool call's input and result. */
async function hostPage(
	uri: string,
	input: Record<string, unknown>,
	result: CallToolResult,
): Promise<{ page: Page; view: FrameLocator; errors: string[] }> {
	const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
	const errors: string[] = [];
	page.on('console', (message) => {
		if (message.type() === 'error') errors.push(message.text());
	});
	page.on('pageerror', (error) => errors.push(error.message));
	await page.exposeFunction('proxyToServer', async (method: string, params: Record<string, unknown>) =>
		method === 'tools/call'
			? client.callTool({ name: params.name as string, arguments: params.arguments as Record<string, unknown> })
			: client.readResource({ uri: params.uri as string }),
	);
	await page.setContent(HOST_PAGE);
	await page.evaluate(
		([html, toolInput, toolResult]) =>
			(globalThis as unknown as { loadView: (...args: unknown[]) => void }).loadView(html, toolInput, toolResult),
		[await viewHtml(uri), input, result] as const,
	);
	return { page, view: page.frameLocator('#view'), errors };
}

/** Waits until every `img` the locator finds has loaded a real picture. */
async function expectLoadedImages(view: FrameLocator, selector: string, count: number): Promise<void> {
	const images = view.locator(selector);
	await expect.poll(() => images.count(), { timeout: 30_000 }).toBe(count);
	for (let index = 0; index < count; index++) {
		await expect
			.poll(
				() =>
					images.nth(index).evaluate((image) => {
						const loaded = image as unknown as { complete: boolean; naturalWidth: number };
						return loaded.complete && loaded.naturalWidth > 0;
					}),
				{
					timeout: 30_000,
				},
			)
			.toBe(true);
		expect(await images.nth(index).getAttribute('src')).toMatch(/^data:image\/webp;base64,/);
	}
}

describe('the viewer', () => {
	it('shows the images a generate_image_and_wait made, with how they were made, and opens one full size', async () => {
		const prompt = 'a lighthouse at dusk <b>not bold</b>';
		const args = { prompt, count: 2, width: 1024, height: 768 };
		const result = await callTool(client, 'generate_image_and_wait', args);
		expect(result.isError).toBeFalsy();
		const { page, view, errors } = await hostPage('ui://image-mcp/viewer.html', args, result);

		await expectLoadedImages(view, 'article.card img.full', 2);
		const card = view.locator('article.card').first();
		// The prompt is text, never markup.
		await expect.poll(() => card.locator('.prompt').textContent()).toBe(prompt);
		expect(await view.locator('article.card b').count()).toBe(0);
		expect(await card.locator('dl.meta').textContent()).toContain('1024 × 768');
		expect(await card.locator('dl.meta').textContent()).toContain('offline');
		await page.screenshot({ path: join(SCREENSHOTS, 'viewer.png'), fullPage: true });

		// The inline preview first (longest edge 512), then view_image's (1024) on "Full size".
		const naturalWidth = () =>
			card.locator('img.full').evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth);
		expect(await naturalWidth()).toBe(512);
		await card.getByRole('button', { name: 'Full size' }).click();
		await expect.poll(naturalWidth, { timeout: 30_000 }).toBe(1024);
		await card.getByRole('button', { name: 'Open image' }).click();
		await expect
			.poll(() => page.evaluate(() => (globalThis as unknown as { openedLinks: string[] }).openedLinks))
			.toEqual([expect.stringMatching(new RegExp(`^${server.url}/images/[0-9a-f-]{36}/0\\.png$`))]);
		expect(errors).toEqual([]);
		await page.close();
	});

	it('waits through the host for a generate_image that returned job ids only, then shows the image', async () => {
		const args = { prompt: 'a paper crane', width: 256, height: 256 };
		const result = await callTool(client, 'generate_image', args);
		const { page, view, errors } = await hostPage('ui://image-mcp/viewer.html', args, result);
		await expectLoadedImages(view, 'article.card img.full', 1);
		expect(await page.evaluate(() => (globalThis as unknown as { hostLog: string[] }).hostLog)).toContain('tools/call');
		await page.screenshot({ path: join(SCREENSHOTS, 'viewer-after-wait.png'), fullPage: true });
		expect(errors).toEqual([]);
		await page.close();
	});
});

describe('the gallery', () => {
	it('pages through my images, searches prompts and opens one in the viewer', async () => {
		const tag = `g${Date.now().toString(36)}`;
		const made = await callTool(client, 'generate_image_and_wait', {
			prompt: `gallery test ${tag}`,
			count: 14,
			width: 128,
			height: 128,
		});
		expect(made.structuredContent).toMatchObject({ done: true, completed: 14 });

		const args = { query: tag };
		const result = await callTool(client, 'browse_gallery', args);
		expect(result.structuredContent).toMatchObject({ total_count: 14, returned_count: 12, has_more: true });
		const { page, view, errors } = await hostPage('ui://image-mcp/gallery.html', args, result);

		await expectLoadedImages(view, '.grid .tile img', 12);
		expect(await view.getByRole('searchbox', { name: 'Search prompts' }).inputValue()).toBe(tag);
		await expect.poll(() => view.locator('.row span.muted').textContent()).toBe('1–12 of 14');
		await page.screenshot({ path: join(SCREENSHOTS, 'gallery-page-1.png'), fullPage: true });

		await view.getByRole('button', { name: 'Older →' }).click();
		await expectLoadedImages(view, '.grid .tile img', 2);
		await expect.poll(() => view.locator('.row span.muted').textContent()).toBe('13–14 of 14');
		await page.screenshot({ path: join(SCREENSHOTS, 'gallery-page-2.png'), fullPage: true });

		await view.locator('.grid .tile').first().click();
		await expectLoadedImages(view, 'article.card img.full', 1);
		expect(await view.locator('article.card .prompt').textContent()).toBe(`gallery test ${tag}`);
		await page.screenshot({ path: join(SCREENSHOTS, 'gallery-opened.png'), fullPage: true });
		await view.getByRole('button', { name: '← Gallery' }).click();
		await expectLoadedImages(view, '.grid .tile img', 2);

		const search = view.getByRole('searchbox', { name: 'Search prompts' });
		await search.fill('no prompt has this');
		await search.press('Enter');
		await expect.poll(() => view.locator('main p.muted').first().textContent()).toContain('No image');
		expect(errors).toEqual([]);
		await page.close();
	});
});
