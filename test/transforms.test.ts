/**
 * GET /images/<job_id>/<index>.<ext>?w=&h=&fit=&q=: on-the-fly transforms through the real
 * fetch handler, consumer, local R2 and the local Images binding. Every output is decoded from
 * its bytes (format and dimensions); refused requests leave nothing behind.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { sniffOutput } from '../src/storage/sniff';
import { FITS, TRANSFORM_LIMITS } from '../src/storage/transform';
import { insertJob, insertStoredImage } from './helpers/fixtures';
import { BASE, callTool } from './helpers/mcp';

/** A job the real consumer finished: a width × height offline PNG under `<job_id>/0`. */
async function finishedImage(width = 256, height = 192): Promise<string> {
	const job = await insertJob({ params: { width, height, steps: 4 } });
	expect(await runJob(env, job.id, 1)).toEqual({ action: 'ack' });
	return `${job.id}/0`;
}

function get(path: string, init?: RequestInit): Promise<Response> {
	return exports.default.fetch(new Request(`${BASE}/images/${path}`, init));
}

async function decoded(response: Response) {
	const bytes = new Uint8Array(await response.arrayBuffer());
	return { bytes, image: sniffOutput(bytes) };
}

async function storedTransforms(key: string): Promise<string[]> {
	return (await env.IMAGES.list({ prefix: `${key}/t/` })).objects.map((object) => object.key);
}

const FORMATS = [
	['png', 'image/png'],
	['jpeg', 'image/jpeg'],
	['jpg', 'image/jpeg'],
	['webp', 'image/webp'],
	['avif', 'image/avif'],
] as const;

/** 120×80 asked of a 256×192 image: cover and crop fill the box; contain and scale-down fit inside it (4:3). */
const EXPECTED_120x80: Record<(typeof FITS)[number], [number, number]> = {
	cover: [120, 80],
	crop: [120, 80],
	contain: [107, 80],
	'scale-down': [107, 80],
};

