/**
 * Job creation (DESIGN.md §3 "Create"): insert the jobs, then enqueue their ids. If the
 * queue send fails the jobs are marked failed with a clear reason, so nothing is left
 * half-made: no job sits in `pending` that no consumer will ever see. With budgets, the
 * insert itself checks them (src/jobs/budget.ts), so a refused call creates and sends nothing.
 */
import { and, asc, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client';
import { chunkForD1 } from '../db/limits';
import { addToCounter, METRIC_ROWS } from '../db/metric-counters';
import { type JobRow, jobs } from '../db/schema';
import { err, ok, type Result } from '../result';
import { type BudgetRefusal, type Budgets, chargedSpend, exceededBudget, fitsBudgetsCondition } from './budget';
import { checkJobRateLimit, type RateLimitRefusal } from './rate-limit';
import type { JobMessage, JobParams } from './types';

export interface NewJobsInput {
	owner: string;
	model: string;
	prompt: string;
	params: JobParams;
	/** Seed of the first image; image i gets seed + i so a batch gives distinct images. Null: the model takes none. */
	seed: number | null;
	count: number;
	estimatedCostPerImageUsd: number;
	idempotencyKey?: string;
	/**
	 * The caller already looked the key up in this request (src/tools/generation-plan.ts reads it
	 * with the preferences, in one statement) and found nothing: do not look again. A key used by
	 * a concurrent call meanwhile still answers its jobs, through the unique index.
	 */
	idempotencyKeyChecked?: boolean;
	/** The tool whose call this is; an MCP task's result takes its shape. */
	tool?: string;
	/** The owner's spend budgets; the jobs are created only if their cost fits all of them. */
	budgets?: Budgets;
	/**
	 * Present when the owner is rate limited (role user): each call that makes new jobs counts
	 * once against the limiter. Undefined for the exempt (admins).
	 */
	rateLimit?: { limiter: RateLimit | undefined };
	/** Creation time (ms); the budget windows are taken at it. */
	now?: number;
}

/** Why no job was started: each refusal creates nothing; a queue failure leaves the jobs failed. */
export type CreateJobsRefusal =
	| { reason: 'queue_unavailable'; jobs: JobRow[] }
	| { reason: 'budget_exceeded'; refusal: BudgetRefusal }
	| { reason: 'rate_limited'; refusal: RateLimitRefusal };

export type CreateJobsResult = Result<{ jobs: JobRow[]; reused: boolean }, CreateJobsRefusal>;

/** Largest seed every provider accepts (int32). */
export const MAX_SEED = 2_147_483_647;

export function randomSeed(): number {
	return crypto.getRandomValues(new Uint32Array(1))[0]! % (MAX_SEED + 1);
}

/** The jobs an idempotency key made for this owner (a whole batch), or undefined. */
export async function findExistingJobs(db: Db, owner: string, key: string): Promise<JobRow[] | undefined> {
	const first = await db.query.jobs.findFirst({ where: and(eq(jobs.owner, owner), eq(jobs.idempotencyKey, key)) });
	if (!first) return undefined;
	if (!first.batchId) return [first];
	return db.query.jobs.findMany({
		where: and(eq(jobs.owner, owner), eq(jobs.batchId, first.batchId)),
		orderBy: asc(jobs.createdAt),
	});
}

function isUniqueViolation(error: unknown): boolean {
	return error instanceof Error && /UNIQUE constraint failed/i.test(`${error.message} ${String(error.cause ?? '')}`);
}

/**
 * Creates the jobs and enqueues them, or refuses. An idempotent retry returns the jobs it made
 * before and is not counted again; only a call that is about to make new jobs meets the rate
 * limit, then the budgets (checked inside the insert).
 */
export async function createJobs(db: Db, queue: Queue<JobMessage>, input: NewJobsInput): Promise<CreateJobsResult> {
	if (input.idempotencyKey && !input.idempotencyKeyChecked) {
		const existing = await findExistingJobs(db, input.owner, input.idempotencyKey);
		if (existing) return ok({ jobs: existing, reused: true });
	}
	if (input.rateLimit) {
		const limited = await checkJobRateLimit(input.rateLimit.limiter, db, input.owner, input.now);
		if (!limited.ok) {
			await countRefusal(db, METRIC_ROWS.rateLimitRefusals);
			return err({ reason: 'rate_limited', refusal: limited.error });
		}
	}

	const now = input.now ?? Date.now();
	const batchId = input.count > 1 ? crypto.randomUUID() : null;
	const rows: (typeof jobs.$inferInsert)[] = Array.from({ length: input.count }, (_, index) => ({
		id: crypto.randomUUID(),
		owner: input.owner,
		status: 'pending',
		prompt: input.prompt,
		model: input.model,
		params: input.params,
		seed: input.seed === null ? null : (input.seed + index) % (MAX_SEED + 1),
		batchId,
		// Only the first job carries the key (the unique index is per owner); the rest share its batch.
		idempotencyKey: index === 0 ? (input.idempotencyKey ?? null) : null,
		tool: input.tool ?? null,
		estimatedCostUsd: input.estimatedCostPerImageUsd,
		// Strictly increasing so a batch lists in order.
		createdAt: now + index,
		updatedAt: now,
	}));

	const requestUsd = input.estimatedCostPerImageUsd * input.count;
	// Free requests never meet a budget, even one already spent.
	const fits =
		input.budgets && requestUsd > 0 ? fitsBudgetsCondition(input.owner, requestUsd, input.budgets, now) : undefined;

	let created: JobRow[];
	try {
		created = fits ? await insertIfFits(db, rows, fits) : await insertAll(db, rows);
	} catch (error) {
		// Two concurrent calls with one idempotency key: the loser returns the winner's jobs.
		if (input.idempotencyKey && isUniqueViolation(error)) {
			const existing = await findExistingJobs(db, input.owner, input.idempotencyKey);
			if (existing) return ok({ jobs: existing, reused: true });
		}
		throw error;
	}
	if (created.length === 0 && input.budgets) {
		const spent = await chargedSpend(db, input.owner, now);
		// If one of the owner's jobs failed between the insert and this read, nothing is exceeded
		// any more; the refusal then names the first budget there is (the insert saw one short).
		const refusal =
			exceededBudget(spent, requestUsd, input.budgets, now) ??
			exceededBudget(spent, Number.POSITIVE_INFINITY, input.budgets, now)!;
		await countRefusal(db, METRIC_ROWS.budgetRefusals, { period: refusal.period });
		return err({ reason: 'budget_exceeded', refusal: { ...refusal, requestUsd } });
	}

	try {
		if (created.length === 1) await queue.send({ jobId: created[0]!.id });
		else await queue.sendBatch(created.map((job) => ({ body: { jobId: job.id } })));
	} catch (error) {
		console.error('queue send failed; marking jobs failed', error);
		const failed = await db
			.update(jobs)
			.set({
				status: 'failed',
				errorCode: 'queue_unavailable',
				error: 'The job could not be queued, so it will not run. Nothing was generated or charged; try again.',
				updatedAt: Date.now(),
				completedAt: Date.now(),
			})
			.where(
				inArray(
					jobs.id,
					created.map((job) => job.id),
				),
			)
			.returning();
		return err({ reason: 'queue_unavailable', jobs: failed });
	}
	return ok({ jobs: created, reused: false });
}

/**
 * Counts a refusal for GET /metrics: one upsert, on the refusal path only (a refusal moves no job,
 * so no trigger sees it). A failure is logged and the caller still gets the refusal it is owed.
 */
async function countRefusal(db: Db, name: string, labels?: Record<string, string>): Promise<void> {
	try {
		await addToCounter(db, name, labels);
	} catch (error) {
		console.error(`could not count ${name}`, error);
	}
}

type NewJobRow = typeof jobs.$inferInsert;

/** Parameters one jobs row can bind: one per column at most. */
const JOB_ROW_PARAMETERS = Object.keys(getTableColumns(jobs)).length;

/**
 * Inserts all of `rows` or none: multi-row inserts of as many rows as D1's parameter limit
 * allows, in one batch (one transaction), so `count: 20` is as atomic as `count: 1`.
 */
async function insertAll(db: Db, rows: NewJobRow[]): Promise<JobRow[]> {
	const [first, ...rest] = chunkForD1(rows, JOB_ROW_PARAMETERS).map((chunk) =>
		db.insert(jobs).values(chunk).returning(),
	);
	if (!first) return [];
	const results = await db.batch([first, ...rest]);
	return results.flat();
}

/** `INSERT INTO jobs … SELECT <row> WHERE <condition>`: the row is written only if the condition holds. */
function insertRowWhere(row: NewJobRow, condition: SQL): SQL {
	return sql`INSERT INTO ${jobs} (id, owner, status, prompt, model, params, seed, batch_id, idempotency_key, tool, estimated_cost_usd, created_at, updated_at)
		SELECT ${row.id}, ${row.owner}, ${row.status}, ${row.prompt}, ${row.model}, ${sql.param(row.params, jobs.params)}, ${row.seed ?? null}, ${row.batchId ?? null},
			${row.idempotencyKey ?? null}, ${row.tool ?? null}, ${row.estimatedCostUsd ?? 0}, ${row.createdAt}, ${row.updatedAt}
		WHERE ${condition}`;
}

const dialect = new SQLiteAsyncDialect();

function prepare(db: Db, query: SQL): D1PreparedStatement {
	const { sql: text, params } = dialect.sqlToQuery(query);
	return db.$client.prepare(text).bind(...params);
}

/**
 * Inserts all of `rows` or none, only if `fits` holds, atomically: one D1 batch is one
 * transaction, and no other statement runs between its statements. The first row is inserted
 * if the whole request fits; each other row only if the first one was. Returns the rows
 * inserted (none when the request did not fit).
 */
async function insertIfFits(db: Db, rows: NewJobRow[], fits: SQL): Promise<JobRow[]> {
	const [first, ...rest] = rows;
	if (!first) return [];
	const firstInserted = sql`EXISTS (SELECT 1 FROM ${jobs} WHERE ${jobs.id} = ${first.id})`;
	// Raw statements: drizzle's D1 batch takes query builders only, and INSERT … SELECT … WHERE has none.
	await db.$client.batch([
		prepare(db, insertRowWhere(first, fits)),
		...rest.map((row) => prepare(db, insertRowWhere(row, firstInserted))),
	]);
	return db
		.select()
		.from(jobs)
		.where(
			inArray(
				jobs.id,
				rows.map((row) => row.id),
			),
		)
		.orderBy(asc(jobs.createdAt));
}
