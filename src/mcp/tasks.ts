/**
 * MCP Tasks (2025-11-25) over the jobs table. A task is the jobs of one task-capable tool call
 * (generate_image, generate_image_and_wait): its id is the first job's id, so the polling tools
 * work on it too, and a `count > 1` call is one task made of its batch. Nothing is stored for
 * tasks as such: every read goes to D1, scoped to the caller, so any isolate answers for any
 * task, and another user's task is as unknown as a made-up id.
 *
 * Status, both ways:
 *   job pending | processing  ↔ task working
 *   job completed              ↔ task completed
 *   job failed                 ↔ task failed (a batch with any failed or cancelled job, too)
 *   job cancelled              ↔ task cancelled (tasks/cancel cancels the jobs)
 * `input_required` never occurs: no tool asks the client anything.
 */
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
	type CallToolResult,
	ErrorCode,
	GetTaskPayloadRequestSchema,
	RELATED_TASK_META_KEY,
	type Result,
	type Task,
} from '@modelcontextprotocol/sdk/types.js';
import type { Db } from '../db/client';
import type { JobRow } from '../db/schema';
import { imageRetentionDays } from '../env';
import { cancelJobs, TASK_CANCELLED_MESSAGE } from '../jobs/cancel';
import { decodeKeysetCursor, encodeKeysetCursor } from '../jobs/queries';
import { listTaskJobs, readTaskJobs } from '../jobs/tasks';
import { expectedRunMs } from '../providers/catalog';
import { ok } from '../result';
import type { RequestScope, ToolContext } from '../tools/context';
import { describeGeneration } from '../tools/generate.tools';
import { waitAndPresent } from '../tools/wait';
import type { ToolContextFactory } from './context';
import { protocolError } from './protocol';
import { toCallToolResult } from './results';

/** Tasks per tasks/list page. */
export const TASKS_PAGE_SIZE = 20;

/** pollInterval: a fifth of the model's typical time, within these bounds. */
export const MIN_POLL_INTERVAL_MS = 250;
export const MAX_POLL_INTERVAL_MS = 5000;

const iso = (ms: number) => new Date(ms).toISOString();

/** Maps the jobs' statuses to the task's (see the table at the top). */
export function taskStatus(rows: readonly JobRow[]): Task['status'] {
	if (rows.some((job) => job.status === 'pending' || job.status === 'processing')) return 'working';
	if (rows.every((job) => job.status === 'completed')) return 'completed';
	if (rows.every((job) => job.status === 'cancelled')) return 'cancelled';
	return 'failed';
}

function statusMessage(rows: readonly JobRow[], status: Task['status']): string {
	const first = rows[0]!;
	const done = rows.filter((job) => job.status === 'completed').length;
	const of = rows.length > 1 ? `${done} of ${rows.length} images ready. ` : '';
	switch (status) {
		case 'working': {
			const running = rows.find((job) => job.status === 'processing');
			const retrying = rows.find((job) => job.status !== 'completed' && job.error);
			if (retrying && retrying.attempts > 0 && !running) {
				return `${of}Retrying after: ${retrying.error}`;
			}
			return running
				? `${of}Running on ${running.model} (attempt ${running.attempts}).`
				: `${of}Queued for ${first.model}.`;
		}
		case 'completed':
			return rows.length > 1 ? `All ${rows.length} images ready.` : 'Image ready.';
		case 'cancelled':
			return first.error ?? 'Cancelled.';
		default: {
			const failed = rows.find((job) => job.status === 'failed' || job.status === 'cancelled');
			return `${of}${failed?.error ?? 'A job did not complete.'}`;
		}
	}
}

/** How often to poll a task of this model: a fifth of its typical time, 250 ms to 5 s. */
export function pollIntervalFor(env: Env, model: string): number {
	const typical = expectedRunMs(env, model) ?? MAX_POLL_INTERVAL_MS * 5;
	return Math.min(MAX_POLL_INTERVAL_MS, Math.max(MIN_POLL_INTERVAL_MS, Math.round(typical / 5)));
}

/** The task a call's jobs make up, as tasks/get and tasks/list show it. */
export function toTask(rows: readonly JobRow[], env: Env): Task {
	const first = rows[0]!;
	const status = taskStatus(rows);
	const retentionDays = imageRetentionDays(env);
	return {
		taskId: first.id,
		status,
		statusMessage: statusMessage(rows, status),
		// Job rows are kept; the images go after IMAGE_RETENTION_DAYS, and with them the result's point.
		ttl: retentionDays === null ? null : Math.round(retentionDays * 86_400_000),
		createdAt: iso(first.createdAt),
		lastUpdatedAt: iso(Math.max(...rows.map((job) => job.updatedAt))),
		pollInterval: pollIntervalFor(env, first.model),
	};
}

/** One page of the caller's tasks, newest first. */
export async function listTasks(
	db: Db,
	owner: string,
	env: Env,
	cursor: string | undefined,
): Promise<{ tasks: Task[]; nextCursor?: string }> {
	const after = cursor === undefined ? undefined : decodeKeysetCursor(cursor);
	if (after === null) throw new CursorError();
	const page = await listTaskJobs(db, owner, after, TASKS_PAGE_SIZE);
	const tasks = page.calls.map((rows) => toTask(rows, env));
	return page.next ? { tasks, nextCursor: encodeKeysetCursor(page.next) } : { tasks };
}

