/**
 * The jobs as MCP tasks (src/mcp/tasks.ts): a task is the jobs of one call, named by the first
 * job's id, so a batch is read together. Owner-scoped like every read here.
 */
import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client';
import { type JobRow, jobs } from '../db/schema';
import { isJobId } from '../ids';
import { afterKeyset, type Keyset, keysetPage } from './queries';

/**
 * The jobs of the task named `taskId`, oldest first; empty when the caller has no such task.
 * A batch's first job names the whole batch; any other job id names a task of that job alone.
 */
export async function readTaskJobs(db: Db, owner: string, givenTaskId: string): Promise<JobRow[]> {
	// Task ids are job ids: any case names the same task (src/ids.ts).
	const taskId = givenTaskId.toLowerCase();
	if (!isJobId(taskId)) return [];
	const named = alias(jobs, 'named');
	const batchOfNamed = db
		.select({ batchId: named.batchId })
		.from(named)
		.where(and(eq(named.owner, owner), eq(named.id, taskId)));
	const rows = await db
		.select()
		.from(jobs)
		.where(and(eq(jobs.owner, owner), or(eq(jobs.id, taskId), eq(jobs.batchId, sql`(${batchOfNamed})`))))
		.orderBy(asc(jobs.createdAt));
	return rows[0]?.id === taskId ? rows : rows.filter((job) => job.id === taskId);
}

/**
 * One page of the owner's calls, newest first: each call's jobs oldest first (a batch lists
 * once, as its first job). `next` is where the following page starts, when there is one.
 */
export async function listTaskJobs(
	db: Db,
	owner: string,
	after: Keyset | undefined,
	limit: number,
): Promise<{ calls: JobRow[][]; next?: Keyset }> {
	const earlier = alias(jobs, 'earlier');
	const firstOfCall = or(
		isNull(jobs.batchId),
		sql`NOT EXISTS ${db
			.select({ one: sql`1` })
			.from(earlier)
			.where(
				and(
					eq(earlier.owner, jobs.owner),
					eq(earlier.batchId, jobs.batchId),
					sql`${earlier.createdAt} < ${jobs.createdAt}`,
				),
			)}`,
	);
	const firsts = await db
		.select()
		.from(jobs)
		.where(and(eq(jobs.owner, owner), firstOfCall, afterKeyset(jobs.createdAt, jobs.id, after)))
		.orderBy(desc(jobs.createdAt), asc(jobs.id))
		.limit(limit + 1);
	const { page, next } = keysetPage(firsts, limit);
	const batchIds = page.flatMap((job) => (job.batchId ? [job.batchId] : []));
	const members = batchIds.length
		? await db
				.select()
				.from(jobs)
				.where(and(eq(jobs.owner, owner), inArray(jobs.batchId, batchIds)))
				.orderBy(asc(jobs.createdAt))
		: [];
	const calls = page.map((first) => (first.batchId ? members.filter((job) => job.batchId === first.batchId) : [first]));
	return next ? { calls, next } : { calls };
}
