/**
 * Cancellation (DESIGN.md §3): `pending` and `processing` jobs become `cancelled`, which is
 * terminal. A job that is running keeps running at its provider (a call in flight cannot be
 * recalled), but its result is thrown away: `completeJob` only records images for a job
 * still `processing`, and the consumer deletes the objects it wrote when that fails. The R2
 * objects (image, preview, transforms) are also deleted here, for the case where a consumer
 * wrote them and died before recording it.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type JobRow, jobs } from '../db/schema';
import { deleteImages } from '../storage/bucket';
import { buildImageKey } from '../storage/images';
import { notifyJobSettled } from './events';

export const CANCELLED_MESSAGE = 'Cancelled with cancel_job; any result that arrives later is discarded.';
/** The same, for a job cancelled as an MCP task. */
export const TASK_CANCELLED_MESSAGE = 'Cancelled with tasks/cancel; any result that arrives later is discarded.';

export interface CancelResult {
	/** Jobs this call moved to `cancelled`. */
	cancelled: JobRow[];
	/** The caller's jobs that were already terminal, unchanged. */
	unchanged: JobRow[];
	/** Ids that name no job of the caller's. */
	missing: string[];
}

export async function cancelJobs(
	db: Db,
	images: R2Bucket,
	owner: string,
	jobIds: readonly string[],
	now: number,
	message = CANCELLED_MESSAGE,
): Promise<CancelResult> {
	const owned = and(eq(jobs.owner, owner), inArray(jobs.id, [...jobIds]));
	// One round trip: the conditional update, then every named job as it now is.
	const [cancelled, current] = await db.batch([
		db
			.update(jobs)
			.set({
				status: 'cancelled',
				errorCode: 'cancelled',
				error: message,
				leaseUntil: 0,
				completedAt: now,
				updatedAt: now,
			})
			.where(and(owned, inArray(jobs.status, ['pending', 'processing'])))
			.returning(),
		db.select().from(jobs).where(owned),
	]);
	const cancelledIds = new Set(cancelled.map((job) => job.id));
	if (cancelled.length > 0) {
		// One image per job today (index 0), with its preview; a missing key is not an error for
		// R2. No transform can exist: they are kept only for a finished image's row (claimTransforms).
		await deleteImages(
			images,
			cancelled.map((job) => ({ key: buildImageKey(job.id, 0), transforms: false })),
		);
		for (const job of cancelled) notifyJobSettled(job.id);
	}
	const found = new Set(current.map((job) => job.id));
	return {
		cancelled,
		unchanged: current.filter((job) => !cancelledIds.has(job.id)),
		missing: jobIds.filter((id) => !found.has(id)),
	};
}