class CursorError extends Error {
	constructor() {
		super('cursor: not a cursor this server gave out; pass nextCursor from the previous tasks/list exactly.');
	}
}

/**
 * The SDK's TaskStore, bound to one request's caller. Tasks are created by tools/call (the jobs
 * are the task) and finished by the queue consumer, so the SDK never creates or completes one
 * through here: those two methods refuse.
 */
export class JobTaskStore implements TaskStore {
	constructor(private readonly scope: RequestScope) {}

	async createTask(_params: CreateTaskOptions): Promise<Task> {
		throw new Error('Tasks are created by a task-augmented tools/call of generate_image or generate_image_and_wait.');
	}

	async getTask(taskId: string): Promise<Task | null> {
		const rows = await readTaskJobs(this.scope.db, this.scope.principal.id, taskId);
		return rows.length ? toTask(rows, this.scope.env) : null;
	}

	async storeTaskResult(): Promise<void> {
		throw new Error('Task results are written by the job queue consumer.');
	}

	/** Never called: tasks/result is answered by registerTaskResult, which waits on the jobs. */
	async getTaskResult(taskId: string): Promise<Result> {
		throw new Error(`tasks/result for ${taskId} is answered by registerTaskResult.`);
	}

	/** Only `cancelled` may be set from outside: it cancels the task's unfinished jobs. */
	async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
		if (status !== 'cancelled') throw new Error(`A task's status follows its jobs; only cancelling is possible.`);
		const { db, env, principal } = this.scope;
		const rows = await readTaskJobs(db, principal.id, taskId);
		await cancelJobs(
			db,
			env.IMAGES,
			principal.id,
			rows.map((job) => job.id),
			Date.now(),
			TASK_CANCELLED_MESSAGE,
		);
	}

	async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
		try {
			return await listTasks(this.scope.db, this.scope.principal.id, this.scope.env, cursor);
		} catch (error) {
			if (error instanceof CursorError) throw error;
			// The SDK puts the message in its answer: never a query or a stack.
			console.error('tasks/list failed', error);
			throw new Error('the task list could not be read just now; try again in a moment.');
		}
	}
}

/** What the task's tool call returns once its jobs have finished: that tool's own result shape. */
async function finishedResult(rows: readonly JobRow[], context: ToolContext): Promise<CallToolResult | undefined> {
	const jobIds = rows.map((job) => job.id);
	// Waits (with progress and log messages) no longer than the transport allows.
	const waited = await waitAndPresent(context, jobIds, context.maxWaitSeconds);
	if (!waited.ok) return toCallToolResult(waited);
	const structured = waited.value.structured as Record<string, unknown> & { still_running?: boolean };
	if (structured.still_running) return undefined;
	const settled = await readTaskJobs(context.db, context.principal.id, rows[0]!.id);
	// The same answer every time it is asked: the task's own duration, not this call's wait.
	const waitedMs =
		Math.max(...settled.map((job) => job.completedAt ?? job.updatedAt)) -
		Math.min(...settled.map((job) => job.createdAt));
	if (rows[0]!.tool === 'generate_image_and_wait') {
		return toCallToolResult(ok({ ...waited.value, structured: { ...structured, waited_ms: waitedMs } }));
	}
	const { done, image_url, markdown, error, results, success, message } = structured;
	return toCallToolResult(
		ok({
			...waited.value,
			structured: {
				...describeGeneration(settled, false, context),
				success,
				message,
				done,
				...(image_url === undefined ? {} : { image_url }),
				...(markdown === undefined ? {} : { markdown }),
				...(error === undefined ? {} : { error }),
				results,
			},
		}),
	);
}

/**
 * tasks/result: blocks until the task is terminal, then answers what its tool call would have.
 * It blocks no longer than the wait tools may (DESIGN.md §4, `maxWaitSeconds`): past that, a
 * -32001 error says to call again, before a client's 60 s timeout turns into a dropped request.
 * Replaces the SDK's handler, which polls the store on a fixed interval with no limit.
 */
export function registerTaskResult(server: Server, context: ToolContextFactory): void {
	server.setRequestHandler(GetTaskPayloadRequestSchema, async (request, extra) => {
		const toolContext = context(extra, request.params._meta);
		const { taskId } = request.params;
		const rows = await readTaskJobs(toolContext.db, toolContext.principal.id, taskId);
		if (rows.length === 0) {
			throw protocolError(
				ErrorCode.InvalidParams,
				`Task not found: ${taskId.slice(0, 100)}. tasks/list shows your tasks.`,
			);
		}
		const result = await finishedResult(rows, toolContext);
		if (!result) {
			throw protocolError(
				ErrorCode.RequestTimeout,
				`Task ${taskId} is still working after ${toolContext.maxWaitSeconds} s. Call tasks/result again, or poll tasks/get every ${pollIntervalFor(toolContext.env, rows[0]!.model)} ms until it is completed.`,
			);
		}
		return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
	});
}