describe('transforms: every format and fit', () => {
	it.each(FORMATS)('.%s: each fit gives that format at the size the fit implies', async (extension, contentType) => {
		const key = await finishedImage();
		for (const fit of FITS) {
			const response = await get(`${key}.${extension}?w=120&h=80&fit=${fit}`);
			expect(response.status, fit).toBe(200);
			expect(response.headers.get('content-type')).toBe(contentType);
			expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
			expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
			expect(response.headers.get('access-control-allow-origin')).toBe('*');
			const { bytes, image } = await decoded(response);
			expect(Number(response.headers.get('content-length'))).toBe(bytes.byteLength);
			const [width, height] = EXPECTED_120x80[fit];
			expect(image, fit).toMatchObject({ contentType, width, height });
		}
	});

	it('enlarges with contain and cover but never with scale-down (the default when a size is given)', async () => {
		const key = await finishedImage(64, 48);
		const size = async (query: string) => (await decoded(await get(`${key}.webp?${query}`))).image;
		expect(await size('w=640&h=640&fit=contain')).toMatchObject({ width: 640, height: 480 });
		expect(await size('w=640&h=640&fit=cover')).toMatchObject({ width: 640, height: 640 });
		expect(await size('w=640&h=640&fit=scale-down')).toMatchObject({ width: 64, height: 48 });
		expect(await size('w=640')).toMatchObject({ width: 64, height: 48 });
		expect(await size('w=32')).toMatchObject({ width: 32, height: 24 });
		expect(await size('h=12')).toMatchObject({ width: 16, height: 12 });
	});

	it('converts without parameters to any other output extension, at the same size', async () => {
		const key = await finishedImage(96, 64);
		for (const [extension, contentType] of FORMATS.filter(([extension]) => extension !== 'png')) {
			const response = await get(`${key}.${extension}`);
			expect(response.status).toBe(200);
			expect((await decoded(response)).image).toEqual({
				contentType,
				extension: extension === 'jpeg' ? 'jpg' : extension,
				width: 96,
				height: 64,
			});
		}
	});

	it("serves the stored bytes as they are under the image's own extension or none, with conditional requests", async () => {
		const key = await finishedImage(96, 64);
		const stored = new Uint8Array(await (await env.IMAGES.get(key))!.arrayBuffer());
		for (const path of [`${key}.png`, key]) {
			const response = await get(path);
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('image/png');
			expect(response.headers.get('x-content-type-options')).toBe('nosniff');
			expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
			expect(new Uint8Array(await response.arrayBuffer())).toEqual(stored);
			const again = await get(path, { headers: { 'if-none-match': response.headers.get('etag')! } });
			expect(again.status).toBe(304);
		}
		expect(await storedTransforms(key)).toEqual([]);
	});

	it('answers a failed If-Match or If-Unmodified-Since with 412, a current copy with 304, with CORS on both', async () => {
		const key = await finishedImage(96, 64);
		for (const path of [`${key}.png`, `${key}.webp?w=32`]) {
			const first = await get(path);
			expect(first.status).toBe(200);
			await first.arrayBuffer();
			const etag = first.headers.get('etag')!;
			const past = 'Thu, 01 Jan 1970 00:00:00 GMT';
			const cases: [Record<string, string>, number][] = [
				[{ 'if-match': '"not-this-one"' }, 412],
				[{ 'if-unmodified-since': past }, 412],
				[{ 'if-match': '"not-this-one"', 'if-none-match': etag }, 412],
				[{ 'if-none-match': etag }, 304],
				[{ 'if-unmodified-since': past, 'if-none-match': etag }, 304],
				[{ 'if-match': etag }, 200],
				[{ 'if-match': '*' }, 200],
			];
			for (const [headers, status] of cases) {
				const response = await get(path, { headers });
				expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
				expect(response.headers.get('access-control-allow-origin')).toBe('*');
				await response.arrayBuffer();
			}
		}
	});

	it('serves an image stored as GIF under .gif, converts it to PNG, and refuses .gif of a PNG', async () => {
		// The smallest GIF: 1×1, one colour.
		const gif = Uint8Array.from(atob('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='), (character) =>
			character.charCodeAt(0),
		);
		const { key } = await insertStoredImage(gif, { contentType: 'image/gif' });
		const original = await get(`${key}.gif`);
		expect(original.status).toBe(200);
		expect(original.headers.get('content-type')).toBe('image/gif');
		expect(new Uint8Array(await original.arrayBuffer())).toEqual(gif);
		expect((await decoded(await get(`${key}.png`))).image).toMatchObject({ contentType: 'image/png', width: 1 });

		const png = await finishedImage(32, 32);
		const refused = await get(`${png}.gif`);
		expect(refused.status).toBe(400);
		expect(((await refused.json()) as { error: string }).error).toContain('stored as image/png, not GIF');
	});
});

