/** Calls the Worker the way clients do: JSON-RPC over POST /mcp, through the real fetch handler. */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { createApp } from '../../src/worker/app';

export const BASE = 'http://localhost';

let nextId = 1;

export function rpcBody(method: string, params?: unknown) {
	return JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, ...(params === undefined ? {} : { params }) });
}

/** A POST to /mcp with only Content-Type, as the seed's curl scripts send it. */
export function post(body: string, headers: Record<string, string> = {}, path = '/mcp'): Promise<Response> {
	return exports.default.fetch(
		new Request(`${BASE}${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...headers },
			body,
		}),
	);
}

/** The same, through the app with other bindings (a token, a broken queue, a deployed config). */
export async function postWithEnv(
	overrides: Partial<Env>,
	body: string,
	headers: Record<string, string> = {},
	url = `${BASE}/mcp`,
) {
	return createApp().fetch(
		new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
		{ ...env, ...overrides },
		createExecutionContext(),
	);
}

export interface ToolResult {
	content: { type: string; text?: string; uri?: string; mimeType?: string; data?: string }[];
	structuredContent?: Record<string, unknown>;
	isError?: boolean;
}

export async function callTool(name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
	const response = await post(rpcBody('tools/call', { name, arguments: args }));
	const body = (await response.json()) as { result?: ToolResult; error?: unknown };
	if (!body.result) throw new Error(`tools/call ${name} answered ${JSON.stringify(body)}`);
	return body.result;
}

/** The JSON of the first text block: what `jq '.result.content[0].text | fromjson'` sees. */
export function textJson(result: ToolResult): Record<string, unknown> {
	return JSON.parse(result.content[0]?.text ?? 'null');
}
