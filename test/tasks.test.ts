/**
 * MCP Tasks (2025-11-25) with the official SDK client: a job seen as a task through the
 * D1-backed TaskStore, scoped to its caller. Real local D1, R2 and Queues; the offline
 * provider draws the images.
 */
import { env } from 'cloudflare:workers';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
	type CallToolResult,
	CallToolResultSchema,
	CreateTaskResultSchema,
	ErrorCode,
	RELATED_TASK_META_KEY,
	type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { readConfig } from '../src/env';
import { TASK_CANCELLED_MESSAGE } from '../src/jobs/cancel';
import { createMcpServer } from '../src/mcp/server';
import { MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS, TASKS_PAGE_SIZE } from '../src/mcp/tasks';
import { insertJob, readJobRow } from './helpers/fixtures';
import { BASE } from './helpers/mcp';
import { rpcError, sdkClient, sdkClientAs } from './helpers/sdk-client';
import { recordingQueue, usersEnv } from './helpers/users';

let client: Client;

beforeAll(async () => {
	client = await sdkClient();
});

/** Polls tasks/get until the task is terminal, the way a task-aware client does. */
async function untilTerminal(on: Client, taskId: string): Promise<Task[]> {
	const seen: Task[] = [];
	for (let i = 0; i < 200; i++) {
		const task = await on.experimental.tasks.getTask(taskId);
		seen.push(task);
		if (task.status !== 'working') return seen;
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
	throw new Error(`task ${taskId} still working: ${JSON.stringify(seen.at(-1))}`);
}

function createTask(on: Client, name: string, args: Record<string, unknown>) {
	return on.request(
		{ method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } },
		CreateTaskResultSchema,
	);
}

