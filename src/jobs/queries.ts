/**
 * Owner-scoped reads for the tools: another owner's job behaves exactly like an unknown one.
 * Only the listings take `{ everyone: true }`, for admins who ask for all users explicitly.
 */
import { and, asc, type Column, count, desc, eq, gte, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type ImageRow, images, type JobRow, type JobStatus, jobs } from '../db/schema';
import type { JobWithImages } from './types';

/** Whose rows a listing reads: one owner's, or, for an admin's `all_users`, everyone's. */
export type OwnerScope = { owner: string } | { everyone: true };

/** The WHERE condition of `scope` on an owner column; undefined (no condition) for everyone. */
export function ownerCondition(column: Column, scope: OwnerScope): SQL | undefined {
	return 'owner' in scope ? eq(column, scope.owner) : undefined;
}

export async function readOwnedJobs(db: Db, owner: string, jobIds: readonly string[]): Promise<JobRow[]> {
	if (jobIds.length === 0) return [];
	return db
		.select()
		.from(jobs)
		.where(and(eq(jobs.owner, owner), inArray(jobs.id, [...jobIds])));
}

export async function readImagesOfJobs(db: Db, jobIds: readonly string[]): Promise<Map<string, ImageRow[]>> {
	const byJob = new Map<string, ImageRow[]>();
	if (jobIds.length === 0) return byJob;
	const rows = await db
		.select()
		.from(images)
		.where(inArray(images.jobId, [...jobIds]))
		.orderBy(asc(images.jobId), asc(images.idx));
	for (const row of rows) {
		const list = byJob.get(row.jobId) ?? [];
		list.push(row);
		byJob.set(row.jobId, list);
	}
	return byJob;
}

/** Attaches image rows to completed jobs (one query for all of them). */
export async function withImages(db: Db, rows: JobRow[]): Promise<JobWithImages[]> {
	const completedIds = rows.filter((job) => job.status === 'completed').map((job) => job.id);
	const byJob = await readImagesOfJobs(db, completedIds);
	return rows.map((job) => ({ job, images: byJob.get(job.id) ?? [] }));
}

export interface Page<T> {
	total: number;
	items: T[];
	/** Where the next page starts, when there is one (a keyset: see encodeKeysetCursor). */
	next?: Keyset;
}

/** A page of a newest-first listing: `limit` rows, after skipping `offset`, after the keyset `after` if given. */
export interface PageRequest {
	limit: number;
	offset: number;
	after?: Keyset;
}

export async function listOwnedJobs(
	db: Db,
	scope: OwnerScope,
	options: { status: JobStatus | 'all' } & PageRequest,
): Promise<Page<JobWithImages>> {
	const where = and(
		ownerCondition(jobs.owner, scope),
		options.status === 'all' ? undefined : eq(jobs.status, options.status),
	);
	const [rows, [totals]] = await db.batch([
		db
			.select()
			.from(jobs)
			.where(and(where, afterKeyset(jobs.createdAt, jobs.id, options.after)))
			.orderBy(desc(jobs.createdAt), asc(jobs.id))
			.limit(options.limit + 1)
			.offset(options.offset),
		db.select({ total: count() }).from(jobs).where(where),
	]);
	const { page, next } = keysetPage(rows, options.limit);
	return { total: totals?.total ?? 0, items: await withImages(db, page), ...(next ? { next } : {}) };
}

/** One finished image with the job it came from: the gallery view. */
export interface Generation {
	image: ImageRow;
	job: Pick<JobRow, 'id' | 'prompt' | 'model'>;
}

/** Narrows a listing of images: only those still stored, by prompt text, by model, by creation time. */
export interface GenerationFilter {
	liveOnly?: boolean;
	/**
	 * Found in the prompt, ignoring ASCII case. `instr`, not LIKE: D1 caps LIKE patterns at 50
	 * bytes, and no character of the text is a wildcard.
	 */
	promptContains?: string;
	/** The job's model id, exactly. */
	model?: string;
	/** Created at or after this time (ms since the epoch). */
	createdFrom?: number;
	/** Created before this time (ms since the epoch). */
	createdBefore?: number;
}

