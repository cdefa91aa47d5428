/**
 * Removing image bytes: retention (the cron expires images older than IMAGE_RETENTION_DAYS)
 * and `delete_image` (the owner). Only the R2 objects go (the image, its preview and its
 * transforms); the row stays, marked with when and why, so listings say "expired" or
 * "deleted" instead of handing out a dead link.
 *
 * Order matters: the object is deleted first, the row marked after. If marking fails, the
 * next run deletes the (already absent) object again and marks the row; the other order
 * could leave an object that nothing points at and nothing will ever delete.
 */
import { and, asc, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type ImageRemovedReason, type ImageRow, images, jobs } from '../db/schema';
import { deleteImages } from '../storage/bucket';
import { jobIdOfKey } from '../storage/images';

/**
 * Images per batch; rows are marked in one statement per batch. Each image costs one R2 list
 * (its preview and transforms, src/storage/bucket.ts `deleteImages`), so a batch is about
 * EXPIRE_BATCH + 4 calls to Cloudflare services.
 */
const EXPIRE_BATCH = 100;
/**
 * Batches per cron run: bounds one run's work; the next run goes on. 8 × 104 calls stays under
 * the 1,000 calls to Cloudflare services a Workers Free invocation may make, with room for the
 * sweeper's.
 */
const EXPIRE_MAX_BATCHES = 8;

const DAY_MS = 24 * 60 * 60 * 1000;

async function removeImages(
	db: Db,
	bucket: R2Bucket,
	rows: readonly Pick<ImageRow, 'id' | 'r2Key'>[],
	reason: ImageRemovedReason,
	now: number,
): Promise<number> {
	if (rows.length === 0) return 0;
	await deleteImages(
		bucket,
		rows.map((row) => row.r2Key),
	);
	const marked = await db
		.update(images)
		.set({ removedAt: now, removedReason: reason })
		.where(
			and(
				inArray(
					images.id,
					rows.map((row) => row.id),
				),
				isNull(images.removedAt),
			),
		)
		.returning({ id: images.id });
	return marked.length;
}

/**
 * Deletes the objects of images created more than `retentionDays` ago and marks their rows
 * expired. Safe to run concurrently with itself: R2 deletes are idempotent and a row is
 * marked once. Returns how many rows this run marked.
 */
export async function expireImages(
	env: Pick<Env, 'DB' | 'IMAGES'>,
	db: Db,
	retentionDays: number,
	now: number,
): Promise<number> {
	const cutoff = now - retentionDays * DAY_MS;
	let expired = 0;
	for (let batch = 0; batch < EXPIRE_MAX_BATCHES; batch++) {
		const due = await db
			.select({ id: images.id, r2Key: images.r2Key })
			.from(images)
			.where(and(isNull(images.removedAt), lt(images.createdAt, cutoff)))
			.orderBy(asc(images.createdAt))
			.limit(EXPIRE_BATCH);
		expired += await removeImages(db, env.IMAGES, due, 'expired', now);
		if (due.length < EXPIRE_BATCH) break;
	}
	return expired;
}

export type DeleteImageResult =
	| { outcome: 'deleted'; image: ImageRow }
	| { outcome: 'already_removed'; image: ImageRow }
	| { outcome: 'not_found' };

/** The owner deletes one image (by its R2 key, `<job_id>/<index>`). Another owner's image reads as not found. */
export async function deleteOwnImage(
	env: Pick<Env, 'IMAGES'>,
	db: Db,
	owner: string,
	key: string,
	now: number,
): Promise<DeleteImageResult> {
	const image = await db.query.images.findFirst({ where: and(eq(images.owner, owner), eq(images.r2Key, key)) });
	if (!image) return { outcome: 'not_found' };
	if (image.removedAt !== null) return { outcome: 'already_removed', image };
	await removeImages(db, env.IMAGES, [image], 'deleted', now);
	return { outcome: 'deleted', image: { ...image, removedAt: now, removedReason: 'deleted' } };
}

/** Why nothing is stored under an image key, for the answer to a request for it. */
export type MissingImage =
	| { kind: 'removed'; reason: ImageRemovedReason; removedAt: number }
	| { kind: 'unfinished'; jobId: string; status: 'pending' | 'processing' }
	| { kind: 'unknown' };

/**
 * Why the image under `key` is not stored: removed (expired or deleted, and when), its job not
 * finished yet, or unknown (no such job, a job that ended without it, or a key never stored).
 * One statement: the job with the image row, if any.
 */
export async function explainMissingImage(db: Db, key: string): Promise<MissingImage> {
	const jobId = jobIdOfKey(key);
	const [row] = await db
		.select({ status: jobs.status, reason: images.removedReason, removedAt: images.removedAt })
		.from(jobs)
		.leftJoin(images, eq(images.id, key))
		.where(eq(jobs.id, jobId));
	if (!row) return { kind: 'unknown' };
	if (row.reason && row.removedAt !== null) return { kind: 'removed', reason: row.reason, removedAt: row.removedAt };
	if (row.status === 'pending' || row.status === 'processing') return { kind: 'unfinished', jobId, status: row.status };
	return { kind: 'unknown' };
}