describe('negotiation', () => {
	it('declares tasks for tools/call, with list and cancel, and marks the two generating tools task-capable', async () => {
		expect(client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
		const { tools } = await client.listTools();
		const capable = tools.filter((tool) => tool.execution?.taskSupport === 'optional').map((tool) => tool.name);
		expect(capable).toEqual(['generate_image', 'generate_image_and_wait']);
		expect(tools.filter((tool) => tool.execution !== undefined)).toHaveLength(2);
	});
});

describe('a task-augmented generate_image_and_wait', () => {
	it('creates a working task named by its job, completes, and tasks/result equals the plain call', async () => {
		const key = `task-${crypto.randomUUID()}`;
		const args = { prompt: 'a red kite over dunes', width: 96, height: 64, seed: 7, idempotency_key: key };
		const { task } = await createTask(client, 'generate_image_and_wait', args);
		expect(task.status).toBe('working');
		expect(task.taskId).toMatch(/^[0-9a-f-]{36}$/);
		expect(task.pollInterval).toBeGreaterThanOrEqual(MIN_POLL_INTERVAL_MS);
		expect(task.pollInterval).toBeLessThanOrEqual(MAX_POLL_INTERVAL_MS);
		expect(task.ttl).toBeNull();
		const job = await readJobRow(task.taskId);
		expect(job).toMatchObject({ prompt: 'a red kite over dunes', tool: 'generate_image_and_wait' });

		const seen = await untilTerminal(client, task.taskId);
		expect(seen.at(-1)).toMatchObject({ taskId: task.taskId, status: 'completed', statusMessage: 'Image ready.' });

		const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
		expect(result._meta?.[RELATED_TASK_META_KEY]).toEqual({ taskId: task.taskId });
		// The same call without a task (same idempotency key: the same job) answers the same.
		const plain = (await client.callTool({ name: 'generate_image_and_wait', arguments: args })) as CallToolResult;
		const { waited_ms: taskWaited, ...fromTask } = result.structuredContent as Record<string, unknown>;
		const { waited_ms: _plainWaited, ...fromPlain } = plain.structuredContent as Record<string, unknown>;
		expect(fromTask).toEqual(fromPlain);
		expect(fromTask).toMatchObject({ success: true, done: true, status: 'completed', job_id: task.taskId });
		expect(result.content.slice(1)).toEqual(plain.content.slice(1));
		// The task's waited_ms is its own run, the same on every tasks/result.
		const again = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
		expect((again.structuredContent as { waited_ms: number }).waited_ms).toBe(taskWaited);
	});
});

describe('a task-augmented generate_image', () => {
	it("answers with the finished images in generate_image's own shape, valid against its output schema", async () => {
		const seenTypes: string[] = [];
		let final: Record<string, unknown> | undefined;
		let taskId = '';
		const stream = client.experimental.tasks.callToolStream(
			{ name: 'generate_image', arguments: { prompt: 'three pears on a plate', width: 64, height: 64, count: 2 } },
			CallToolResultSchema,
			{ task: {} },
		);
		for await (const message of stream) {
			seenTypes.push(message.type);
			if (message.type === 'taskCreated') taskId = message.task.taskId;
			// The SDK validates the result against generate_image's outputSchema; a mismatch is an 'error'.
			if (message.type === 'error') throw message.error;
			if (message.type === 'result') final = message.result.structuredContent as Record<string, unknown>;
		}
		expect(seenTypes[0]).toBe('taskCreated');
		expect(seenTypes.at(-1)).toBe('result');
		expect(final).toMatchObject({ success: true, done: true, count: 2, job_id: taskId, status: 'completed' });
		const jobIds = final?.job_ids as string[];
		expect(jobIds[0]).toBe(taskId);
		const results = final?.results as { job_id: string; status: string; images: unknown[] }[];
		expect(results.map((view) => [view.job_id, view.status, view.images.length])).toEqual(
			jobIds.map((id) => [id, 'completed', 1]),
		);
		expect(String((results[0] as { image_url?: string }).image_url)).toContain(`/images/${taskId}/0.png`);
		// One task for the batch: the second job is not listed on its own.
		const { tasks } = await client.experimental.tasks.listTasks();
		expect(tasks.filter((task) => jobIds.includes(task.taskId)).map((task) => task.taskId)).toEqual([taskId]);
	});

	it('refuses bad arguments with a JSON-RPC error naming the field, and creates nothing', async () => {
		const before = await client.experimental.tasks.listTasks();
		const error = await rpcError(createTask(client, 'generate_image', { prompt: 'x', width: 5000 }));
		expect(error.code).toBe(ErrorCode.InvalidParams);
		expect(error.message).toMatch(/width/);
		const after = await client.experimental.tasks.listTasks();
		expect(after.tasks[0]?.taskId).toBe(before.tasks[0]?.taskId);
	});

	it('refuses task augmentation on a tool that does not run as a task (-32601), naming the ones that do', async () => {
		const error = await rpcError(createTask(client, 'list_models', {}));
		expect(error.code).toBe(ErrorCode.MethodNotFound);
		expect(error.message).toContain('generate_image, generate_image_and_wait');
	});
});

describe('a task-augmented call over budget', () => {
	it('is a JSON-RPC error with the refusal and its fields in data, and creates no job', async () => {
		const owner = `spender-${crypto.randomUUID()}@example.com`;
		const { queue, sent } = recordingQueue();
		// dall-e-2 at 1024×1024 is $0.02 an image; OpenAI is configured but never called (the queue only records).
		const bindings = await usersEnv([{ id: owner, daily_budget_usd: 0.01 }], { OPENAI_API_KEY: 'test', JOBS: queue });
		const spender = await sdkClient({ bindings, token: `token-${owner}` });
		const error = await rpcError(
			createTask(spender, 'generate_image', { prompt: 'a paper boat', model: 'dall-e-2', width: 1024, height: 1024 }),
		);
		expect(error.code).toBe(ErrorCode.InvalidParams);
		expect(error.message).toContain('Daily budget reached');
		expect(error.data).toMatchObject({ limit: 'daily_budget', limit_usd: 0.01, spent_usd: 0, request_usd: 0.02 });
		expect(sent).toEqual([]);
		const { tasks } = await spender.experimental.tasks.listTasks();
		expect(tasks).toEqual([]);
	});
});

describe('tasks/list', () => {
	it('pages newest first with a cursor, one entry per call, no task twice', async () => {
		const owner = `lister-${crypto.randomUUID()}@example.com`;
		const base = Date.now() - 100_000;
		const single = await Promise.all(
			Array.from({ length: TASKS_PAGE_SIZE + 3 }, (_, i) => insertJob({ owner, createdAt: base + i * 10 })),
		);
		const batchId = crypto.randomUUID();
		const batch = await Promise.all(
			[0, 1, 2].map((i) => insertJob({ owner, batchId, createdAt: base + 5000 + i, status: 'completed' })),
		);
		const lister = await sdkClientAs(owner, ['mallory@example.com']);
		const first = await lister.experimental.tasks.listTasks();
		expect(first.tasks).toHaveLength(TASKS_PAGE_SIZE);
		expect(first.nextCursor).toBeTypeOf('string');
		const second = await lister.experimental.tasks.listTasks(first.nextCursor);
		expect(second.nextCursor).toBeUndefined();
		const ids = [...first.tasks, ...second.tasks].map((task) => task.taskId);
		const expected = [batch[0]!, ...single.slice().reverse()].map((job) => job.id);
		expect(ids).toEqual(expected);
		expect(first.tasks[0]).toMatchObject({
			taskId: batch[0]!.id,
			status: 'completed',
			statusMessage: 'All 3 images ready.',
		});
		expect(first.tasks[1]).toMatchObject({ status: 'working', statusMessage: 'Queued for offline.' });

		const error = await rpcError(lister.experimental.tasks.listTasks('not-a-cursor'));
		expect(error.code).toBe(ErrorCode.InvalidParams);
		expect(error.message).toMatch(/cursor/);
	});
});

describe('task statuses follow the jobs', () => {
	it.each([
		[['processing'], 'working'],
		[['pending', 'completed'], 'working'],
		[['completed', 'completed'], 'completed'],
		[['completed', 'failed'], 'failed'],
		[['cancelled', 'completed'], 'failed'],
		[['cancelled', 'cancelled'], 'cancelled'],
	] as const)('jobs %j make a %s task', async (statuses, expected) => {
		const owner = `status-${crypto.randomUUID()}@example.com`;
		const batchId = statuses.length > 1 ? crypto.randomUUID() : null;
		const base = Date.now();
		const rows = [];
		for (const [i, status] of statuses.entries()) {
			rows.push(
				await insertJob({
					owner,
					batchId,
					status,
					createdAt: base + i,
					error: status === 'failed' ? 'provider said no' : null,
				}),
			);
		}
		const as = await sdkClientAs(owner, ['mallory@example.com']);
		const task = await as.experimental.tasks.getTask(rows[0]!.id);
		expect(task.status).toBe(expected);
		if (expected === 'failed' && (statuses as readonly string[]).includes('failed'))
			expect(task.statusMessage).toContain('provider said no');
	});
});

describe('tasks/cancel', () => {
	it('cancels the job, then refuses to cancel a terminal task', async () => {
		const owner = `canceller-${crypto.randomUUID()}@example.com`;
		// Not enqueued: it stays pending until cancelled.
		const job = await insertJob({ owner });
		const as = await sdkClientAs(owner, ['mallory@example.com']);
		const cancelled = await as.experimental.tasks.cancelTask(job.id);
		expect(cancelled).toMatchObject({ taskId: job.id, status: 'cancelled', statusMessage: TASK_CANCELLED_MESSAGE });
		expect(await readJobRow(job.id)).toMatchObject({ status: 'cancelled', error: TASK_CANCELLED_MESSAGE });

		const error = await rpcError(as.experimental.tasks.cancelTask(job.id));
		expect(error.code).toBe(ErrorCode.InvalidParams);
		expect(error.message).toContain('terminal status: cancelled');
	});
});

describe("another user's task", () => {
	it('is exactly as unknown as a made-up id to tasks/get, tasks/result, tasks/cancel and tasks/list', async () => {
		const owner = `alice-${crypto.randomUUID()}@example.com`;
		const job = await insertJob({ owner, status: 'completed' });
		const made = crypto.randomUUID();
		const mallory = await sdkClientAs('mallory@example.com');
		const mask = (message: string) => message.replaceAll(job.id, '<id>').replaceAll(made, '<id>');
		for (const call of [
			(id: string) => mallory.experimental.tasks.getTask(id),
			(id: string) => mallory.experimental.tasks.getTaskResult(id, CallToolResultSchema),
			(id: string) => mallory.experimental.tasks.cancelTask(id),
		]) {
			const theirs = await rpcError(call(job.id));
			const unknown = await rpcError(call(made));
			expect(theirs.code).toBe(ErrorCode.InvalidParams);
			expect([theirs.code, mask(theirs.message)]).toEqual([unknown.code, mask(unknown.message)]);
		}
		const { tasks } = await mallory.experimental.tasks.listTasks();
		expect(tasks.map((task) => task.taskId)).not.toContain(job.id);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'completed' });
	});
});

