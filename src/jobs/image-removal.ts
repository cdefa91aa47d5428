/**
 * Removing image bytes: retention (the cron expires images older than IMAGE_RETENTION_DAYS)
 * and `delete_image` (the owner). Only the R2 objects go (the image, its preview and its
 * transforms); the row stays, marked with when and why, so listings say "expired" or
 * "deleted" instead of handing out a dead link.
 *
 * Order matters: the row is marked first, the objects deleted after, so a row never says
 * "available" with a link that 404s. If R2 refuses the delete, the marks are undone and the
 * error goes up: the next run (or a repeated delete_image) tries again. A crash between the
 * two leaves objects that no listing hands out, under an unguessable URL; a repeated
 * delete_image removes them. Marking is chunked to D1's
 * parameter limit and done in one batch, so any number of images is marked at once or not.
 */
import { and, asc, eq, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { chunkForD1 } from '../db/limits';
import { type ImageRemovedReason, type ImageRow, images, jobs } from '../db/schema';
import { deleteImages, deleteImagesCalls } from '../storage/bucket';
import { jobIdOfKey } from '../storage/images';

/** Images per batch; rows are marked in one statement per batch. */
export const EXPIRE_BATCH = 100;
/** Batches per cron run at most: 1,000 images, when the budget below allows. */
export const EXPIRE_MAX_BATCHES = 10;
/**
 * Calls to Cloudflare services (D1, R2) one cron run may spend on retention: a Workers Free
 * invocation may make 1,000, and the sweeper needs a few. A batch costs 2 D1 statements and
 * its R2 calls (`deleteImagesCalls`): about 3 for images never transformed, plus one list for
 * each image that was, so a run expires 1,000 plain images, and fewer when many have transforms.
 */
export const EXPIRE_CALL_BUDGET = 900;
/** D1 statements per batch: the select of due rows and the marking batch. */
const D1_CALLS_PER_BATCH = 2;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Parameters the marking UPDATE binds besides the ids: removed_at and removed_reason, and two in the condition. */
const MARK_FIXED_PARAMETERS = 4;

async function removeImages(
	db: Db,
	bucket: R2Bucket,
	rows: readonly Pick<ImageRow, 'id' | 'r2Key'>[],
	reason: ImageRemovedReason,
	now: number,
): Promise<number> {
	const marked = await markRows(db, rows, { removedAt: now, removedReason: reason }, isNull(images.removedAt));
	// Only the rows this call marked: another run that marked one first deletes its objects.
	// Their has_transforms is read as they are marked: no transform is written after that.
	const keyOf = new Map(rows.map((row) => [row.id, row.r2Key]));
	try {
		await deleteImages(
			bucket,
			marked.map((row) => ({ key: keyOf.get(row.id)!, transforms: row.hasTransforms })),
		);
	} catch (error) {
		// R2 refused: the rows go back to live (their objects are still there), so the next run
		// or a repeated delete_image tries both again instead of leaving objects nothing removes.
		await markRows(
			db,
			marked,
			{ removedAt: null, removedReason: null },
			and(eq(images.removedAt, now), eq(images.removedReason, reason)),
		);
		throw error;
	}
	return marked.length;
}

/**
 * Sets `values` on the rows of `rows` that meet `condition`, in statements chunked to D1's
 * parameter limit and run as one batch (all or none). Returns the rows updated.
 */
async function markRows(
	db: Db,
	rows: readonly Pick<ImageRow, 'id'>[],
	values: Pick<ImageRow, 'removedAt' | 'removedReason'>,
	condition: SQL | undefined,
): Promise<Pick<ImageRow, 'id' | 'hasTransforms'>[]> {
	const [first, ...rest] = chunkForD1(rows, 1, MARK_FIXED_PARAMETERS).map((chunk) =>
		db
			.update(images)
			.set(values)
			.where(
				and(
					inArray(
						images.id,
						chunk.map((row) => row.id),
					),
					condition,
				),
			)
			.returning({ id: images.id, hasTransforms: images.hasTransforms }),
	);
	if (!first) return [];
	return (await db.batch([first, ...rest])).flat();
}

/**
 * Marks the live image under `key` as having transforms, before the first is written to R2.
 * False when there is no such live image (not finished, or being removed): then no transform
 * may be kept, since removal would not look for it.
 */
export async function claimTransforms(db: Db, key: string): Promise<boolean> {
	const claimed = await db
		.update(images)
		.set({ hasTransforms: true })
		.where(and(eq(images.id, key), isNull(images.removedAt)))
		.returning({ id: images.id });
	return claimed.length === 1;
}

/** Images created before this instant are due for expiry. */
export function retentionCutoff(retentionDays: number, now: number): number {
	return now - retentionDays * DAY_MS;
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
	const cutoff = retentionCutoff(retentionDays, now);
	let expired = 0;
	let calls = 0;
	for (let batch = 0; batch < EXPIRE_MAX_BATCHES; batch++) {
		const due = await db
			.select({ id: images.id, r2Key: images.r2Key, hasTransforms: images.hasTransforms })
			.from(images)
			.where(and(isNull(images.removedAt), lt(images.createdAt, cutoff)))
			.orderBy(asc(images.createdAt))
			.limit(EXPIRE_BATCH);
		// Within the budget: as many of the due rows as it allows (all, unless many have transforms).
		let take = due.length;
		const cost = (rows: typeof due) =>
			D1_CALLS_PER_BATCH + deleteImagesCalls(rows.map((row) => ({ key: row.r2Key, transforms: row.hasTransforms })));
		while (take > 0 && calls + cost(due.slice(0, take)) > EXPIRE_CALL_BUDGET) take--;
		const rows = due.slice(0, take);
		calls += cost(rows);
		expired += await removeImages(db, env.IMAGES, rows, 'expired', now);
		if (due.length < EXPIRE_BATCH || take < due.length) break;
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
	if (image.removedAt !== null) {
		// Marked before its objects are deleted: if that delete failed, asking again finishes it.
		await deleteImages(env.IMAGES, [{ key: image.r2Key, transforms: image.hasTransforms }]);
		return { outcome: 'already_removed', image };
	}
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
