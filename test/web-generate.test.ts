import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { MAX_COUNT, MAX_PROMPT_CHARS } from '../src/generation/request';
import { callAs, recordingQueue, usersEnv } from './helpers/users';
import { BASE, escapeHtml, fetchWith, hiddenValue, post, signedInBrowser, unescapeHtml, unique } from './helpers/web';

/** Every hidden input of the first form after `marker`, as posted pairs. */
function hiddenFieldsAfter(html: string, marker: string): [string, string][] {
	const start = html.indexOf(marker);
	expect(start, marker).toBeGreaterThanOrEqual(0);
	const form = html.slice(start, html.indexOf('</form>', start));
	return [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(
		(match) => [match[1]!, unescapeHtml(match[2]!)] as [string, string],
	);
}

/** The message shown under a form field, or null. */
function fieldError(html: string, field: string): string | null {
	const match = new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(html);
	return match ? unescapeHtml(match[1]!) : null;
}

const jobCount = (owner: string) =>
	env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(owner).first<number>('n');

const jobStatus = (id: string) =>
	env.DB.prepare('SELECT status FROM jobs WHERE id = ?').bind(id).first<string>('status');

/** A signed-in browser: its cookie, and the Generate form's CSRF token and idempotency key. */
async function browserFor(bindings: Partial<Env>, user: string) {
	const browser = await signedInBrowser(bindings, user);
	const form = await browser.page('/ui/generate');
	const csrf = hiddenValue(form.html, 'csrf');
	return {
		...browser,
		csrf,
		/** Posts the Generate form with a fresh idempotency key unless one is given. */
		generate: (fields: Record<string, string>) =>
			fetchWith(
				bindings,
				'/ui/generate',
				post({ csrf, idempotency_key: crypto.randomUUID(), ...fields }, { cookie: browser.cookie }),
			),
	};
}

/** The job ids a Generate redirect names: the path's, then `also`'s. */
function jobIdsOf(location: string | null): string[] {
	expect(location).toMatch(/^\/ui\/jobs\/[0-9a-f-]{36}(\?also=[0-9a-f,-]+)?$/);
	const url = new URL(location!, BASE);
	const also = url.searchParams.get('also');
	return [url.pathname.split('/').at(-1)!, ...(also ? also.split(',') : [])];
}

const FREE = { prompt: 'a paper kite over the sea', model: 'offline', size: '64x64' };

async function setup(extra: Partial<Env> = {}, users = ['alice']) {
	const ids = users.map(unique);
	const { queue, sent } = recordingQueue();
	const bindings = await usersEnv(
		ids.map((id) => ({ id })),
		{ JOBS: queue, ...extra },
	);
	const run = (jobId: string) => runJob({ ...env, ...bindings } as Env, jobId, 1);
	return { ids, bindings, sent, run };
}

describe('GET /ui/generate', () => {
	it('lists every configured model with its cost, sizes and options, and estimates the cost', async () => {
		const { ids, bindings } = await setup({ OPENAI_API_KEY: 'test' });
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const { status, html } = await browser.page('/ui/generate?model=dall-e-2');
		expect(status).toBe(200);
		const listed = (await callAs(bindings, alice, 'list_models')).structuredContent as {
			models: { name: string; cost: string; size: string; estimated_cost_usd_per_image: number }[];
		};
		expect(listed.models.map((model) => model.name)).toEqual(expect.arrayContaining(['offline', 'dall-e-2']));
		for (const model of listed.models) {
			expect(html).toContain(`<option value="${model.name}"`);
			expect(html).toContain(`(${escapeHtml(model.cost)})</option>`);
			expect(html).toContain(`data-cost="${model.estimated_cost_usd_per_image}"`);
			expect(html).toContain(`<h3 id="model-${model.name}-title">${model.name}</h3>`);
			expect(html).toContain(`<dd>${escapeHtml(model.size)}</dd>`);
		}
		// The chosen model's facts, its sizes to pick from, and the estimate for one image.
		expect(html).toMatch(/<option value="dall-e-2" selected=""/);
		expect(html).toContain('<h2 id="model-facts-title">About dall-e-2</h2>');
		expect(html).toContain('<option value="1024x1024"></option>');
		expect(html).toContain('Estimated cost: $0.02 (1 × $0.02), an estimate');
		// Every field has a label; no inline script or style, which the CSP would block.
		for (const field of ['prompt', 'model', 'count', 'size', 'image_size', 'seed', 'negative_prompt', 'style']) {
			expect(html).toContain(`<label for="${field}">`);
		}
		expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
		expect(html).not.toMatch(/\sstyle="/);
	});

	it('fills the form from ?prompt=&model=&reference=, ticking a reference that is one of my latest images', async () => {
		const { ids, bindings, run } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const prompt = 'a lighthouse & "its" keeper';
		const outside = 'https://example.com/cat.png';
		const filled = await browser.page(
			`/ui/generate?${new URLSearchParams({ prompt, model: 'offline', reference: outside })}`,
		);
		expect(filled.html).toContain(`>${escapeHtml(prompt)}</textarea>`);
		expect(filled.html).toMatch(/<option value="offline" selected=""/);
		expect(filled.html).toContain(`name="reference_url" type="url" value="${outside}"`);

		const [jobId] = jobIdsOf((await browser.generate(FREE)).headers.get('location'));
		await run(jobId!);
		const { image_url } = (await callAs(bindings, alice, 'get_job_status', { job_id: jobId })).structuredContent as {
			image_url: string;
		};
		const iterate = await browser.page(`/ui/generate?${new URLSearchParams({ prompt, reference: image_url })}`);
		expect(iterate.html).toContain(`name="reference" value="${image_url}" checked=""`);
		expect(iterate.html).toContain('name="reference_url" type="url" value=""');

		const unknown = await browser.page('/ui/generate?model=no-such-model');
		expect(unknown.html).toContain('The model &quot;no-such-model&quot; is not offered here');
		expect(unknown.html).toMatch(/<option value="" selected=""/);
	});

	it("offers no form in read-only mode, refuses a post and creates nothing; jobs can't be cancelled", async () => {
		const { ids, bindings } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const [jobId] = jobIdsOf((await browser.generate(FREE)).headers.get('location'));
		const readOnly = { ...bindings, READ_ONLY: 'true' };
		const get = (path: string) => fetchWith(readOnly, path, { headers: { cookie: browser.cookie } });

		const form = await get('/ui/generate');
		expect(form.status).toBe(403);
		const text = await form.text();
		expect(text).toContain('This server is read-only');
		expect(text).not.toContain('id="generate-form"');
		const posted = await fetchWith(
			readOnly,
			'/ui/generate',
			post({ csrf: browser.csrf, idempotency_key: crypto.randomUUID(), ...FREE }, { cookie: browser.cookie }),
		);
		expect(posted.status).toBe(403);
		expect(await jobCount(alice)).toBe(1);

		const jobPage = await (await get(`/ui/jobs/${jobId}`)).text();
		expect(jobPage).toContain('Queued');
		expect(jobPage).not.toContain('/cancel"');
		expect(jobPage).not.toContain('href="/ui/generate');
		expect(await (await get('/ui/jobs')).text()).not.toContain('/cancel"');
		const cancel = await fetchWith(
			readOnly,
			`/ui/jobs/${jobId}/cancel`,
			post({ csrf: browser.csrf }, { cookie: browser.cookie }),
		);
		expect(cancel.status).toBe(403);
		expect(await jobStatus(jobId!)).toBe('pending');
	});
});

describe('POST /ui/generate', () => {
	it('creates exactly one job and goes to its page; the same form sent twice creates it once', async () => {
		const { ids, bindings, sent } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const key = crypto.randomUUID();
		const first = await browser.generate({ ...FREE, idempotency_key: key });
		expect(first.status).toBe(303);
		const [jobId] = jobIdsOf(first.headers.get('location'));
		expect(first.headers.get('location')).toBe(`/ui/jobs/${jobId}`);
		const again = await browser.generate({ ...FREE, idempotency_key: key });
		expect(again.status).toBe(303);
		expect(again.headers.get('location')).toBe(`/ui/jobs/${jobId}`);
		expect(await jobCount(alice)).toBe(1);
		expect(sent).toEqual([{ jobId }]);

		// The same key with a changed prompt (the back button) is another request: not sent, said so.
		const changed = await browser.generate({ ...FREE, prompt: 'a paper boat', idempotency_key: key });
		expect(changed.status).toBe(409);
		const html = await changed.text();
		expect(html).toContain('your changed request was not sent');
		expect(hiddenValue(html, 'idempotency_key')).not.toBe(key);
		expect(await jobCount(alice)).toBe(1);
	});

	it('maps the fields to generate_image: seed, negative prompt, aspect ratio, count; empty ones take my defaults', async () => {
		const { ids, bindings } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const many = await browser.generate({
			prompt: '  a red fox  ',
			model: 'offline',
			size: '16:9',
			count: '3',
			seed: '7',
			negative_prompt: 'blur',
			style: '',
			image_size: '',
			reference_url: '',
		});
		const jobIds = jobIdsOf(many.headers.get('location'));
		expect(jobIds).toHaveLength(3);
		const job = (await callAs(bindings, alice, 'get_job_status', { job_id: jobIds[1] })).structuredContent;
		expect(job).toMatchObject({
			prompt: 'a red fox',
			model: 'offline',
			seed: 8,
			negative_prompt: 'blur',
			aspect_ratio: '16:9',
		});

		// No model and no size in the form: my Settings apply inside the operation.
		await callAs(bindings, alice, 'set_preferences', { default_model: 'offline', default_size: '96x80' });
		const plain = await browser.generate({ prompt: 'a blue fox', model: '', size: '' });
		const [plainId] = jobIdsOf(plain.headers.get('location'));
		const defaults = (await callAs(bindings, alice, 'get_job_status', { job_id: plainId })).structuredContent;
		expect(defaults).toMatchObject({ model: 'offline', width: 96, height: 80 });
		const form = await browser.page('/ui/generate');
		expect(form.html).toContain('My default: offline</option>');
		expect(form.html).toContain('Empty: your default (96x80)');
	});

	it('takes up to the largest count, each image its own job on one page', async () => {
		const { ids, bindings, sent } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const response = await browser.generate({ ...FREE, count: String(MAX_COUNT) });
		const jobIds = jobIdsOf(response.headers.get('location'));
		expect(jobIds).toHaveLength(MAX_COUNT);
		expect(sent).toHaveLength(MAX_COUNT);
		const page = await browser.page(response.headers.get('location')!);
		expect(page.html).toContain(`<h1>Generation of ${MAX_COUNT} images</h1>`);
		expect(page.html.match(/<li class="job-card"/g)).toHaveLength(MAX_COUNT);
		expect(page.html).toContain(`${MAX_COUNT} images: ${MAX_COUNT} queued.`);
	});

	it('re-renders bad input with the message on its field, status 400, and creates nothing', async () => {
		const { ids, bindings, sent } = await setup({ OPENAI_API_KEY: 'test' });
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const cases: { fields: Record<string, string>; field: string; says: string }[] = [
			{ fields: { count: String(MAX_COUNT + 1) }, field: 'count', says: `count: Too big; allowed: 1–${MAX_COUNT}` },
			{ fields: { count: 'three' }, field: 'count', says: 'count: ' },
			{ fields: { count: '0' }, field: 'count', says: `count: Too small; allowed: 1–${MAX_COUNT}` },
			{
				fields: { prompt: 'x'.repeat(MAX_PROMPT_CHARS + 1) },
				field: 'prompt',
				says: `prompt: is longer than ${MAX_PROMPT_CHARS} characters`,
			},
			{ fields: { prompt: '   ' }, field: 'prompt', says: 'prompt: must not be empty' },
			{ fields: { model: 'no-such-model' }, field: 'model', says: 'model: unknown model "no-such-model"' },
			{
				fields: { model: 'dall-e-2', size: '1024x1024', negative_prompt: 'blur' },
				field: 'negative_prompt',
				says: 'negative_prompt: dall-e-2 does not take a negative prompt',
			},
			{ fields: { size: 'huge' }, field: 'size', says: 'size: "huge" is neither an aspect ratio' },
			{ fields: { size: '4096x4096' }, field: 'size', says: "width: 4096 is outside offline's range" },
			{ fields: { size: '7:3' }, field: 'size', says: 'aspect_ratio: ' },
			{ fields: { model: 'dall-e-2', size: '640x480' }, field: 'size', says: 'width/height: dall-e-2 makes only' },
			{ fields: { image_size: '2K' }, field: 'image_size', says: 'image_size: offline is sized by width/height' },
			{ fields: { seed: '-1' }, field: 'seed', says: 'seed: Too small' },
			{ fields: { style: 'no-such-style' }, field: 'style', says: 'style: no style "no-such-style"' },
			{
				fields: { reference_url: 'http://example.com/cat.png' },
				field: 'reference',
				says: 'reference_images[0]: ',
			},
		];
		for (const { fields, field, says } of cases) {
			const response = await browser.generate({ ...FREE, ...fields });
			const html = await response.text();
			expect([response.status, fieldError(html, field)], JSON.stringify(fields)).toEqual([
				400,
				expect.stringContaining(says),
			]);
			if (field !== 'reference') expect(html).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
			expect(html).toContain(`aria-describedby="${field}-hint ${field}-error"`);
			// What was sent is shown again to correct.
			if (fields.size) expect(html).toContain(`name="size" list="size-options" value="${escapeHtml(fields.size)}"`);
		}
		// Several fields wrong at once: each says its own part, the size's too.
		const several = await (
			await browser.generate({ prompt: '', size: 'huge', count: String(MAX_COUNT + 1), seed: '-1' })
		).text();
		expect(fieldError(several, 'prompt')).toMatch(/^prompt: must not be empty\./);
		expect(fieldError(several, 'count')).toMatch(/^count: Too big; allowed: 1–\d+\./);
		expect(fieldError(several, 'seed')).toMatch(/^seed: Too small/);
		expect(fieldError(several, 'count')).not.toContain('seed:');
		expect(fieldError(several, 'size')).toContain('size: "huge" is neither');
		expect(await jobCount(alice)).toBe(0);
		expect(sent).toEqual([]);
	});

	it('shows the quote above the threshold and starts the job only with its confirmation', async () => {
		const { ids, bindings, sent } = await setup({ OPENAI_API_KEY: 'test', CONFIRM_ABOVE_USD: '0.01' });
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const priced = { prompt: 'a paper boat', model: 'dall-e-2', size: '1024x1024', count: '2' };
		const quoted = await browser.generate(priced);
		expect(quoted.status).toBe(200);
		const html = await quoted.text();
		expect(html).toContain('Confirm this generation');
		expect(html).toContain('2 images with dall-e-2, estimated at <strong>$0.04</strong>: above the $0.01');
		expect(html).toContain('Nothing has been made yet.');
		expect(await jobCount(alice)).toBe(0);

		const confirm = hiddenFieldsAfter(html, '<section class="card quote"');
		expect(confirm.map(([name]) => name)).toEqual(expect.arrayContaining(['csrf', 'confirmation', 'idempotency_key']));
		const confirmed = await browser.send('/ui/generate', confirm);
		expect(confirmed.status).toBe(303);
		const jobIds = jobIdsOf(confirmed.headers.get('location'));
		expect(jobIds).toHaveLength(2);
		expect(await jobCount(alice)).toBe(2);
		expect(sent).toHaveLength(2);
		// Pressed twice: the same jobs, not two more.
		const twice = await browser.send('/ui/generate', confirm);
		expect(twice.headers.get('location')).toBe(confirmed.headers.get('location'));
		expect(await jobCount(alice)).toBe(2);
	});

	it("asks above my own threshold from Settings, and refuses another call's token with a new quote", async () => {
		const { ids, bindings } = await setup({ OPENAI_API_KEY: 'test' });
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const priced = { prompt: 'a paper boat', model: 'dall-e-2', size: '1024x1024' };
		expect((await browser.generate(priced)).status).toBe(303);
		await callAs(bindings, alice, 'set_preferences', { confirm_above_usd: 0.01 });
		const quoted = await (await browser.generate(priced)).text();
		expect(quoted).toContain('1 image with dall-e-2, estimated at <strong>$0.02</strong>');
		const token = hiddenValue(quoted.slice(quoted.indexOf('<section class="card quote"')), 'confirmation');
		const other = await browser.generate({ ...priced, prompt: 'a paper plane', confirmation: token });
		expect(other.status).toBe(200);
		const again = await other.text();
		expect(again).toContain('confirmation: that token was given for a different call');
		expect(again).toContain('Confirm this generation');
		expect(await jobCount(alice)).toBe(1);
	});

	it('says a budget refusal plainly with 429 and creates nothing', async () => {
		const alice = unique('alice');
		const { queue, sent } = recordingQueue();
		const bindings = await usersEnv([{ id: alice, daily_budget_usd: 0.01 }], { OPENAI_API_KEY: 'test', JOBS: queue });
		const browser = await browserFor(bindings, alice);
		const response = await browser.generate({ prompt: 'a paper boat', model: 'dall-e-2', size: '1024x1024' });
		expect(response.status).toBe(429);
		const html = await response.text();
		expect(html).toContain('<p class="alert" role="alert" id="general-error">Daily budget reached');
		expect(html).toContain('>a paper boat</textarea>');
		expect(await jobCount(alice)).toBe(0);
		expect(sent).toEqual([]);
	});
});

describe('job pages', () => {
	it('shows the status while queued, then the images when done; status.json says the same', async () => {
		const { ids, bindings, run } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const [jobId] = jobIdsOf((await browser.generate({ ...FREE, seed: '42' })).headers.get('location'));

		const queued = await browser.page(`/ui/jobs/${jobId}`);
		expect(queued.status).toBe(200);
		expect(queued.html).toContain('<p class="summary" id="job-summary" role="status" aria-live="polite"');
		expect(queued.html).toContain('Queued.</p>');
		expect(queued.html).toContain('<noscript><meta http-equiv="refresh" content="2"></noscript>');
		// Only inside <noscript>: with script the page polls instead of reloading.
		expect(queued.html.slice(0, queued.html.indexOf('</head>'))).not.toContain('refresh');
		expect(queued.html).toContain(`action="/ui/jobs/${jobId}/cancel"`);
		expect(queued.html).toContain('<dd class="prompt">a paper kite over the sea</dd>');
		expect(queued.html).toContain('<dd>offline</dd>');
		const pending = await (await browser.get(`/ui/jobs/${jobId}/status.json`)).json();
		expect(pending).toMatchObject({ job_id: jobId, status: 'pending', done: false, images: [] });

		await run(jobId!);
		const done = await browser.page(`/ui/jobs/${jobId}`);
		expect(done.html).toContain('Done.</p>');
		expect(done.html).toMatch(
			new RegExp(`<a class="thumb" href="/ui/images/${jobId}/0"><img src="[^"]*/images/${jobId}/0\\.png\\?w=320"`),
		);
		expect(done.html).not.toContain('http-equiv="refresh"');
		expect(done.html).not.toContain('/cancel"');
		expect(done.html).toContain(`href="/ui/generate?prompt=a+paper+kite+over+the+sea&amp;model=offline"`);
		const response = await browser.get(`/ui/jobs/${jobId}/status.json`);
		expect(response.headers.get('cache-control')).toBe('no-store');
		const finished = (await response.json()) as { status: string; done: boolean; images: { index: number }[] };
		expect(finished).toMatchObject({ status: 'completed', done: true, seed: 42 });
		expect(finished.images.map((image) => image.index)).toEqual([0]);
	});

	it("shows a call's jobs together as they finish", async () => {
		const { ids, bindings, run } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const location = (await browser.generate({ ...FREE, count: '2' })).headers.get('location')!;
		const [first, second] = jobIdsOf(location);
		await run(second!);
		const page = await browser.page(location);
		expect(page.html).toContain('2 images: 1 done, 1 queued.');
		expect(page.html).toContain(`href="/ui/images/${second}/0"`);
		expect(page.html).not.toContain(`href="/ui/images/${first}/0"`);
		expect(page.html).toContain('Cancel the unfinished jobs');
		const active = (await (await browser.get('/ui/jobs/active.json')).json()) as { jobs: { job_id: string }[] };
		expect(active.jobs.map((job) => job.job_id)).toEqual([first]);
	});

	it('cancels with the form, refuses a cancel without the CSRF token, and says when there was nothing to cancel', async () => {
		const { ids, bindings } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const [jobId] = jobIdsOf((await browser.generate(FREE)).headers.get('location'));

		for (const csrf of ['', 'forged']) {
			const refused = await browser.send(`/ui/jobs/${jobId}/cancel`, { csrf });
			expect(refused.status).toBe(403);
		}
		const crossSite = await fetchWith(
			bindings,
			`/ui/jobs/${jobId}/cancel`,
			post({ csrf: browser.csrf }, { cookie: browser.cookie, origin: 'https://evil.example' }),
		);
		expect(crossSite.status).toBe(403);
		expect(await jobStatus(jobId!)).toBe('pending');

		const cancelled = await browser.send(`/ui/jobs/${jobId}/cancel`, { csrf: browser.csrf });
		expect(cancelled.status).toBe(303);
		expect(cancelled.headers.get('location')).toBe(`/ui/jobs/${jobId}?cancelled=1`);
		expect(await jobStatus(jobId!)).toBe('cancelled');
		const page = await browser.page(`/ui/jobs/${jobId}?cancelled=1`);
		expect(page.html).toContain('Cancelled the job');
		expect(page.html).toContain('Cancelled.</p>');

		const again = await browser.send(`/ui/jobs/${jobId}/cancel`, { csrf: browser.csrf, next: 'list' });
		expect(again.headers.get('location')).toBe('/ui/jobs?cancelled=0');
		expect((await browser.page('/ui/jobs?cancelled=0')).html).toContain('Nothing to cancel');
	});

	it("keeps bob out of alice's jobs: 404 to see, to poll and to cancel; bad ids are 400 or 404, never 500", async () => {
		const { ids, bindings } = await setup({}, ['alice', 'bob']);
		const [alice, bob] = ids as [string, string];
		const aliceBrowser = await browserFor(bindings, alice);
		const bobBrowser = await browserFor(bindings, bob);
		const [jobId] = jobIdsOf((await aliceBrowser.generate(FREE)).headers.get('location'));
		const [bobJob] = jobIdsOf((await bobBrowser.generate(FREE)).headers.get('location'));

		const seen = await bobBrowser.page(`/ui/jobs/${jobId}`);
		expect(seen.status).toBe(404);
		expect(seen.html).not.toContain('paper kite');
		expect((await bobBrowser.get(`/ui/jobs/${jobId}/status.json`)).status).toBe(404);
		expect((await bobBrowser.send(`/ui/jobs/${jobId}/cancel`, { csrf: bobBrowser.csrf })).status).toBe(404);
		expect(await jobStatus(jobId!)).toBe('pending');
		// Named beside bob's own job, alice's is left out.
		const beside = await bobBrowser.page(`/ui/jobs/${bobJob}?also=${jobId}`);
		expect(beside.html).not.toContain(jobId);
		expect(beside.html.match(/<li class="job-card"/g)).toHaveLength(1);
		expect((await bobBrowser.page('/ui/jobs')).html).not.toContain(jobId);

		expect((await aliceBrowser.page(`/ui/jobs/${crypto.randomUUID()}`)).status).toBe(404);
		expect((await aliceBrowser.page('/ui/jobs/not-a-job')).status).toBe(404);
		expect((await aliceBrowser.page(`/ui/jobs/${'x'.repeat(101)}`)).status).toBe(400);
		expect((await aliceBrowser.get(`/ui/jobs/${'x'.repeat(101)}/status.json`)).status).toBe(400);
		expect((await aliceBrowser.page(`/ui/jobs/${'x'.repeat(101)}`)).html).toContain('Not a job id');
	});

	it('lists my jobs in progress with cancel buttons and the finished ones below; empty, it says so', async () => {
		const { ids, bindings, run } = await setup();
		const [alice] = ids as [string];
		const browser = await browserFor(bindings, alice);
		const empty = await browser.page('/ui/jobs');
		expect(empty.html).toContain('You have no jobs yet.');
		expect(empty.html).toContain('Nothing in progress.');
		expect(empty.html).not.toContain('http-equiv="refresh"');

		const [running] = jobIdsOf((await browser.generate({ ...FREE, prompt: 'still going' })).headers.get('location'));
		const [finished] = jobIdsOf((await browser.generate({ ...FREE, prompt: 'all done' })).headers.get('location'));
		await run(finished!);
		const { html } = await browser.page('/ui/jobs');
		const [inProgress, recent] = html.split('<h2 id="finished-title">');
		expect(inProgress).toContain(`data-job-id="${running}"`);
		expect(inProgress).toContain(`action="/ui/jobs/${running}/cancel"`);
		expect(inProgress).toContain('aria-label="Cancel: still going"');
		expect(inProgress).not.toContain(finished);
		expect(recent).toContain(`<a href="/ui/jobs/${finished}">all done</a>`);
		expect(recent).not.toContain(running);
		expect(html).toContain('<noscript><meta http-equiv="refresh" content="5"></noscript>');
		expect(html).not.toContain('You have no jobs yet.');

		const cancelled = await browser.send(`/ui/jobs/${running}/cancel`, { csrf: browser.csrf, next: 'list' });
		expect(cancelled.headers.get('location')).toBe('/ui/jobs?cancelled=1');
		const after = await browser.page('/ui/jobs?cancelled=1');
		expect(after.html).toContain('Cancelled the job');
		expect(after.html).toContain('Nothing in progress.');
	});
});

describe('assets', () => {
	it('serves the Generate and Jobs scripts in the one app.js', async () => {
		const { ids, bindings } = await setup();
		const browser = await browserFor(bindings, ids[0]!);
		const script = await (await browser.get('/ui/assets/app.js')).text();
		expect(script).toContain("document.getElementById('generate-form')");
		expect(script).toContain("'/ui/jobs/active.json'");
		expect(script).toContain("'w=320'");
	});
});