describe('tasks/result', () => {
	it('blocks until a just-created task finishes, then answers', async () => {
		const { task } = await createTask(client, 'generate_image_and_wait', {
			prompt: 'a quick sketch',
			width: 64,
			height: 64,
		});
		const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
		expect(result.structuredContent).toMatchObject({ done: true, status: 'completed', job_id: task.taskId });
		expect(result.content.some((block) => block.type === 'resource_link')).toBe(true);
	});

	it("answers a failed task with the tool's isError result, naming the reason", async () => {
		const owner = `failer-${crypto.randomUUID()}@example.com`;
		const job = await insertJob({
			owner,
			status: 'failed',
			error: 'The prompt was refused by the provider.',
			tool: 'generate_image_and_wait',
			completedAt: Date.now(),
		});
		const as = await sdkClientAs(owner, ['mallory@example.com']);
		const result = await as.experimental.tasks.getTaskResult(job.id, CallToolResultSchema);
		expect(result.isError).toBe(true);
		expect(result.structuredContent).toMatchObject({
			success: false,
			done: true,
			status: 'failed',
			error: 'The prompt was refused by the provider.',
		});
	});

	it('works for a job made without a task: its id is a task too', async () => {
		const created = await client.callTool({
			name: 'generate_image',
			arguments: { prompt: 'plain job', width: 64, height: 64 },
		});
		const jobId = (created.structuredContent as { job_id: string }).job_id;
		const result = await client.experimental.tasks.getTaskResult(jobId, CallToolResultSchema);
		expect(result.structuredContent).toMatchObject({ job_id: jobId, done: true, status: 'completed', reused: false });
	});
});

