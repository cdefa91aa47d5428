/**
 * The web app's gallery pages (issue 18; src/worker/web/gallery.tsx) and the operations under
 * them (browse_gallery's filters and `owner`, get_image): thumbnails newest first, keyset
 * pages, filters with field messages, one image with its facts, download, copy lines,
 * iterate and variations, delete with a confirmation, and an admin's read-only view of
 * another user's gallery, which a user cannot open. Jobs are queued on a recording queue and
 * run with the consumer's runJob, so nothing races.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { MAX_COUNT } from '../src/generation/request';
import { BROWSE_PAGE_MAX, MODEL_FILTER_MAX, OWNER_ARGUMENT_MAX } from '../src/tools/gallery.tools';
import { WEB_GALLERY_PAGE } from '../src/worker/web/gallery';
import { THUMB_EDGE } from '../src/worker/web/job-parts';
import { callAs, recordingQueue, usersEnv } from './helpers/users';
import { BASE, escapeHtml, fetchWith, hiddenValue, signedInBrowser, unescapeHtml, unique } from './helpers/web';

interface Made {
	job_id: string;
	image_url: string;
	prompt: string;
}

async function setup(users: { id: string; role?: 'admin' | 'user' }[] = [{ id: 'alice' }, { id: 'bob' }]) {
	const named = users.map((user) => ({ ...user, id: unique(user.id) }));
	const { queue } = recordingQueue();
	const bindings = await usersEnv(named, { JOBS: queue });
	const ids = named.map((user) => user.id);
	/** Generates and finishes one offline image for `user`; its job and URL. */
	const make = async (user: string, prompt: string, extra: Record<string, unknown> = {}): Promise<Made> => {
		const result = await callAs(bindings, user, 'generate_image', {
			prompt,
			model: 'offline',
			width: 64,
			height: 64,
			...extra,
		});
		expect(result.isError, result.content[0]?.text).toBeUndefined();
		const started = (
			await callAs(bindings, user, 'generate_image', { prompt, model: 'offline', width: 64, height: 64, ...extra })
		).structuredContent as { job_ids: string[] };
		const jobId = started.job_ids[0]!;
		await runJob({ ...env, ...bindings } as Env, jobId, 1);
		const status = (await callAs(bindings, user, 'get_job_status', { job_id: jobId })).structuredContent as {
			status: string;
			image_url: string;
		};
		expect(status.status).toBe('completed');
		return { job_id: jobId, image_url: status.image_url, prompt };
	};
	/** Generates `count` offline images for `user` in one call and finishes them one by one. */
	const makeMany = async (user: string, prompt: string, count: number) => {
		const started = (
			await callAs(bindings, user, 'generate_image', { prompt, model: 'offline', width: 64, height: 64, count })
		).structuredContent as { job_ids: string[] };
		expect(started.job_ids).toHaveLength(count);
		for (const jobId of started.job_ids) await runJob({ ...env, ...bindings } as Env, jobId, 1);
	};
	return { ids, bindings, make, makeMany };
}

/** The image pages a gallery page links to, in order. */
function linkedImages(html: string): string[] {
	return [...html.matchAll(/<li><a href="\/ui\/images\/([0-9a-f-]{36}\/\d+)(?:\?owner=[^"]*)?">/g)].map((m) => m[1]!);
}

function olderLink(html: string): string | null {
	const match = /<a href="([^"]*)" rel="next">Older images<\/a>/.exec(html);
	return match ? unescapeHtml(match[1]!) : null;
}