describe('transforms: kept in R2 and served again like the image itself', () => {
	it('a repeat returns identical bytes and ETag from the one stored transform, and 304 when current', async () => {
		const key = await finishedImage();
		const first = await get(`${key}.webp?w=100&h=100&fit=cover&q=70`);
		const firstBytes = new Uint8Array(await first.arrayBuffer());
		expect(await storedTransforms(key)).toEqual([`${key}/t/w100-h100-cover-q70.webp`]);
		const second = await get(`${key}.webp?w=100&h=100&fit=cover&q=70`);
		expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
		expect(second.headers.get('content-type')).toBe('image/webp');
		expect(second.headers.get('access-control-allow-origin')).toBe('*');
		expect(new Uint8Array(await second.arrayBuffer())).toEqual(firstBytes);
		const current = await get(`${key}.webp?w=100&h=100&fit=cover&q=70`, {
			headers: { 'if-none-match': first.headers.get('etag')! },
		});
		expect(current.status).toBe(304);
		expect(await storedTransforms(key)).toHaveLength(1);
	});

	it('names equal outputs once: crop is cover, scale-down is the default, PNG has no quality', async () => {
		const key = await finishedImage();
		for (const query of ['w=50&h=50&fit=crop', 'w=50&h=50&fit=cover', 'h=50&w=50&fit=cover']) {
			expect((await get(`${key}.jpeg?${query}`)).status).toBe(200);
		}
		for (const query of ['w=50', 'w=50&fit=scale-down']) expect((await get(`${key}.jpg?${query}`)).status).toBe(200);
		for (const query of ['w=50&q=10', 'w=50&q=90']) expect((await get(`${key}.png?${query}`)).status).toBe(200);
		expect((await storedTransforms(key)).sort()).toEqual(
			[
				`${key}/t/w50-h50-cover-q-.jpeg`,
				`${key}/t/w50-h--scale-down-q-.jpeg`,
				`${key}/t/w50-h--scale-down-q-.png`,
			].sort(),
		);
	});

	it('answers HEAD like GET without a body, for a new and for a kept transform', async () => {
		const key = await finishedImage();
		const path = `${key}.avif?w=64`;
		const head = await get(path, { method: 'HEAD' });
		expect(head.status).toBe(200);
		expect(head.headers.get('content-type')).toBe('image/avif');
		expect((await head.arrayBuffer()).byteLength).toBe(0);
		const body = await get(path);
		expect(body.headers.get('etag')).toBe(head.headers.get('etag'));
		expect(Number(head.headers.get('content-length'))).toBe((await body.arrayBuffer()).byteLength);
		const headAgain = await get(path, { method: 'HEAD' });
		expect(headAgain.headers.get('etag')).toBe(head.headers.get('etag'));
		expect((await headAgain.arrayBuffer()).byteLength).toBe(0);
	});
});