describe("tasks/result past the transport's wait limit", () => {
	it('answers -32001 saying to call again or poll, and the task carries on', async () => {
		const owner = `patient-${crypto.randomUUID()}@example.com`;
		// Never enqueued: it stays pending, as a job behind a slow model would.
		const job = await insertJob({ owner, tool: 'generate_image_and_wait' });
		const config = readConfig(env);
		// The real server with a 1 s wait limit (55 s on /mcp, 25 s on legacy SSE), over the SDK's in-memory transport.
		const server = createMcpServer({
			env,
			config,
			db: getDb(env),
			principal: { id: owner, name: owner, role: 'user', via: 'token' },
			urls: { workerBase: BASE, r2Base: undefined },
			maxWaitSeconds: 1,
		});
		const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
		await server.connect(serverSide);
		const patient = new Client(
			{ name: 'in-memory', version: '1.0.0' },
			{ jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
		);
		await patient.connect(clientSide);
		const error = await rpcError(patient.experimental.tasks.getTaskResult(job.id, CallToolResultSchema));
		expect(error.code).toBe(ErrorCode.RequestTimeout);
		expect(error.message).toContain(
			`Task ${job.id} is still working after 1 s. Call tasks/result again, or poll tasks/get every`,
		);
		expect(await readJobRow(job.id)).toMatchObject({ status: 'pending' });
		await patient.close();
	});
});
