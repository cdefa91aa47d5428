/**
 * Job ids by prefix, for argument completion (MCP completion/complete): the caller's completed
 * jobs, newest first. Owner-scoped like every read here: another user's job never matches.
 */
import { and, asc, count, desc, eq, exists, isNull, like } from 'drizzle-orm';
import type { Db } from '../db/client';
import { images, jobs } from '../db/schema';

/**
 * Job ids are lowercase UUIDs: a prefix with anything else cannot match, and keeping to these
 * characters means the prefix never carries a LIKE wildcard (`%`, `_`).
 */
const JOB_ID_PREFIX = /^[0-9a-f-]{0,36}$/;

export interface JobIdMatches {
	/** At most `limit` ids, newest job first. */
	ids: string[];
	/** How many jobs match in all. */
	total: number;
}

/**
 * The owner's completed jobs whose id starts with `prefix` (case-insensitive), newest first.
 * With `withLiveImages`, only jobs that still have an image to serve (not expired or deleted).
 */
export async function searchCompletedJobIds(
	db: Db,
	owner: string,
	prefix: string,
	options: { limit: number; withLiveImages: boolean },
): Promise<JobIdMatches> {
	const wanted = prefix.trim().toLowerCase();
	if (!JOB_ID_PREFIX.test(wanted)) return { ids: [], total: 0 };
	const where = and(
		eq(jobs.owner, owner),
		eq(jobs.status, 'completed'),
		wanted ? like(jobs.id, `${wanted}%`) : undefined,
		options.withLiveImages
			? exists(
					db
						.select({ id: images.id })
						.from(images)
						.where(and(eq(images.jobId, jobs.id), isNull(images.removedAt))),
				)
			: undefined,
	);
	const [rows, [totals]] = await db.batch([
		db.select({ id: jobs.id }).from(jobs).where(where).orderBy(desc(jobs.createdAt), asc(jobs.id)).limit(options.limit),
		db.select({ total: count() }).from(jobs).where(where),
	]);
	return { ids: rows.map((row) => row.id), total: totals?.total ?? 0 };
}
