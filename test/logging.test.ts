/**
 * MCP logging with the official SDK client: logging/setLevel is remembered per user (the server
 * keeps no session), and long calls send log messages at or above that level on their stream.
 */
import { env } from 'cloudflare:workers';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { sdkClientAs } from './helpers/sdk-client';

interface Logged {
	level: string;
	logger?: string;
	data: { message: string; job_id: string; status: string };
}

/** A fresh user's client that records the log messages it receives. */
async function loggingClient(): Promise<{ client: Client; logged: Logged[]; id: string }> {
	const id = `logger-${crypto.randomUUID()}@example.com`;
	const client = await sdkClientAs(id);
	const logged: Logged[] = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
		logged.push(notification.params as Logged);
	});
	return { client, logged, id };
}

const generate = (client: Client) =>
	client.callTool({
		name: 'generate_image_and_wait',
		arguments: { prompt: 'a logged lantern', width: 64, height: 64 },
	});

describe('logging', () => {
	it('declares the capability; setLevel answers {} and is kept for the user in D1', async () => {
		const { client, id } = await loggingClient();
		expect(client.getServerCapabilities()?.logging).toEqual({});
		expect(await client.setLoggingLevel('warning')).toEqual({});
		const row = await env.DB.prepare('SELECT level FROM log_levels WHERE owner = ?').bind(id).first<string>('level');
		expect(row).toBe('warning');
	});

	it('sends nothing until the client sets a level', async () => {
		const { client, logged } = await loggingClient();
		await generate(client);
		expect(logged).toEqual([]);
	});

	it('after setLevel debug, a long call reports queued, running and completed for its job, on a later request', async () => {
		const { client, logged } = await loggingClient();
		await client.setLoggingLevel('debug');
		const result = await generate(client);
		const jobId = (result.structuredContent as { job_id: string }).job_id;
		const mine = logged.filter((entry) => entry.data.job_id === jobId);
		expect(mine.every((entry) => entry.logger === 'image-mcp')).toBe(true);
		const last = mine.at(-1);
		expect(last).toMatchObject({ level: 'info', data: { status: 'completed' } });
		expect(last?.data.message).toMatch(new RegExp(`^Job ${jobId} completed in \\d+\\.\\d s\\.$`));
		// Whatever the consumer had reached at the first poll, the levels follow the statuses.
		for (const entry of mine) {
			expect(entry.level).toBe(entry.data.status === 'pending' ? 'debug' : 'info');
		}
	});

	it('filters below the level: at error, a successful call logs nothing', async () => {
		const { client, logged } = await loggingClient();
		await client.setLoggingLevel('error');
		await generate(client);
		expect(logged).toEqual([]);
	});

	it('refuses a level that is not one of the eight, naming the allowed ones', async () => {
		const { client } = await loggingClient();
		const error = await client.setLoggingLevel('verbose' as 'debug').then(
			() => undefined,
			(caught: unknown) => caught as McpError,
		);
		expect(error).toBeInstanceOf(McpError);
		expect(error?.code).toBe(ErrorCode.InvalidParams);
		expect(error?.message).toMatch(/debug.*emergency/s);
	});
});
