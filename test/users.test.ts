/**
 * Several users with bearer tokens (AUTH_TOKENS): each token is its own principal, nobody
 * reaches anyone else's jobs or images, tokens are compared in constant time, and a bad
 * configuration keeps every door shut and says why.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/worker/app';
import { lookupToken, parseTokenTable } from '../src/worker/tokens';
import { deliverUntilSettled } from './helpers/faults';
import { BASE, postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';
import { sha256Hex } from './helpers/users';

const TOKENS = { alice: 'alice-secret-token', bob: 'bob-secret-token', root: 'root-secret-token' };

async function tokensEnv(): Promise<Partial<Env>> {
	return {
		LOCAL_DEV: '',
		AUTH_TOKENS: JSON.stringify([
			{ id: 'alice@example.com', name: 'Alice', role: 'user', sha256: await sha256Hex(TOKENS.alice) },
			{ id: 'bob', role: 'user', sha256: await sha256Hex(TOKENS.bob) },
			{ id: 'root', role: 'admin', sha256: (await sha256Hex(TOKENS.root)).toUpperCase() },
		]),
	};
}

async function callAs(token: string, name: string, args: Record<string, unknown> = {}, extra: Partial<Env> = {}) {
	const response = await postWithEnv(
		{ ...(await tokensEnv()), ...extra },
		rpcBody('tools/call', { name, arguments: args }),
		{
			authorization: `Bearer ${token}`,
		},
	);
	const body = (await response.json()) as { result?: ToolResult; error?: { message: string } };
	if (!body.result) throw new Error(`${name} answered ${response.status} ${JSON.stringify(body)}`);
	return body.result;
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe('AUTH_TOKENS', () => {
	it('maps each token to its principal, and refuses an unknown one', async () => {
		const created = await callAs(TOKENS.alice, 'generate_image', { prompt: 'a red kite', model: 'offline' });
		const jobId = (created.structuredContent as { job_id: string }).job_id;
		const row = await env.DB.prepare('SELECT owner FROM jobs WHERE id = ?').bind(jobId).first();
		expect(row?.owner).toBe('alice@example.com');

		const wrong = await postWithEnv(await tokensEnv(), rpcBody('tools/list'), { authorization: 'Bearer nope' });
		expect(wrong.status).toBe(401);
		expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
			'Unauthorized: the bearer token is not valid. Check it, or send the header "Authorization: Bearer <token>".',
		);
	});

	it('keeps AUTH_TOKEN working next to it, as the admin principal "default"', async () => {
		const both = { ...(await tokensEnv()), AUTH_TOKEN: 'shared-token' };
		const shared = await postWithEnv(both, rpcBody('tools/list'), { authorization: 'Bearer shared-token' });
		expect(shared.status).toBe(200);
		const listed = await postWithEnv(both, rpcBody('tools/list'), { authorization: `Bearer ${TOKENS.bob}` });
		expect(listed.status).toBe(200);
	});

	it('compares the presented token with every entry in constant time, whichever matches', async () => {
		const parsed = parseTokenTable((await tokensEnv()).AUTH_TOKENS);
		if (!parsed.ok || !parsed.value) throw new Error('table did not parse');
		const compare = vi.spyOn(crypto.subtle, 'timingSafeEqual');
		expect((await lookupToken(parsed.value, TOKENS.alice))?.id).toBe('alice@example.com');
		expect(compare).toHaveBeenCalledTimes(3);
		compare.mockClear();
		expect((await lookupToken(parsed.value, TOKENS.root))?.role).toBe('admin');
		expect(compare).toHaveBeenCalledTimes(3);
		compare.mockClear();
		expect(await lookupToken(parsed.value, 'unknown')).toBeUndefined();
		expect(compare).toHaveBeenCalledTimes(3);
		// Always 32-byte digests: the length of the token does not change the comparison.
		for (const [a, b] of compare.mock.calls) {
			expect([(a as ArrayBufferView).byteLength, (b as ArrayBufferView).byteLength]).toEqual([32, 32]);
		}
	});

	it.each([
		['not JSON', '{oops', 'AUTH_TOKENS is not JSON'],
		['an empty list', '[]', 'AUTH_TOKENS is invalid'],
		['a short hash', '[{"id":"a","sha256":"abc"}]', 'at [0][sha256]: must be the 64 hex digits'],
		['a bad role', `[{"id":"a","role":"owner","sha256":"${'a'.repeat(64)}"}]`, 'at [0][role]'],
		['an unknown field', `[{"id":"a","token":"x","sha256":"${'a'.repeat(64)}"}]`, 'AUTH_TOKENS is invalid'],
		[
			'a repeated hash',
			`[{"id":"a","sha256":"${'a'.repeat(64)}"},{"id":"b","sha256":"${'A'.repeat(64)}"}]`,
			'AUTH_TOKENS[1] repeats the sha256',
		],
	])('refuses every request when the table has %s, and /health says why', async (_case, raw, message) => {
		const broken = { LOCAL_DEV: '', AUTH_TOKEN: 'shared-token', AUTH_TOKENS: raw };
		const response = await postWithEnv(broken, rpcBody('tools/list'), { authorization: 'Bearer shared-token' });
		expect(response.status).toBe(503);
		expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
		const health = await createApp().fetch(new Request(`${BASE}/health`), { ...env, ...broken });
		expect(health.status).toBe(503);
		const report = (await health.json()) as { auth: { serving: boolean; reason: string } };
		expect(report.auth.serving).toBe(false);
		expect(report.auth.reason).toContain(message);
	});
});

describe('fail closed on half an OAuth setup', () => {
	it.each([
		[{ OAUTH_CLIENT_ID: 'id' }, 'OAUTH_CLIENT_ID is set but OAUTH_CLIENT_SECRET is not'],
		[{ OAUTH_CLIENT_SECRET: 's', OAUTH_ALLOWED_EMAILS: 'a@b.c' }, 'but OAUTH_CLIENT_ID is not'],
		[{ OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 's' }, 'would admit every account'],
		[
			{
				OAUTH_CLIENT_ID: 'id',
				OAUTH_CLIENT_SECRET: 's',
				OAUTH_ALLOWED_EMAILS: 'a@b.c',
				OAUTH_DISCOVERY_URL: 'http://x',
			},
			'must be https',
		],
		[
			{ OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 's', OAUTH_ALLOWED_EMAILS: 'a@b.c', OAUTH_KV: undefined },
			'needs the KV namespace binding OAUTH_KV',
		],
		[{ OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 's', OAUTH_ALLOWED_EMAILS: 'alice' }, '"alice" is not an email'],
	] as [Partial<Env>, string][])(
		'%o: refused with a clear reason, bearer tokens included',
		async (settings, reason) => {
			const misconfigured = { LOCAL_DEV: '', AUTH_TOKEN: 'shared-token', ...settings };
			const response = await postWithEnv(misconfigured, rpcBody('tools/list'), {
				authorization: 'Bearer shared-token',
			});
			expect(response.status).toBe(503);
			expect(((await response.json()) as { error: { message: string } }).error.message).toContain(reason);
			const health = await createApp().fetch(new Request(`${BASE}/health`), { ...env, ...misconfigured });
			expect(((await health.json()) as { auth: { reason: string } }).auth.reason).toContain(reason);
		},
	);
});

describe('per-user scoping', () => {
	it("treats another user's job and image exactly like unknown ones", async () => {
		const created = await callAs(TOKENS.alice, 'generate_image', { prompt: 'a blue heron', model: 'offline' });
		const jobId = (created.structuredContent as { job_id: string }).job_id;
		await deliverUntilSettled(jobId, { ...env, ...(await tokensEnv()) } as Env);
		const own = await callAs(TOKENS.alice, 'get_job_status', { job_id: jobId });
		expect((own.structuredContent as { status: string }).status).toBe('completed');

		const unknownId = crypto.randomUUID();
		const mask = (result: ToolResult, id: string) => JSON.stringify(result).replaceAll(id, '<id>');
		const pairs: [string, (id: string) => Record<string, unknown>][] = [
			['get_job_status', (id) => ({ job_id: id })],
			['wait_for_completion', (id) => ({ job_id: id, timeout_seconds: 1 })],
			['cancel_job', (id) => ({ job_id: id })],
			['delete_image', (id) => ({ image: `${id}/0` })],
		];
		for (const [tool, args] of pairs) {
			const theirs = await callAs(TOKENS.bob, tool, args(jobId));
			const unknown = await callAs(TOKENS.bob, tool, args(unknownId));
			expect(mask(theirs, jobId), tool).toBe(mask(unknown, unknownId));
			expect(theirs.isError, tool).toBe(true);
		}

		const reference = await callAs(TOKENS.bob, 'generate_image', {
			prompt: 'the same heron, at night',
			model: 'offline',
			reference_images: [`image://${jobId}/0`],
		});
		const unknownReference = await callAs(TOKENS.bob, 'generate_image', {
			prompt: 'the same heron, at night',
			model: 'offline',
			reference_images: [`image://${unknownId}/0`],
		});
		expect(reference.isError).toBe(true);
		expect(mask(reference, jobId)).toBe(mask(unknownReference, unknownId));

		for (const tool of ['list_jobs', 'list_generations']) {
			const listing = textJson(await callAs(TOKENS.bob, tool));
			expect(JSON.stringify(listing), tool).not.toContain(jobId);
		}
		// Alice's job survived Bob's attempts.
		const after = await callAs(TOKENS.alice, 'get_job_status', { job_id: jobId });
		expect((after.structuredContent as { status: string; removed_images?: unknown }).status).toBe('completed');
		expect((after.structuredContent as { removed_images?: unknown }).removed_images).toBeUndefined();
	});
});
