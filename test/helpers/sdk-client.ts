/**
 * The official MCP SDK client inside workerd, talking Streamable HTTP to the real app: its
 * fetch goes straight to the Worker's fetch handler (with other bindings when given, e.g. an
 * AUTH_TOKENS table), so tests see what a real client sees, with real local D1, R2 and Queues.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import { expect } from 'vitest';
import { createApp } from '../../src/worker/app';
import { BASE } from './mcp';
import { usersEnv } from './users';

export interface SdkClientOptions {
	/** Bindings over the test env; the request then goes through a fresh app with them. */
	bindings?: Partial<Env>;
	/** Sent as `Authorization: Bearer <token>`. */
	token?: string;
}

export async function sdkClient(options: SdkClientOptions = {}): Promise<Client> {
	const { bindings, token } = options;
	const app = bindings ? createApp() : undefined;
	const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
		requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : undefined,
		fetch: async (input, init) => {
			const request = new Request(input, init);
			return app
				? app.fetch(request, { ...env, ...bindings }, createExecutionContext())
				: exports.default.fetch(request);
		},
	});
	// The default (Ajv) validator compiles with `new Function`, which workerd forbids.
	const client = new Client(
		{ name: 'workerd-test-client', version: '1.0.0' },
		{ jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
	);
	await client.connect(transport);
	return client;
}

/** The JSON-RPC error a request was answered with; fails the test when it succeeded. */
export async function rpcError(promise: Promise<unknown>): Promise<McpError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(McpError);
	return error as McpError;
}

/** A client for `id` through an AUTH_TOKENS table (token `token-<id>`), with `others` in the table too. */
export async function sdkClientAs(id: string, others: string[] = []): Promise<Client> {
	const users = [id, ...others.filter((other) => other !== id)].map((user) => ({ id: user }));
	return sdkClient({ bindings: await usersEnv(users), token: `token-${id}` });
}
