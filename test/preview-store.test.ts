/**
 * Previews of finished images, and what is derived from an image (its preview, its transforms)
 * going with it: through the real queue, consumer, fetch handler, cron handler, local R2 and
 * the local Images binding.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import { getDb } from '../src/db/client';
import { claimTransforms } from '../src/jobs/image-removal';
import { runMaintenance } from '../src/scheduled';
import { deleteImages, R2_DELETE_MAX_KEYS, readPreview } from '../src/storage/bucket';
import { encodePng } from '../src/storage/png';
import {
	ensurePreview,
	makePreview,
	PREVIEW_CONTENT_TYPE,
	PREVIEW_MAX_BYTES,
	PREVIEW_MAX_EDGE,
	PREVIEW_MIN_EDGE,
	PREVIEW_QUALITIES,
	previewKey,
} from '../src/storage/previews';
import { sniffOutput } from '../src/storage/sniff';
import {
	type ImageTransformer,
	imagesBindingTransformer,
	makeStoredTransform,
	type TransformSpec,
} from '../src/storage/transform';
import { base64, countR2Objects, insertFluxJob, insertJob, readJobRow } from './helpers/fixtures';
import { BASE, callTool, textJson } from './helpers/mcp';

const DAY_MS = 24 * 60 * 60 * 1000;
const binding = () => imagesBindingTransformer(env.IMAGE_TRANSFORMS);

async function finishedImage(width = 256, height = 192, overrides: Partial<Env> = {}): Promise<string> {
	const job = await insertJob({ params: { width, height, steps: 4 } });
	expect(await runJob({ ...env, ...overrides }, job.id, 1)).toEqual({ action: 'ack' });
	expect(await readJobRow(job.id)).toMatchObject({ status: 'completed' });
	return `${job.id}/0`;
}

async function keysUnder(prefix: string): Promise<string[]> {
	return (await env.IMAGES.list({ prefix })).objects.map((object) => object.key).sort();
}

/** Two transforms asked over HTTP, so the image has a preview and two kept transforms. */
async function withTransforms(key: string): Promise<void> {
	for (const query of ['.webp?w=40', '.avif?w=30&h=30&fit=cover']) {
		expect((await exports.default.fetch(`${BASE}/images/${key}${query}`)).status).toBe(200);
	}
	expect(await keysUnder(key)).toHaveLength(4);
}