export async function listOwnedGenerations(
	db: Db,
	scope: OwnerScope,
	options: PageRequest,
	filter: GenerationFilter = {},
): Promise<Page<Generation>> {
	const where = and(
		ownerCondition(images.owner, scope),
		filter.liveOnly ? isNull(images.removedAt) : undefined,
		filter.createdFrom === undefined ? undefined : gte(images.createdAt, filter.createdFrom),
		filter.createdBefore === undefined ? undefined : lt(images.createdAt, filter.createdBefore),
		filter.promptContains || filter.model
			? inArray(
					images.jobId,
					db
						.select({ id: jobs.id })
						.from(jobs)
						.where(
							and(
								ownerCondition(jobs.owner, scope),
								filter.model ? eq(jobs.model, filter.model) : undefined,
								filter.promptContains
									? sql`instr(lower(${jobs.prompt}), lower(${filter.promptContains})) > 0`
									: undefined,
							),
						),
				)
			: undefined,
	);
	// Two queries rather than a join: the tables share column names (id, owner, seed, …),
	// which a D1 join result cannot keep apart.
	// Newest first, a job's images in id order (`<job_id>/<index>`), so a keyset (created_at, id) resumes it.
	const [rows, [totals]] = await db.batch([
		db
			.select()
			.from(images)
			.where(and(where, afterKeyset(images.createdAt, images.id, options.after)))
			.orderBy(desc(images.createdAt), asc(images.id))
			.limit(options.limit + 1)
			.offset(options.offset),
		db.select({ total: count() }).from(images).where(where),
	]);
	const { page, next } = keysetPage(rows, options.limit);
	const byId = await readJobSummaries(db, page);
	const items = page.flatMap((image) => {
		const job = byId.get(image.jobId);
		return job ? [{ image, job }] : [];
	});
	return { total: totals?.total ?? 0, items, ...(next ? { next } : {}) };
}

/** Prompt and model of the jobs `images` belong to. Two queries rather than a join: the tables share column names. */
export async function readJobSummaries(
	db: Db,
	rows: readonly ImageRow[],
): Promise<Map<string, Pick<JobRow, 'id' | 'prompt' | 'model'>>> {
	const jobIds = [...new Set(rows.map((image) => image.jobId))];
	const parents = jobIds.length
		? await db
				.select({ id: jobs.id, prompt: jobs.prompt, model: jobs.model })
				.from(jobs)
				.where(inArray(jobs.id, jobIds))
		: [];
	return new Map(parents.map((job) => [job.id, job]));
}

/** A position in a newest-first listing: rows after it are older, or as old with a greater id. */
export interface Keyset {
	createdAt: number;
	id: string;
}

/** An opaque list cursor for a keyset (created_at, id): what nextCursor carries. */
export function encodeKeysetCursor(key: Keyset): string {
	return btoa(JSON.stringify({ c: key.createdAt, i: key.id })).replace(/=+$/, '');
}

/** The keyset a cursor from encodeKeysetCursor names; null for anything else. */
export function decodeKeysetCursor(cursor: string): Keyset | null {
	try {
		const value = JSON.parse(atob(cursor)) as { c?: unknown; i?: unknown };
		if (typeof value.c === 'number' && typeof value.i === 'string') return { createdAt: value.c, id: value.i };
	} catch {
		// Not base64 or not JSON: not ours.
	}
	return null;
}

/** The rows after `after` in a listing ordered by `createdAt DESC, id ASC`; no condition for the first page. */
export function afterKeyset(createdAt: Column, id: Column, after: Keyset | undefined): SQL | undefined {
	return after
		? or(sql`${createdAt} < ${after.createdAt}`, and(eq(createdAt, after.createdAt), sql`${id} > ${after.id}`))
		: undefined;
}

/** A page from `limit + 1` rows read: the first `limit`, and where the next page starts if there is one. */
export function keysetPage<Row extends Keyset>(rows: Row[], limit: number): { page: Row[]; next?: Keyset } {
	const page = rows.slice(0, limit);
	const last = page.at(-1);
	return rows.length > limit && last ? { page, next: { createdAt: last.createdAt, id: last.id } } : { page };
}

/** One page of the owner's stored images (not expired or deleted), newest first, after `after`. */
export async function listOwnedLiveImages(
	db: Db,
	owner: string,
	after: Keyset | undefined,
	limit: number,
): Promise<{ images: ImageRow[]; next?: Keyset }> {
	const rows = await db
		.select()
		.from(images)
		.where(and(eq(images.owner, owner), isNull(images.removedAt), afterKeyset(images.createdAt, images.id, after)))
		.orderBy(desc(images.createdAt), asc(images.id))
		.limit(limit + 1);
	const { page, next } = keysetPage(rows, limit);
	return next ? { images: page, next } : { images: page };
}

/** The owner's image stored under `key` (`<job_id>/<index>`), removed or not; undefined if none. */
export async function readOwnedImage(db: Db, owner: string, key: string): Promise<ImageRow | undefined> {
	return db
		.select()
		.from(images)
		.where(and(eq(images.owner, owner), eq(images.id, key)))
		.get();
}
