/**
 * The web app's figures (issue 18), inside workerd (real local D1) through the app's fetch
 * handler: the server time of a gallery page for one user with 1,000 images (target p50 ≤
 * 30 ms), the first page and one deep in the keyset paging; and the bytes of each page (HTML +
 * the one CSS + the one JS, before compression, images aside; target ≤ 60 KB). `npm run
 * bench:web` (full) or, small, in `npm test` (bench-smoke project).
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { createApp } from '../../src/worker/app';
import { formatTable, type Stats, summarise } from '../stats.ts';

const FULL = env.BENCH_MODE === 'full';
const IMAGES = FULL ? 1_000 : 100;
const N = FULL ? 200 : 5;
const WARMUP = FULL ? 20 : 1;
const TARGET = { p50Ms: 30, pageBytes: 60 * 1024 };
const OWNER = 'bench-web';
const TOKEN = 'bench-web-token';

const app = createApp();

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const bindings = {
	...env,
	LOCAL_DEV: '',
	AUTH_TOKENS: JSON.stringify([{ id: OWNER, sha256: await sha256Hex(TOKEN) }]),
};

async function get(path: string, cookie: string): Promise<Response> {
	return await app.fetch(
		new Request(`https://bench.example${path}`, { headers: { cookie } }),
		bindings,
		createExecutionContext(),
	);
}

/** IMAGES completed jobs of OWNER with one image each, a minute apart, over 6 models, in two statements. */
async function seed(): Promise<void> {
	const base = Date.now() - IMAGES * 60_000;
	await env.DB.batch([
		env.DB.prepare(
			`INSERT INTO jobs (id, owner, status, prompt, model, params, seed, created_at, updated_at, started_at, completed_at, estimated_cost_usd)
			WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
			SELECT printf('00000000-0000-4000-8000-%012d', i), ?2, 'completed',
				'a lighthouse on a cliff at dusk, picture number ' || i, 'model-' || (i % 6),
				'{"width":512,"height":512,"steps":4}', i, ?3 + i * 60000, ?3 + i * 60000, ?3 + i * 60000, ?3 + i * 60000 + 900, 0.003
			FROM n`,
		).bind(IMAGES, OWNER, base),
		env.DB.prepare(
			`INSERT INTO images (id, job_id, idx, owner, r2_key, content_type, width, height, bytes, seed, created_at)
			SELECT id || '/0', id, 0, owner, id || '/0', 'image/png', 512, 512, 90000, seed, completed_at FROM jobs WHERE owner = ?1`,
		).bind(OWNER),
	]);
}

async function time(path: string, cookie: string): Promise<Stats> {
	const samples: number[] = [];
	for (let round = -WARMUP; round < N; round++) {
		const started = performance.now();
		const response = await get(path, cookie);
		const text = await response.text();
		expect(response.status, text.slice(0, 400)).toBe(200);
		if (round >= 0) samples.push(performance.now() - started);
	}
	return summarise(samples);
}

it('times the gallery page of a user with many images (1,000 in the full run) and weighs every page', async () => {
	await seed();
	const signIn = await app.fetch(
		new Request('https://bench.example/ui/signin', {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://bench.example' },
			body: `token=${TOKEN}`,
			redirect: 'manual',
		}),
		bindings,
		createExecutionContext(),
	);
	const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
	expect(cookie).toMatch(/^__Host-image_mcp_session=/);

	const first = await get('/ui/gallery', cookie);
	const firstHtml = await first.text();
	expect(first.status, firstHtml.slice(0, 400)).toBe(200);
	expect(firstHtml).toContain(`picture number ${IMAGES - 1}`);
	// A page deep in the keyset paging: follow "older" links to the middle.
	let deepPath = '/ui/gallery';
	let html = firstHtml;
	for (let hop = 0; hop < (FULL ? 20 : 2); hop++) {
		const next = /href="(\/ui\/gallery\?[^"]*cursor=[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
		if (!next) break;
		deepPath = next;
		html = await (await get(deepPath, cookie)).text();
	}
	expect(deepPath).not.toBe('/ui/gallery');

	const firstPage = await time('/ui/gallery', cookie);
	const deepPage = await time(deepPath, cookie);
	const search = await time('/ui/gallery?q=lighthouse', cookie);

	const css = await (await get('/ui/assets/app.css', cookie)).text();
	const js = await (await get('/ui/assets/app.js', cookie)).text();
	const imageId = /href="\/ui\/images\/([^"]+)"/.exec(firstHtml)?.[1];
	const pages = [
		'/ui/gallery',
		'/ui/generate',
		'/ui/jobs',
		'/ui/usage',
		'/ui/settings',
		...(imageId ? [`/ui/images/${imageId}`] : []),
	];
	const weights: Array<{ page: string; html: number; total: number }> = [];
	for (const page of pages) {
		const response = await get(page, cookie);
		const body = await response.text();
		expect(response.status, `${page}: ${body.slice(0, 300)}`).toBe(200);
		weights.push({ page, html: body.length, total: body.length + css.length + js.length });
	}
	const heaviest = Math.max(...weights.map((weight) => weight.total));
	const rows: Array<[string, Stats]> = [
		['gallery, first page', firstPage],
		['gallery, deep in the paging', deepPage],
		['gallery, prompt search', search],
	];
	console.log(
		[
			'',
			`Web app server time inside workerd, one user with ${IMAGES.toLocaleString('en')} images, ${N} requests after ${WARMUP} warm-up (${FULL ? 'full' : 'smoke'} run)`,
			'',
			formatTable(rows),
			'',
			`${'page'.padEnd(44)} ${'HTML'.padStart(8)} ${'+ CSS + JS'.padStart(10)}`,
			...weights.map(
				(weight) => `${weight.page.padEnd(44)} ${String(weight.html).padStart(8)} ${String(weight.total).padStart(10)}`,
			),
			`(CSS ${css.length} bytes, JS ${js.length} bytes, each served once and cached)`,
			'',
			`${firstPage.p50 <= TARGET.p50Ms ? 'meets' : 'MISSES'} target: gallery p50 ≤ ${TARGET.p50Ms} ms (${firstPage.p50} ms)`,
			`${heaviest <= TARGET.pageBytes ? 'meets' : 'MISSES'} target: every page ≤ ${TARGET.pageBytes} bytes with CSS and JS (heaviest ${heaviest})`,
			'',
			JSON.stringify({
				bench: 'web',
				mode: FULL ? 'full' : 'smoke',
				images: IMAGES,
				target: TARGET,
				gallery_first_page: firstPage,
				gallery_deep_page: deepPage,
				gallery_search: search,
				css_bytes: css.length,
				js_bytes: js.length,
				pages: weights,
				meets_target: firstPage.p50 <= TARGET.p50Ms && heaviest <= TARGET.pageBytes,
			}),
		].join('\n'),
	);
}, 600_000);