describe('previews: one for every finished image', () => {
	it('a job run through the queue has a WebP preview beside its image, longest edge 512, within the byte cap', async () => {
		const result = textJson(
			await callTool('generate_image_and_wait', { prompt: 'a harbour', width: 1024, height: 768 }),
		);
		expect(result.status).toBe('completed');
		const key = `${result.job_id}/0`;
		expect(await keysUnder(String(result.job_id))).toEqual([key, previewKey(key)]);
		const stored = await env.IMAGES.head(previewKey(key));
		expect(stored?.httpMetadata?.contentType).toBe(PREVIEW_CONTENT_TYPE);
		const preview = (await readPreview(env.IMAGES, key))!;
		expect(preview.byteLength).toBeLessThanOrEqual(PREVIEW_MAX_BYTES);
		expect(sniffOutput(preview)).toEqual({
			contentType: 'image/webp',
			extension: 'webp',
			width: PREVIEW_MAX_EDGE,
			height: 384,
		});
	});

	it('keeps a smaller image at its own size', async () => {
		const key = await finishedImage(64, 48);
		expect(sniffOutput((await readPreview(env.IMAGES, key))!)).toMatchObject({ width: 64, height: 48 });
	});

	it('a preview that cannot be made never fails the job; ensurePreview makes it later and keeps it', async () => {
		const broken = {
			input() {
				throw new Error('Images binding unavailable');
			},
		} as unknown as ImagesBinding;
		const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
		const key = await finishedImage(128, 96, { IMAGE_TRANSFORMS: broken });
		expect(errors).toHaveBeenCalledWith(`preview of ${key}: not made`, expect.any(Error));
		errors.mockRestore();
		expect(await keysUnder(key)).toEqual([key]);

		const made = await ensurePreview(env.IMAGES, binding(), key);
		expect(sniffOutput(made!)).toMatchObject({ contentType: 'image/webp', width: 128, height: 96 });
		expect(await readPreview(env.IMAGES, key)).toEqual(made);
	});

	it('a provider image the binding cannot read still completes, without a preview', async () => {
		const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
		const job = await insertFluxJob();
		// Bytes that sniff as a JPEG header but hold no picture.
		const header = [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03];
		const ai = { run: async () => ({ image: base64(new Uint8Array([...header, ...new Array(16).fill(0)])) }) };
		await runJob({ ...env, AI: ai as unknown as Ai }, job.id, 1);
		errors.mockRestore();
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed' });
		expect(await keysUnder(job.id)).toEqual([`${job.id}/0`]);
	});

	it('with PREVIEWS=none the consumer makes none; the first use makes it', async () => {
		const key = await finishedImage(96, 64, { PREVIEWS: 'none' });
		expect(await keysUnder(key)).toEqual([key]);
		expect(sniffOutput((await ensurePreview(env.IMAGES, binding(), key))!)).toMatchObject({ width: 96 });
		expect(await keysUnder(key)).toEqual([key, previewKey(key)]);
	});

	it('ensurePreview gives null for an image not stored, and keeps nothing for one deleted meanwhile', async () => {
		expect(await ensurePreview(env.IMAGES, binding(), `${crypto.randomUUID()}/0`)).toBeNull();
		const key = await finishedImage(64, 48, { PREVIEWS: 'none' });
		const deletingTransformer: ImageTransformer = {
			async transform(bytes, spec) {
				await deleteImages(env.IMAGES, [{ key, transforms: false }]);
				return binding().transform(bytes, spec);
			},
		};
		expect(await ensurePreview(env.IMAGES, deletingTransformer, key)).toBeNull();
		expect(await keysUnder(key)).toEqual([]);
	});

	it('a transform of an image deleted while it was made is not kept either', async () => {
		const key = await finishedImage(64, 48);
		const deletingTransformer: ImageTransformer = {
			async transform(bytes, spec) {
				// Removal as it runs once the row is claimed: it lists the transforms.
				await deleteImages(env.IMAGES, [{ key, transforms: true }]);
				return binding().transform(bytes, spec);
			},
		};
		const spec: TransformSpec = { width: 10, fit: 'scale-down', format: 'image/webp' };
		const claim = () => claimTransforms(getDb(env), key);
		expect(await makeStoredTransform(env.IMAGES, deletingTransformer, key, spec, claim)).toBeNull();
		expect(await keysUnder(key)).toEqual([]);
	});

	it('keeps no transform of an image whose row is being removed, and marks the rows it keeps one for', async () => {
		const key = await finishedImage(64, 48);
		const spec: TransformSpec = { width: 10, fit: 'scale-down', format: 'image/webp' };
		const claim = () => claimTransforms(getDb(env), key);
		const hasTransforms = () =>
			env.DB.prepare('SELECT has_transforms AS t FROM images WHERE id = ?').bind(key).first('t');
		expect(await hasTransforms()).toBe(0);
		expect(await makeStoredTransform(env.IMAGES, binding(), key, spec, claim)).not.toBeNull();
		expect(await hasTransforms()).toBe(1);

		const other = await finishedImage(64, 48);
		// Marked removed, objects not deleted yet: the moment removal has read the row's flag.
		await env.DB.prepare("UPDATE images SET removed_at = 1, removed_reason = 'deleted' WHERE id = ?").bind(other).run();
		const lateClaim = () => claimTransforms(getDb(env), other);
		expect(await makeStoredTransform(env.IMAGES, binding(), other, spec, lateClaim)).toBeNull();
		expect(await keysUnder(other)).toEqual([other, previewKey(other)]);
	});
});

describe('makePreview: the byte cap', () => {
	/** A transformer whose output size depends on the spec, recording what it was asked. */
	function sized(size: (spec: TransformSpec) => number) {
		const asked: TransformSpec[] = [];
		const transformer: ImageTransformer = {
			async transform(_bytes, spec) {
				asked.push(spec);
				return { bytes: new Uint8Array(size(spec)), contentType: spec.format };
			},
		};
		return { transformer, asked };
	}
	const original = new Uint8Array(1);

	it('keeps a preview of exactly PREVIEW_MAX_BYTES at the first quality', async () => {
		const { transformer, asked } = sized(() => PREVIEW_MAX_BYTES);
		expect((await makePreview(transformer, original)).byteLength).toBe(PREVIEW_MAX_BYTES);
		expect(asked).toEqual([
			{
				width: PREVIEW_MAX_EDGE,
				height: PREVIEW_MAX_EDGE,
				fit: 'scale-down',
				format: PREVIEW_CONTENT_TYPE,
				quality: PREVIEW_QUALITIES[0],
			},
		]);
	});

	it('steps the quality down when one byte over, and keeps the first that fits', async () => {
		const { transformer, asked } = sized((spec) =>
			spec.quality === PREVIEW_QUALITIES[0] ? PREVIEW_MAX_BYTES + 1 : PREVIEW_MAX_BYTES - 1,
		);
		expect((await makePreview(transformer, original)).byteLength).toBe(PREVIEW_MAX_BYTES - 1);
		expect(asked.map((spec) => spec.quality)).toEqual([PREVIEW_QUALITIES[0], PREVIEW_QUALITIES[1]]);
	});

	it('halves the edge when the encoder ignores the quality, down to PREVIEW_MIN_EDGE at most', async () => {
		const fitsAt256 = sized((spec) => (spec.width! > 256 ? PREVIEW_MAX_BYTES + 1 : 1000));
		expect((await makePreview(fitsAt256.transformer, original)).byteLength).toBe(1000);
		expect(fitsAt256.asked.map((spec) => spec.width)).toEqual([512, 512, 256]);

		const neverFits = sized(() => PREVIEW_MAX_BYTES + 1);
		await makePreview(neverFits.transformer, original);
		expect(neverFits.asked.map((spec) => spec.width)).toEqual([512, 512, 256, 128, PREVIEW_MIN_EDGE]);
	});
});

