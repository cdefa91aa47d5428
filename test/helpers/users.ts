/** Calling as several users: an AUTH_TOKENS table of test principals, and a recording queue. */
import { postWithEnv, rpcBody, type ToolResult } from './mcp';

export async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export interface TestUser {
	id: string;
	role?: 'user' | 'admin';
	daily_budget_usd?: number | null;
	monthly_budget_usd?: number | null;
}

/** Bindings with an AUTH_TOKENS table whose token for each user is `token-<id>`. */
export async function usersEnv(users: TestUser[], extra: Partial<Env> = {}): Promise<Partial<Env>> {
	const entries = await Promise.all(
		users.map(async ({ id, role = 'user', ...budgets }) => ({
			id,
			role,
			sha256: await sha256Hex(`token-${id}`),
			...budgets,
		})),
	);
	return { LOCAL_DEV: '', AUTH_TOKENS: JSON.stringify(entries), ...extra };
}

/** tools/call as `userId` (its token from usersEnv) through the real app with `bindings`. */
export async function callAs(
	bindings: Partial<Env>,
	userId: string,
	name: string,
	args: Record<string, unknown> = {},
): Promise<ToolResult> {
	const response = await postWithEnv(bindings, rpcBody('tools/call', { name, arguments: args }), {
		authorization: `Bearer token-${userId}`,
	});
	const body = (await response.json()) as { result?: ToolResult; error?: unknown };
	if (!body.result) throw new Error(`${name} as ${userId} answered ${response.status} ${JSON.stringify(body)}`);
	return body.result;
}

/**
 * A JOBS queue that keeps what is sent instead of delivering it, so priced jobs (which would
 * call a real provider) never run, and a test can count what a call enqueued.
 */
export function recordingQueue() {
	const sent: unknown[] = [];
	const queue = {
		send: async (body: unknown) => {
			sent.push(body);
		},
		sendBatch: async (messages: Iterable<{ body: unknown }>) => {
			for (const message of messages) sent.push(message.body);
		},
	} as unknown as Queue;
	return { queue, sent };
}