describe('GET /ui/gallery', () => {
	it(`shows my images newest first as ${THUMB_EDGE * 2}px thumbnails, ${WEB_GALLERY_PAGE} a page, never another user's`, async () => {
		const { ids, bindings, make, makeMany } = await setup();
		const [alice, bob] = ids as [string, string];
		const tag = unique('tile');
		// Two calls (count counts once against the rate limit), run one by one.
		await makeMany(alice, tag, MAX_COUNT);
		await makeMany(alice, tag, WEB_GALLERY_PAGE + 1 - MAX_COUNT);
		const bobs = await make(bob, `${tag} of bob`);
		// Newest first, ties in id order: the order the gallery documents.
		const { results } = await env.DB.prepare('SELECT id FROM images WHERE owner = ? ORDER BY created_at DESC, id ASC')
			.bind(alice)
			.all<{ id: string }>();
		const newestFirst = results.map((row) => row.id);
		expect(newestFirst).toHaveLength(WEB_GALLERY_PAGE + 1);
		const newest = (await callAs(bindings, alice, 'get_image', { job_id: newestFirst[0]!.split('/')[0] }))
			.structuredContent as unknown as Made;
		const browser = await signedInBrowser(bindings, alice);

		const first = await browser.page('/ui/gallery');
		expect(first.status).toBe(200);
		expect(linkedImages(first.html)).toEqual(newestFirst.slice(0, WEB_GALLERY_PAGE));
		expect(first.html).toContain(`${WEB_GALLERY_PAGE + 1} images`);
		expect(first.html).toContain(`src="${newest.image_url}?w=${THUMB_EDGE * 2}"`);
		expect(first.html).toContain(`alt="${escapeHtml(newest.prompt)}"`);
		expect(first.html).not.toContain(bobs.job_id);

		const older = olderLink(first.html);
		expect(older).toMatch(/^\/ui\/gallery\?cursor=/);
		const second = await browser.page(older!);
		expect(linkedImages(second.html)).toEqual(newestFirst.slice(WEB_GALLERY_PAGE));
		expect(olderLink(second.html)).toBeNull();
		expect(second.html).toContain('<a href="/ui/gallery">Newest</a>');

		// The thumbnail the page names is served, small.
		const thumb = await fetchWith(bindings, `${new URL(newest.image_url).pathname}?w=${THUMB_EDGE * 2}`);
		expect(thumb.status).toBe(200);
		expect(thumb.headers.get('content-type')).toMatch(/^image\//);
	});

	it('filters by words in the prompt, by model and by day, keeping the filters on the next page', async () => {
		const { ids, bindings, make } = await setup();
		const [alice] = ids as [string];
		const tag = unique('otter');
		await make(alice, `a sleeping ${tag}`);
		await make(alice, `a swimming ${tag}`);
		await make(alice, 'a plain teapot');
		const browser = await signedInBrowser(bindings, alice);
		const today = new Date().toISOString().slice(0, 10);

		const search = await browser.page(`/ui/gallery?q=${tag.toUpperCase()}`);
		expect(linkedImages(search.html)).toHaveLength(2);
		expect(search.html).toContain(`value="${tag.toUpperCase()}"`);
		expect(search.html).toContain('<a href="/ui/gallery">Clear</a>');

		const byModel = await browser.page('/ui/gallery?model=offline');
		expect(linkedImages(byModel.html)).toHaveLength(3);
		expect(byModel.html).toMatch(/<option value="offline" selected="">/);
		const otherModel = await browser.page('/ui/gallery?model=dall-e-2');
		expect(linkedImages(otherModel.html)).toHaveLength(0);
		expect(otherModel.html).toContain('No images match these filters.');

		const sameDay = await browser.page(`/ui/gallery?from=${today}&to=${today}`);
		expect(linkedImages(sameDay.html)).toHaveLength(3);
		const before = await browser.page('/ui/gallery?from=2020-01-01&to=2020-12-31');
		expect(linkedImages(before.html)).toHaveLength(0);

		const paged = (await callAs(bindings, alice, 'browse_gallery', { query: tag, limit: 1 })).structuredContent as {
			next_cursor: string;
		};
		const next = await browser.page(
			`/ui/gallery?q=${tag}&model=offline&cursor=${encodeURIComponent(paged.next_cursor)}`,
		);
		expect(linkedImages(next.html)).toHaveLength(1);
		expect(next.html).toContain(`<a href="/ui/gallery?q=${tag}&amp;model=offline">Newest</a>`);
	});

	it('puts a bad filter’s message on its field, with the form kept, and answers 400', async () => {
		const { ids, bindings } = await setup();
		const browser = await signedInBrowser(bindings, ids[0]!);
		for (const [query, field, text] of [
			['from=2026-02-30', 'from', 'No such day in the calendar'],
			['to=yesterday', 'to', 'Not a day written YYYY-MM-DD'],
			['from=2026-05-02&to=2026-05-01', 'to', 'is before from (2026-05-02)'],
			['cursor=not-a-cursor', undefined, 'cursor: not a cursor this server gave out'],
			[`q=${'x'.repeat(201)}`, 'q', 'query: Too big'],
		] as const) {
			const { status, html } = await browser.page(`/ui/gallery?${query}`);
			expect(status, query).toBe(400);
			expect(unescapeHtml(html), query).toContain(text);
			if (field) expect(html, query).toContain(`id="${field}" name="${field}"`);
			if (field)
				expect(html, query).toMatch(new RegExp(`id="${field}" name="${field}"[^>]*aria-describedby="filter-error"`));
		}
	});
});

describe('GET /ui/images/:job/:index', () => {
	it('shows the picture and how it was made, with download, copy lines, iterate, variations and delete', async () => {
		const { ids, bindings, make } = await setup();
		const [alice, bob] = ids as [string, string];
		const image = await make(alice, 'a red "kite" & a blue sky', { seed: 42, negative_prompt: 'rain' });
		const browser = await signedInBrowser(bindings, alice);
		const { status, html } = await browser.page(`/ui/images/${image.job_id}/0`);
		expect(status).toBe(200);
		const text = unescapeHtml(html);
		expect(text).toContain(`<img src="${image.image_url}" alt="${image.prompt}" width="64" height="64"/>`);
		expect(text).toContain(`<dt>Prompt</dt><dd>${image.prompt}</dd>`);
		expect(text).toContain('<dt>Model</dt><dd>offline</dd>');
		expect(text).toContain('<dt>Seed</dt><dd>42</dd>');
		expect(text).toContain('<dt>Negative prompt</dt><dd>rain</dd>');
		expect(text).toContain('<dt>Estimated cost</dt><dd>$0.00</dd>');
		expect(text).toContain(`id="image-url" type="text" readonly="" value="${image.image_url}"`);
		expect(text).toContain(`id="image-markdown" type="text" readonly="" value="![`);
		const iterate = new URLSearchParams({ reference: image.image_url, prompt: image.prompt, model: 'offline' });
		expect(text).toContain(`href="/ui/generate?${iterate}"`);
		expect(html).toContain(`action="/ui/images/${image.job_id}/0/variations"`);
		expect(html).toContain(`href="/ui/images/${image.job_id}/0/delete"`);

		const file = await browser.get(`/ui/images/${image.job_id}/0/download`);
		expect(file.status).toBe(200);
		expect(file.headers.get('content-disposition')).toBe(
			`attachment; filename="a-red-kite-a-blue-sky-${image.job_id.slice(0, 8)}-0.png"`,
		);
		expect(file.headers.get('content-type')).toBe('image/png');
		const bytes = new Uint8Array(await file.arrayBuffer());
		expect([...bytes.slice(1, 4)].map((byte) => String.fromCharCode(byte)).join('')).toBe('PNG');

		// Someone else's image, or one that is not there, is not found; a bad address is 400.
		const bobs = await signedInBrowser(bindings, bob);
		expect((await bobs.page(`/ui/images/${image.job_id}/0`)).status).toBe(404);
		expect((await bobs.get(`/ui/images/${image.job_id}/0/download`)).status).toBe(404);
		expect((await browser.page(`/ui/images/${image.job_id}/7`)).status).toBe(404);
		expect((await browser.page('/ui/images/not-a-job/0')).status).toBe(404);
		expect((await browser.page(`/ui/images/${image.job_id}/x`)).status).toBe(400);
	});

	it('iterating shows the reference, and a variation links back to the job it came from', async () => {
		const { ids, bindings, make } = await setup();
		const [alice] = ids as [string];
		const parent = await make(alice, 'a lantern in fog');
		const child = await make(alice, 'the same lantern at dawn', { reference_images: [parent.image_url] });
		const browser = await signedInBrowser(bindings, alice);
		const childPage = await browser.page(`/ui/images/${child.job_id}/0`);
		expect(childPage.html).toContain(
			`<dt>Reference images</dt><dd><ul class="plain"><li><a href="/ui/images/${parent.job_id}/0">image://${parent.job_id}/0</a>`,
		);

		const csrf = hiddenValue(childPage.html, 'csrf');
		const made = await browser.send(`/ui/images/${parent.job_id}/0/variations`, { csrf, count: '2' });
		expect(made.status).toBe(303);
		const location = new URL(made.headers.get('location')!, BASE);
		const jobIds = [location.pathname.split('/').at(-1)!, ...(location.searchParams.get('also') ?? '').split(',')];
		expect(jobIds).toHaveLength(2);
		for (const jobId of jobIds) await runJob({ ...env, ...bindings } as Env, jobId, 1);
		const variation = await browser.page(`/ui/images/${jobIds[0]}/0`);
		expect(variation.html).toContain(
			`<dt>Variation of</dt><dd><a href="/ui/images/${parent.job_id}/0">job ${parent.job_id}</a></dd>`,
		);
		const metadata = (await callAs(bindings, alice, 'get_image', { job_id: jobIds[0] })).structuredContent as {
			parent_job_id: string;
		};
		expect(metadata.parent_job_id).toBe(parent.job_id);

		const refused = await browser.send(`/ui/images/${parent.job_id}/0/variations`, { csrf, count: '9' });
		expect(refused.status).toBe(400);
		expect(unescapeHtml(await refused.text())).toContain('count: Too big; allowed: 1–8');
	});
});

describe('deleting an image', () => {
	it('asks first, then deletes: the gallery says so and the URL is gone', async () => {
		const { ids, bindings, make } = await setup();
		const [alice, bob] = ids as [string, string];
		const image = await make(alice, 'a glass of water');
		const browser = await signedInBrowser(bindings, alice);
		const confirm = await browser.page(`/ui/images/${image.job_id}/0/delete`);
		expect(confirm.status).toBe(200);
		expect(confirm.html).toContain('Delete permanently');
		const csrf = hiddenValue(confirm.html, 'csrf');

		// Without the session's token, or as someone else, nothing is deleted.
		expect((await browser.send(`/ui/images/${image.job_id}/0/delete`, { csrf: 'forged' })).status).toBe(403);
		const bobs = await signedInBrowser(bindings, bob);
		const bobCsrf = hiddenValue((await bobs.page('/ui/gallery')).html, 'csrf');
		expect((await bobs.send(`/ui/images/${image.job_id}/0/delete`, { csrf: bobCsrf })).status).toBe(404);
		expect((await fetchWith(bindings, new URL(image.image_url).pathname)).status).toBe(200);

		const deleted = await browser.send(`/ui/images/${image.job_id}/0/delete`, { csrf });
		expect(deleted.status).toBe(303);
		expect(deleted.headers.get('location')).toBe('/ui/gallery?deleted=1');
		const gallery = await browser.page('/ui/gallery?deleted=1');
		expect(gallery.html).toContain('Image deleted. Its URL no longer works.');
		expect(linkedImages(gallery.html)).not.toContain(`${image.job_id}/0`);
		expect((await fetchWith(bindings, new URL(image.image_url).pathname)).status).toBe(410);
		expect((await browser.page(`/ui/images/${image.job_id}/0`)).status).toBe(404);
	});
});

describe("another user's gallery", () => {
	it('opens read-only for an admin, and is refused to a user', async () => {
		const { ids, bindings, make } = await setup([{ id: 'root', role: 'admin' }, { id: 'carol' }, { id: 'dave' }]);
		const [root, carol, dave] = ids as [string, string, string];
		const image = await make(carol, 'a quiet harbour');
		const admin = await signedInBrowser(bindings, root);

		const gallery = await admin.page(`/ui/users/${carol}/gallery`);
		expect(gallery.status).toBe(200);
		expect(gallery.html).toContain(`Gallery of ${carol}`);
		expect(gallery.html).toContain('read-only');
		expect(gallery.html).toContain(`href="/ui/images/${image.job_id}/0?owner=${carol}"`);
		const one = await admin.page(`/ui/images/${image.job_id}/0?owner=${carol}`);
		expect(one.status).toBe(200);
		expect(one.html).toContain(`An image of ${carol}`);
		expect(one.html).not.toContain('/variations"');
		expect(one.html).not.toContain('/delete"');
		expect((await admin.get(`/ui/images/${image.job_id}/0/download?owner=${carol}`)).status).toBe(200);
		// Without owner, it is not the admin's own image.
		expect((await admin.page(`/ui/images/${image.job_id}/0`)).status).toBe(404);

		const user = await signedInBrowser(bindings, dave);
		const refused = await user.page(`/ui/users/${carol}/gallery`);
		expect(refused.status).toBe(403);
		expect(refused.html).not.toContain(image.job_id);
		expect((await user.page(`/ui/images/${image.job_id}/0?owner=${carol}`)).status).toBe(403);
		// A user naming themself is just their own gallery.
		expect((await user.page(`/ui/users/${dave}/gallery`)).status).toBe(200);
	});
});

describe('browse_gallery and get_image over MCP', () => {
	it(`takes model, from, to and (for admins) owner; limit 1–${BROWSE_PAGE_MAX}`, async () => {
		const { ids, bindings, make } = await setup([{ id: 'root', role: 'admin' }, { id: 'erin' }]);
		const [root, erin] = ids as [string, string];
		const image = await make(erin, 'a paper boat');
		const today = new Date().toISOString().slice(0, 10);
		const listed = (await callAs(bindings, erin, 'browse_gallery', { model: 'offline', from: today, to: today }))
			.structuredContent as { owner: string; images: { job_id: string }[] };
		expect(listed.owner).toBe(erin);
		expect(listed.images.map((item) => item.job_id)).toEqual([image.job_id]);

		const asAdmin = (await callAs(bindings, root, 'browse_gallery', { owner: erin })).structuredContent as {
			owner: string;
			images: { job_id: string }[];
		};
		expect(asAdmin.owner).toBe(erin);
		expect(asAdmin.images.map((item) => item.job_id)).toEqual([image.job_id]);
		const refused = await callAs(bindings, erin, 'browse_gallery', { owner: root });
		expect(refused.isError).toBe(true);
		expect(refused.content[0]!.text).toContain("owner: reading another user's images needs the admin role");

		expect((await callAs(bindings, erin, 'browse_gallery', { limit: BROWSE_PAGE_MAX })).isError).toBeUndefined();
		const over = await callAs(bindings, erin, 'browse_gallery', { limit: BROWSE_PAGE_MAX + 1 });
		expect(over.content[0]!.text).toContain(`allowed: 1–${BROWSE_PAGE_MAX}`);

		// The text limits, at the maximum and one past it.
		const atModelMax = await callAs(bindings, erin, 'browse_gallery', { model: 'm'.repeat(MODEL_FILTER_MAX) });
		expect(atModelMax.structuredContent).toMatchObject({ total_count: 0 });
		const pastModelMax = await callAs(bindings, erin, 'browse_gallery', { model: 'm'.repeat(MODEL_FILTER_MAX + 1) });
		expect(pastModelMax.content[0]!.text).toContain('model: Too big');
		const atOwnerMax = await callAs(bindings, root, 'browse_gallery', { owner: 'u'.repeat(OWNER_ARGUMENT_MAX) });
		expect(atOwnerMax.structuredContent).toMatchObject({ total_count: 0 });
		const pastOwnerMax = await callAs(bindings, root, 'browse_gallery', { owner: 'u'.repeat(OWNER_ARGUMENT_MAX + 1) });
		expect(pastOwnerMax.content[0]!.text).toContain('owner: Too big');

		const details = (await callAs(bindings, root, 'get_image', { job_id: image.job_id, owner: erin }))
			.structuredContent as { owner: string; prompt: string; image_url: string };
		expect(details).toMatchObject({ owner: erin, prompt: 'a paper boat', image_url: image.image_url });
		expect((await callAs(bindings, root, 'get_image', { job_id: image.job_id })).isError).toBe(true);
	});

	it('GET /api/v1/images/{job_id}/{index} answers get_image', async () => {
		const { ids, bindings, make } = await setup();
		const [alice, bob] = ids as [string, string];
		const image = await make(alice, 'a violin');
		const read = (user: string, index = 0) =>
			fetchWith(bindings, `/api/v1/images/${image.job_id}/${index}`, {
				headers: { authorization: `Bearer token-${user}` },
			});
		const mine = await read(alice);
		expect(mine.status, await mine.clone().text()).toBe(200);
		expect(await mine.json()).toMatchObject({ job_id: image.job_id, index: 0, prompt: 'a violin', owner: alice });
		expect((await read(bob)).status).toBe(404);
		const bad = await read(alice, 99);
		expect(bad.status).toBe(400);
		expect(bad.headers.get('content-type')).toContain('application/problem+json');
	});
});