describe('removed with the image: its preview and transforms', () => {
	it('delete_image removes the image, its preview and every transform', async () => {
		const key = await finishedImage();
		await withTransforms(key);
		expect(textJson(await callTool('delete_image', { image: key }))).toMatchObject({ deleted: true });
		expect(await keysUnder(key)).toEqual([]);
	});

	it('retention removes them with the expired image and leaves a newer image its own', async () => {
		const old = await finishedImage();
		const recent = await finishedImage();
		await withTransforms(old);
		await withTransforms(recent);
		await env.DB.prepare('UPDATE images SET created_at = ? WHERE id = ?')
			.bind(Date.now() - 31 * DAY_MS, old)
			.run();
		expect((await runMaintenance({ ...env, IMAGE_RETENTION_DAYS: '30' }, Date.now())).expiredImages).toBe(1);
		expect(await keysUnder(old)).toEqual([]);
		expect(await keysUnder(recent)).toHaveLength(4);
	});

	it('a cancel that discards a late result removes the image and preview the consumer wrote', async () => {
		const job = await insertFluxJob();
		const png = await encodePng(new Uint8Array(64 * 48 * 3).fill(200), 64, 48);
		const ai = {
			async run() {
				// The caller cancels while the provider works; its answer then arrives.
				expect(textJson(await callTool('cancel_job', { job_id: job.id }))).toMatchObject({ cancelled_count: 1 });
				return { image: base64(png) };
			},
		};
		expect(await runJob({ ...env, AI: ai as unknown as Ai }, job.id, 1)).toEqual({ action: 'ack' });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'cancelled' });
		expect(await countR2Objects(job.id)).toBe(0);
	});

	it('cancel_job removes what a crashed consumer left (image and preview); no transform of it was kept', async () => {
		const job = await insertJob({ status: 'processing', attempts: 1, startedAt: Date.now() });
		const key = `${job.id}/0`;
		const png = await encodePng(new Uint8Array(16 * 16 * 3).fill(90), 16, 16);
		for (const object of [key, previewKey(key)]) await env.IMAGES.put(object, png);
		// Its bytes are in R2 but its job never finished: a transform of it is not made or kept.
		const transform = await exports.default.fetch(`${BASE}/images/${key}.webp?w=8`);
		expect(transform.status).not.toBe(200);
		expect(await countR2Objects(job.id)).toBe(2);
		await callTool('cancel_job', { job_id: job.id });
		expect(await countR2Objects(job.id)).toBe(0);
	});
});

describe('deleteImages: batched within R2 limits', () => {
	/** The real bucket, with each delete call's key count recorded. */
	function recording() {
		const deletes: number[] = [];
		const bucket = new Proxy(env.IMAGES, {
			get(target, property) {
				if (property === 'delete') {
					return (keys: string | string[]) => {
						deletes.push(Array.isArray(keys) ? keys.length : 1);
						return target.delete(keys);
					};
				}
				const value = Reflect.get(target, property);
				return typeof value === 'function' ? value.bind(target) : value;
			},
		});
		return { bucket, deletes };
	}

	it.each([
		[R2_DELETE_MAX_KEYS, [R2_DELETE_MAX_KEYS]],
		[R2_DELETE_MAX_KEYS + 1, [R2_DELETE_MAX_KEYS, 1]],
	])('deletes %i derived objects of one image in calls of at most R2_DELETE_MAX_KEYS', async (count, calls) => {
		const key = `${crypto.randomUUID()}/0`;
		await env.IMAGES.put(key, new Uint8Array([1]));
		const derived = Array.from({ length: count }, (_, i) => `${key}/t/w${i + 1}-h--scale-down-q-.webp`);
		for (let start = 0; start < derived.length; start += 50) {
			await Promise.all(derived.slice(start, start + 50).map((name) => env.IMAGES.put(name, new Uint8Array([1]))));
		}
		const { bucket, deletes } = recording();
		await deleteImages(bucket, [{ key, transforms: true }]);
		// The image and its preview first, then its transforms.
		expect(deletes).toEqual([2, ...calls]);
		expect(await countR2Objects(key)).toBe(0);
	});
});
