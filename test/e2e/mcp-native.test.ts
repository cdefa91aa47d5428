/**
 * MCP-native features end to end, with the official SDK client against a real
 * `wrangler dev`, over both transports: task-augmented generation (tasks/get until
 * completed, tasks/result, tasks/cancel), image:// resources read back byte for byte against
 * the image URL, and log messages after logging/setLevel.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
	type CallToolResult,
	CallToolResultSchema,
	CreateTaskResultSchema,
	LoggingMessageNotificationSchema,
	type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { callTool, connectClient, connectSseClient, printServerLogsOnFailure, UUID_PATTERN } from './helpers';

/** Slow enough that a task is seen working and can be cancelled before it finishes. */
const LATENCY_MS = 1500;

let server: DevServer;

beforeAll(async () => {
	server = await startDevServer({ vars: { OFFLINE_LATENCY_MS: String(LATENCY_MS) } });
});

afterAll(async () => {
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

const transports: [string, () => Promise<Client>][] = [
	['Streamable HTTP', () => connectClient(server.url)],
	['legacy SSE', () => connectSseClient(server.url)],
];

async function untilTerminal(client: Client, taskId: string): Promise<Task[]> {
	const seen: Task[] = [];
	for (;;) {
		const task = await client.experimental.tasks.getTask(taskId);
		seen.push(task);
		if (task.status !== 'working') return seen;
		await new Promise((resolve) => setTimeout(resolve, task.pollInterval ?? 500));
	}
}

async function bytesOf(response: Response): Promise<Uint8Array> {
	expect(response.status).toBe(200);
	return new Uint8Array(await response.arrayBuffer());
}

describe.each(transports)('over %s', (_name, connect) => {
	let client: Client;

	beforeAll(async () => {
		client = await connect();
	});

	afterAll(async () => {
		await client?.close();
	});

	it('runs generate_image_and_wait as a task: working, then completed, and tasks/result is the finished call', async () => {
		const { task } = await client.request(
			{
				method: 'tools/call',
				params: {
					name: 'generate_image_and_wait',
					arguments: { prompt: 'a paper boat', width: 96, height: 64 },
					task: {},
				},
			},
			CreateTaskResultSchema,
		);
		expect(task.taskId).toMatch(UUID_PATTERN);
		expect(task.status).toBe('working');
		const seen = await untilTerminal(client, task.taskId);
		expect(seen.length).toBeGreaterThan(1);
		expect(seen.at(-1)?.status).toBe('completed');

		const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
		const content = result.structuredContent as { job_id: string; image_url: string; done: boolean };
		expect(content).toMatchObject({ job_id: task.taskId, done: true, status: 'completed' });
		// The same job through the polling tool answers the same, but for how long this call waited.
		const polled = await callTool(client, 'wait_for_completion', { job_id: task.taskId });
		const { waited_ms: _a, ...fromTask } = content as unknown as Record<string, unknown>;
		const { waited_ms: _b, ...fromPolling } = polled.structuredContent as Record<string, unknown>;
		expect(fromTask).toEqual(fromPolling);

		// The resource_link reads back the same bytes the image URL serves.
		const link = result.content.find((block) => block.type === 'resource_link');
		expect(link?.type === 'resource_link' ? link.uri : '').toBe(`image://${task.taskId}/0`);
		const { contents } = await client.readResource({ uri: `image://${task.taskId}/0` });
		const blob = (contents[0] as { blob: string; mimeType: string }).blob;
		expect(contents[0]?.mimeType).toBe('image/png');
		expect(new Uint8Array(Buffer.from(blob, 'base64'))).toEqual(await bytesOf(await fetch(content.image_url)));
	});

	it('cancels a working task with tasks/cancel; its result is the cancelled job', async () => {
		const { task } = await client.request(
			{ method: 'tools/call', params: { name: 'generate_image', arguments: { prompt: 'never mind' }, task: {} } },
			CreateTaskResultSchema,
		);
		const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
		expect(cancelled).toMatchObject({ taskId: task.taskId, status: 'cancelled' });
		const status = await callTool(client, 'get_job_status', { job_id: task.taskId });
		expect(status.structuredContent).toMatchObject({ status: 'cancelled' });
		const result = (await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
		expect(result.isError).toBe(true);
		const { tasks } = await client.experimental.tasks.listTasks();
		expect(tasks.find((entry) => entry.taskId === task.taskId)?.status).toBe('cancelled');
	});

	it('sends log messages during a long call once a level is set', async () => {
		const logged: { level: string; data: { message: string; job_id: string } }[] = [];
		client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
			logged.push(notification.params as (typeof logged)[number]);
		});
		await client.setLoggingLevel('info');
		const result = await callTool(client, 'generate_image_and_wait', {
			prompt: 'a logged kite',
			width: 64,
			height: 64,
		});
		const jobId = (result.structuredContent as { job_id: string }).job_id;
		const messages = logged.filter((entry) => entry.data.job_id === jobId).map((entry) => entry.data.message);
		expect(messages).toContain(`Job ${jobId} is running on offline (attempt 1).`);
		expect(messages.at(-1)).toMatch(new RegExp(`^Job ${jobId} completed in `));
		await client.setLoggingLevel('emergency');
	});
});
