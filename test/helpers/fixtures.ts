/** Test fixtures: jobs inserted straight into the real local D1, and a Workers AI stand-in. */
import { env } from 'cloudflare:workers';
import { getDb } from '../../src/db/client';
import { images, type JobRow, jobs } from '../../src/db/schema';

export async function insertJob(overrides: Partial<typeof jobs.$inferInsert> = {}): Promise<JobRow> {
	const now = Date.now();
	const [row] = await getDb(env)
		.insert(jobs)
		.values({
			id: crypto.randomUUID(),
			owner: 'default',
			status: 'pending',
			prompt: 'a lighthouse at dusk',
			model: 'offline',
			params: { width: 64, height: 48, steps: 4 },
			seed: 42,
			createdAt: now,
			updatedAt: now,
			...overrides,
		})
		.returning();
	return row!;
}

/** A pending FLUX.1 schnell job at its default 1024×1024 and 4 steps: a Workers AI job for the consumer tests. */
export function insertFluxJob(): Promise<JobRow> {
	return insertJob({ model: 'flux-schnell', params: { width: 1024, height: 1024, steps: 4 } });
}

export async function readJobRow(id: string): Promise<JobRow | null> {
	return (await getDb(env).query.jobs.findFirst({ where: (table, { eq }) => eq(table.id, id) })) ?? null;
}

export async function countImageRows(jobId: string): Promise<number> {
	return (
		(await env.DB.prepare('SELECT count(*) AS n FROM images WHERE job_id = ?').bind(jobId).first<number>('n')) ?? 0
	);
}

/** Every R2 object under `prefix`: a job's images with their previews and transforms. */
export async function countR2Objects(prefix: string): Promise<number> {
	return (await env.IMAGES.list({ prefix })).objects.length;
}

/** A job's images in R2 (`<job_id>/<index>`), without what is derived from them (`<job_id>/<index>/…`). */
export async function countStoredImages(jobId: string): Promise<number> {
	const { objects } = await env.IMAGES.list({ prefix: `${jobId}/` });
	return objects.filter((object) => !object.key.slice(jobId.length + 1).includes('/')).length;
}

/** Smallest JPEG header the sniffer accepts: SOI, APP0 (JFIF), SOF0 with the size, EOI. */
export function fakeJpeg(width: number, height: number): Uint8Array {
	return new Uint8Array([
		0xff,
		0xd8,
		0xff,
		0xe0,
		0x00,
		0x10,
		0x4a,
		0x46,
		0x49,
		0x46,
		0x00,
		0x01,
		0x01,
		0x00,
		0x00,
		0x01,
		0x00,
		0x01,
		0x00,
		0x00,
		0xff,
		0xc0,
		0x00,
		0x11,
		0x08,
		height >> 8,
		height & 0xff,
		width >> 8,
		width & 0xff,
		0x03,
		0x01,
		0x22,
		0x00,
		0x02,
		0x11,
		0x01,
		0x03,
		0x11,
		0x01,
		0xff,
		0xd9,
	]);
}

/**
 * Stands in for the Workers AI binding, which needs Cloudflare's network. Each call takes
 * the next scripted step: an Error to throw (shaped like the binding's errors) or an output
 * in one of the documented shapes (`{ image: base64 }` for FLUX, a byte stream for SDXL).
 */
export function scriptedAi(steps: (Error | unknown)[]) {
	const calls: { model: string; input: Record<string, unknown> }[] = [];
	const ai = {
		async run(model: string, input: Record<string, unknown>) {
			calls.push({ model, input });
			const step = steps.length > 1 ? steps.shift() : steps[0];
			if (step instanceof Error) throw step;
			return step;
		},
	};
	return { ai: ai as unknown as Ai, calls };
}

export function base64(bytes: Uint8Array): string {
	return btoa(String.fromCharCode(...bytes));
}

/**
 * A completed job of `owner` with one stored image of `bytes` (a 64×48 PNG as its row says),
 * inserted straight into D1 and R2, and its preview beside it when given.
 */
export async function insertStoredImage(
	bytes: Uint8Array,
	{
		owner = 'default',
		createdAt = Date.now(),
		preview,
		contentType = 'image/png',
	}: { owner?: string; createdAt?: number; preview?: Uint8Array; contentType?: string } = {},
): Promise<{ job: JobRow; key: string }> {
	const job = await insertJob({ owner, status: 'completed', createdAt, completedAt: createdAt });
	const key = `${job.id}/0`;
	await env.IMAGES.put(key, bytes, { httpMetadata: { contentType } });
	if (preview) await env.IMAGES.put(`${key}/preview.webp`, preview);
	await getDb(env).insert(images).values({
		id: key,
		jobId: job.id,
		idx: 0,
		owner,
		r2Key: key,
		contentType,
		width: 64,
		height: 48,
		bytes: bytes.length,
		seed: 42,
		createdAt,
	});
	return { job, key };
}