describe('transforms: limits and bad input', () => {
	const { minSize, maxSize, minQuality, maxQuality } = TRANSFORM_LIMITS;

	it.each([
		['w', maxSize],
		['h', maxSize],
		['w', minSize],
		['h', minSize],
	])('accepts %s=%i, the limit', async (name, value) => {
		const key = await finishedImage(32, 24);
		const response = await get(`${key}.webp?${name}=${value}&fit=scale-down`);
		expect(response.status).toBe(200);
		const { image } = await decoded(response);
		expect(image?.contentType).toBe('image/webp');
		if (value === minSize) expect(Math.min(image!.width, image!.height)).toBeLessThanOrEqual(minSize);
	});

	it.each([
		['q', maxQuality],
		['q', minQuality],
	])('accepts %s=%i, the limit', async (name, value) => {
		const key = await finishedImage(32, 24);
		const response = await get(`${key}.jpeg?${name}=${value}`);
		expect(response.status).toBe(200);
		expect((await decoded(response)).image).toMatchObject({ contentType: 'image/jpeg', width: 32, height: 24 });
	});

	it('makes a 1×1 image at the smallest size', async () => {
		const key = await finishedImage(32, 24);
		const response = await get(`${key}.png?w=${minSize}&h=${minSize}&fit=cover`);
		expect((await decoded(response)).image).toMatchObject({ width: 1, height: 1 });
	});

	it.each([
		[`w=${maxSize + 1}`, `w: "${maxSize + 1}" is not allowed; give a whole number from ${minSize} to ${maxSize}.`],
		[`h=${maxSize + 1}`, `h: "${maxSize + 1}" is not allowed; give a whole number from ${minSize} to ${maxSize}.`],
		[`w=${minSize - 1}`, `w: "${minSize - 1}" is not allowed; give a whole number from ${minSize} to ${maxSize}.`],
		[`h=${minSize - 1}`, `h: "${minSize - 1}" is not allowed`],
		['w=99999', 'w: "99999" is not allowed'],
		[
			`q=${maxQuality + 1}`,
			`q: "${maxQuality + 1}" is not allowed; give a whole number from ${minQuality} to ${maxQuality}.`,
		],
		[`q=${minQuality - 1}`, `q: "${minQuality - 1}" is not allowed`],
		['w=1.5', 'w: "1.5" is not allowed'],
		['w=-3', 'w: "-3" is not allowed'],
		['w=', 'w: "" is not allowed'],
		['w=abc', 'w: "abc" is not allowed'],
		['fit=bogus', 'fit: "bogus" is not allowed; give one of cover, contain, scale-down, crop.'],
		['width=100', '"width" is not a transform parameter. Allowed: w, h, fit, q.'],
		['w=10&w=20', 'w: given more than once'],
	])('refuses ?%s with 400 naming what is allowed, and keeps nothing', async (query, message) => {
		const key = await finishedImage(32, 24);
		const response = await get(`${key}.webp?${query}`);
		expect(response.status).toBe(400);
		expect(response.headers.get('content-type')).toContain('application/json');
		expect(response.headers.get('cache-control')).toBe('no-store');
		expect(((await response.json()) as { error: string }).error).toContain(message);
		expect(await storedTransforms(key)).toEqual([]);
	});

	it.each([
		['0.gif?w=10', '.gif: transforms cannot output GIF. Use one of png, jpeg, jpg, webp, avif for a transform.'],
		['0.bmp', '.bmp: not an image format this server serves. Use png, jpeg, jpg, webp, avif, or gif'],
		['0.tiff?w=10', '.tiff: not an image format'],
		['0?w=10', 'A transform needs the output format as the file extension'],
	])('refuses %s with 400 naming the allowed extensions', async (file, message) => {
		const key = await finishedImage(32, 24);
		const response = await get(`${key.slice(0, -1)}${file}`);
		expect(response.status).toBe(400);
		expect(((await response.json()) as { error: string }).error).toContain(message);
		expect(await storedTransforms(key)).toEqual([]);
	});

	it('answers 404 for an unknown job and for a path that names no image', async () => {
		for (const path of [`${crypto.randomUUID()}/0.webp?w=10`, `${crypto.randomUUID()}/0.png`, 'not-a-job/0.webp']) {
			const response = await get(path);
			expect(response.status, path).toBe(404);
			expect(await response.json()).toEqual({ error: 'No such image.' });
		}
	});

	it('answers 404 saying so for a job still running, and 410 once the image is deleted', async () => {
		const running = await insertJob({ status: 'processing', attempts: 1, startedAt: Date.now() });
		const early = await get(`${running.id}/0.webp?w=10`);
		expect(early.status).toBe(404);
		expect(early.headers.get('cache-control')).toBe('no-store');
		expect(((await early.json()) as { error: string }).error).toBe(
			`This image is not finished yet: job ${running.id} is processing. Wait for it (wait_for_completion or get_job_status), then ask again.`,
		);
		expect((await env.IMAGES.list({ prefix: running.id })).objects).toEqual([]);

		const key = await finishedImage(32, 24);
		expect((await get(`${key}.webp?w=10`)).status).toBe(200);
		await callTool('delete_image', { image: key });
		for (const path of [`${key}.webp?w=10`, `${key}.avif?w=12`, `${key}.png`]) {
			const gone = await get(path);
			expect(gone.status, path).toBe(410);
			expect(await gone.json()).toMatchObject({ error: 'This image was deleted by its owner.', reason: 'deleted' });
		}
		expect((await env.IMAGES.list({ prefix: key })).objects).toEqual([]);
	});

	it('puts CORS on error answers too, so a page can read why an image failed', async () => {
		for (const path of [
			`${crypto.randomUUID()}/0.png`,
			`${crypto.randomUUID()}/0.webp?w=0`,
			`${crypto.randomUUID()}/0.bmp`,
		]) {
			const response = await get(path);
			expect(response.status).toBeGreaterThanOrEqual(400);
			expect(response.headers.get('access-control-allow-origin'), path).toBe('*');
			await response.arrayBuffer();
		}
	});
});
