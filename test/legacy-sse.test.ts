import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getDb } from '../src/db/client';
import { appendToOutbox, outboxSize, payloadBytes, purgeSseState } from '../src/db/sse-store';
import { SSE_DEFAULT_MAX_OUTBOX, SSE_DEFAULT_MAX_OUTBOX_BYTES, SSE_DEFAULT_MAX_STREAMS } from '../src/env';
import { MAX_COUNT } from '../src/generation/request';
import { createApp } from '../src/worker/app';
import { SESSION_LIVE_WINDOW_MS } from '../src/worker/legacy-sse/session-limits';
import { EXPECTED_TOOLS } from './helpers/expected-tools';
import { insertJob } from './helpers/fixtures';
import { rpcBody } from './helpers/mcp';
import { SseReader } from './helpers/sse';

const BASE = 'http://localhost';
const open: SseReader[] = [];

afterEach(async () => {
	await Promise.all(open.splice(0).map((reader) => reader.close()));
	// Let the streams' loops see the disconnect and remove their sessions before the next reset.
	await scheduler.wait(50);
});

/** Same Worker, other settings: a test's own "deployment". */
function worker(overrides: Partial<Env> = {}) {
	const app = createApp();
	const bindings = { ...env, ...overrides };
	const fetch = (path: string, init?: RequestInit) =>
		app.fetch(new Request(`${BASE}${path}`, init), bindings, createExecutionContext());
	return {
		fetch,
		async connect(): Promise<{ reader: SseReader; endpoint: string; sessionId: string }> {
			const response = await fetch('/sse');
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('text/event-stream');
			const reader = new SseReader(response);
			open.push(reader);
			const first = await reader.next();
			expect(first.event).toBe('endpoint');
			const sessionId = new URL(first.data, BASE).searchParams.get('sessionId') ?? '';
			return { reader, endpoint: first.data, sessionId };
		},
		post(endpoint: string, body: string, headers: Record<string, string> = {}) {
			return fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
		},
	};
}

const viaOutboxOnly = { SSE_IN_MEMORY: 'false' };

describe('GET /sse', () => {
	it('removes the session when the client disconnects', async () => {
		const { reader, sessionId } = await worker().connect();
		await reader.close();
		await vi.waitFor(async () =>
			expect(
				await env.DB.prepare('SELECT count(*) AS n FROM sse_sessions WHERE id = ?').bind(sessionId).first('n'),
			).toBe(0),
		);
	});

	it('opens with an endpoint event naming /messages and a random session id', async () => {
		const { endpoint, sessionId } = await worker().connect();
		expect(endpoint).toMatch(/^\/messages\?sessionId=[0-9a-f]{32}$/);
		const row = await env.DB.prepare('SELECT owner FROM sse_sessions WHERE id = ?').bind(sessionId).first();
		expect(row).toEqual({ owner: 'default' });
		const other = await worker().connect();
		expect(other.sessionId).not.toBe(sessionId);
	});

	it('sends keepalive comments on an idle stream', async () => {
		const { reader } = await worker({ SSE_KEEPALIVE_MS: '50' }).connect();
		expect(await reader.nextComment()).toBe(': keepalive');
	});

	it('limits open streams per principal, with a clear error', async () => {
		const limited = worker({ SSE_MAX_STREAMS: '1' });
		await limited.connect();
		const second = await limited.fetch('/sse');
		expect(second.status).toBe(429);
		expect(((await second.json()) as { error: string }).error).toContain('the limit is 1');
	});

	it(`opens ${SSE_DEFAULT_MAX_STREAMS} streams per principal by default and refuses stream ${SSE_DEFAULT_MAX_STREAMS + 1}`, async () => {
		const server = worker();
		for (let index = 0; index < SSE_DEFAULT_MAX_STREAMS; index++) await server.connect();
		const over = await server.fetch('/sse');
		expect(over.status).toBe(429);
		expect(((await over.json()) as { error: string }).error).toContain(
			`you have ${SSE_DEFAULT_MAX_STREAMS}, the limit is ${SSE_DEFAULT_MAX_STREAMS}`,
		);
	});

	it('holds the stream limit when 30 streams of one user open at once', async () => {
		const server = worker();
		const responses = await Promise.all(Array.from({ length: 30 }, () => server.fetch('/sse')));
		for (const response of responses) if (response.status === 200) open.push(new SseReader(response));
		const statuses = responses.map((response) => response.status);
		expect(statuses.filter((status) => status === 200)).toHaveLength(SSE_DEFAULT_MAX_STREAMS);
		expect(statuses.filter((status) => status === 429)).toHaveLength(30 - SSE_DEFAULT_MAX_STREAMS);
		const live = await env.DB.prepare('SELECT count(*) AS n FROM sse_sessions WHERE owner = ?')
			.bind('default')
			.first('n');
		expect(live).toBe(SSE_DEFAULT_MAX_STREAMS);
	});

	it('requires the bearer token when one is configured', async () => {
		const response = await worker({ AUTH_TOKEN: 'secret' }).fetch('/sse');
		expect(response.status).toBe(401);
	});
});

describe('POST /messages', () => {
	it('answers 202 and delivers the response on the stream, through the D1 outbox when the in-memory path is off', async () => {
		const server = worker(viaOutboxOnly);
		const { reader, endpoint } = await server.connect();
		const initialize = JSON.stringify({
			jsonrpc: '2.0',
			id: 1,
			method: 'initialize',
			params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } },
		});
		const accepted = await server.post(endpoint, initialize);
		expect(accepted.status).toBe(202);
		const message = await reader.nextMessage();
		expect(message.id).toBe(1);
		expect(message.result).toMatchObject({ protocolVersion: '2024-11-05', serverInfo: { name: 'image-mcp' } });
		// Delivered rows are deleted (right after the write that delivered them).
		await vi.waitFor(async () =>
			expect(await env.DB.prepare('SELECT count(*) AS n FROM sse_outbox').first('n')).toBe(0),
		);
	});

	it('delivers several responses in the order the requests were sent', async () => {
		const server = worker(viaOutboxOnly);
		const { reader, endpoint } = await server.connect();
		for (let id = 1; id <= 5; id++) {
			expect((await server.post(endpoint, JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }))).status).toBe(202);
		}
		const ids = [];
		for (let i = 0; i < 5; i++) ids.push((await reader.nextMessage()).id);
		expect(ids).toEqual([1, 2, 3, 4, 5]);
	});

	it('delivers through the in-memory path too, with nothing left in the outbox', async () => {
		const server = worker();
		const { reader, endpoint } = await server.connect();
		await server.post(endpoint, rpcBody('tools/list'));
		const message = await reader.nextMessage();
		expect(message.result?.tools).toHaveLength(EXPECTED_TOOLS.length);
		expect(await env.DB.prepare('SELECT count(*) AS n FROM sse_outbox').first('n')).toBe(0);
	});

	it('runs a tool call to completion and delivers its result', async () => {
		const server = worker(viaOutboxOnly);
		const { reader, endpoint } = await server.connect();
		await server.post(
			endpoint,
			JSON.stringify({
				jsonrpc: '2.0',
				id: 9,
				method: 'tools/call',
				params: { name: 'generate_image_and_wait', arguments: { prompt: 'over sse', width: 64, height: 64 } },
			}),
		);
		const message = await reader.nextMessage();
		expect(message.id).toBe(9);
		expect(message.result?.structuredContent).toMatchObject({ status: 'completed' });
	});

	it('does not let a long tool call hold up the next message on the same session', async () => {
		const server = worker(viaOutboxOnly);
		const { reader, endpoint } = await server.connect();
		const stuck = await insertJob(); // never queued: the wait runs to its timeout
		await server.post(
			endpoint,
			JSON.stringify({
				jsonrpc: '2.0',
				id: 1,
				method: 'tools/call',
				params: { name: 'wait_for_completion', arguments: { job_id: stuck.id, timeout_seconds: 2 } },
			}),
		);
		await server.post(endpoint, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }));
		expect((await reader.nextMessage()).id).toBe(2);
		const wait = await reader.nextMessage();
		expect(wait.id).toBe(1);
		expect(wait.result?.structuredContent).toMatchObject({ still_running: true });
	});

	it('refuses an unknown session with 404 and an expired one likewise', async () => {
		const server = worker();
		const unknown = await server.post('/messages?sessionId=0123456789abcdef0123456789abcdef', rpcBody('ping'));
		expect(unknown.status).toBe(404);
		expect(((await unknown.json()) as { error: string }).error).toContain('Unknown or expired session');

		const { endpoint, sessionId } = await server.connect();
		await env.DB.prepare('UPDATE sse_sessions SET seen_at = ? WHERE id = ?')
			.bind(Date.now() - SESSION_LIVE_WINDOW_MS - 1, sessionId)
			.run();
		expect((await server.post(endpoint, rpcBody('ping'))).status).toBe(404);
	});

	it("refuses another principal's session with 403, and nothing reaches that stream", async () => {
		const now = Date.now();
		await env.DB.prepare('INSERT INTO sse_sessions (id, owner, created_at, seen_at) VALUES (?, ?, ?, ?)')
			.bind('f'.repeat(32), 'someone-else', now, now)
			.run();
		const response = await worker().post(`/messages?sessionId=${'f'.repeat(32)}`, rpcBody('tools/list'));
		expect(response.status).toBe(403);
		expect(await env.DB.prepare('SELECT count(*) AS n FROM sse_outbox').first('n')).toBe(0);
	});

	it('refuses a missing session id, malformed JSON and an oversized body clearly', async () => {
		const server = worker();
		expect((await server.post('/messages', rpcBody('ping'))).status).toBe(400);
		const { endpoint } = await server.connect();
		const malformed = await server.post(endpoint, '{"jsonrpc":');
		expect(malformed.status).toBe(400);
		expect(((await malformed.json()) as { error: { code: number } }).error.code).toBe(-32700);
		const huge = await server.post(endpoint, rpcBody('ping', { pad: 'x'.repeat(1024 * 1024) }));
		expect(huge.status).toBe(413);
	});

	it(`creates ${MAX_COUNT} jobs in one generate_image over the stream, and refuses ${MAX_COUNT + 1} naming the range`, async () => {
		const server = worker(viaOutboxOnly);
		const { reader, endpoint } = await server.connect();
		const prompt = `sse max count ${crypto.randomUUID()}`;
		const call = (id: number, count: number) =>
			server.post(
				endpoint,
				JSON.stringify({
					jsonrpc: '2.0',
					id,
					method: 'tools/call',
					params: { name: 'generate_image', arguments: { prompt, count } },
				}),
			);
		expect((await call(31, MAX_COUNT)).status).toBe(202);
		const created = await reader.nextMessage();
		expect(created.id).toBe(31);
		const content = created.result as { isError?: boolean; structuredContent: { job_ids: string[] } };
		expect(content.isError).toBeFalsy();
		expect(content.structuredContent.job_ids).toHaveLength(MAX_COUNT);

		expect((await call(32, MAX_COUNT + 1)).status).toBe(202);
		const refused = await reader.nextMessage();
		expect(refused.id).toBe(32);
		const error = refused.result as { isError: boolean; content: { text: string }[] };
		expect(error.isError).toBe(true);
		expect(error.content[0]!.text).toContain(`allowed: 1–${MAX_COUNT}`);
		const jobs = await env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE prompt = ?').bind(prompt).first('n');
		expect(jobs).toBe(MAX_COUNT);
		// And the real queue and consumer finish all of them.
		await vi.waitFor(
			async () =>
				expect(
					await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE prompt = ? AND status = 'completed'")
						.bind(prompt)
						.first('n'),
				).toBe(MAX_COUNT),
			{ timeout: 30_000, interval: 50 },
		);
	});

	it('refuses new messages with 429 when the session outbox is full', async () => {
		const server = worker({ ...viaOutboxOnly, SSE_MAX_OUTBOX: '1' });
		const { sessionId, endpoint } = await server.connect();
		// A stream that stopped reading: fill its outbox directly.
		await env.DB.prepare('INSERT INTO sse_outbox (session_id, payload, expires_at) VALUES (?, ?, ?)')
			.bind(sessionId, '{}', Date.now() + 60_000)
			.run();
		const response = await server.post(endpoint, rpcBody('ping'));
		expect(response.status).toBe(429);
		expect(((await response.json()) as { error: string }).error).toContain('outbox full');
	});
});

describe('the outbox limits (a stream that stopped reading)', () => {
	const session = 'outbox-limits-session';
	const expires = () => Date.now() + 60_000;
	const defaults = { maxMessages: SSE_DEFAULT_MAX_OUTBOX, maxBytes: SSE_DEFAULT_MAX_OUTBOX_BYTES };

	it(`holds ${SSE_DEFAULT_MAX_OUTBOX_BYTES} bytes of payload by default, and not one byte more`, async () => {
		// D1 rows hold at most 2 MB, so the default cap is reached in three messages.
		const first = 'a'.repeat(1_400_000);
		const last = 'c'.repeat(SSE_DEFAULT_MAX_OUTBOX_BYTES - 2 * first.length);
		expect(await appendToOutbox(getDb(env), session, first, expires(), defaults)).toBe(true);
		expect(await appendToOutbox(getDb(env), session, first, expires(), defaults)).toBe(true);
		expect(await appendToOutbox(getDb(env), session, `${last}x`, expires(), defaults)).toBe(false);
		expect(await appendToOutbox(getDb(env), session, last, expires(), defaults)).toBe(true);
		expect(await outboxSize(getDb(env), session)).toEqual({ messages: 3, bytes: SSE_DEFAULT_MAX_OUTBOX_BYTES });
		expect(await appendToOutbox(getDb(env), session, 'x', expires(), defaults)).toBe(false);
	});

	it('counts bytes as UTF-8, as the payload is stored', async () => {
		const payload = '"日本語 🎨"';
		expect(payloadBytes(payload)).toBe(16);
		const limits = { maxMessages: 10, maxBytes: 16 };
		expect(await appendToOutbox(getDb(env), session, payload, expires(), limits)).toBe(true);
		expect(await outboxSize(getDb(env), session)).toEqual({ messages: 1, bytes: 16 });
		expect(await appendToOutbox(getDb(env), session, '1', expires(), limits)).toBe(false);
	});

	it(`holds ${SSE_DEFAULT_MAX_OUTBOX} messages by default, and not one more`, async () => {
		const db = getDb(env);
		const rows = Array.from({ length: SSE_DEFAULT_MAX_OUTBOX - 1 }, () =>
			env.DB.prepare('INSERT INTO sse_outbox (session_id, payload, expires_at) VALUES (?, ?, ?)').bind(
				session,
				'{}',
				expires(),
			),
		);
		await env.DB.batch(rows);
		expect(await appendToOutbox(db, session, '{}', expires(), defaults)).toBe(true);
		expect(await appendToOutbox(db, session, '{}', expires(), defaults)).toBe(false);
		expect((await outboxSize(db, session)).messages).toBe(SSE_DEFAULT_MAX_OUTBOX);
	});

	it('refuses new messages with 429 naming the bytes when the outbox holds its byte cap', async () => {
		const server = worker({ ...viaOutboxOnly, SSE_MAX_OUTBOX_BYTES: '100' });
		const { sessionId, endpoint } = await server.connect();
		await env.DB.prepare('INSERT INTO sse_outbox (session_id, payload, expires_at) VALUES (?, ?, ?)')
			.bind(sessionId, 'x'.repeat(100), expires())
			.run();
		const response = await server.post(endpoint, rpcBody('ping'));
		expect(response.status).toBe(429);
		const { error } = (await response.json()) as { error: string };
		expect(error).toContain('1 messages (100 bytes) are waiting');
		expect(error).toContain('100 bytes');
	});
});

describe('cleanup (cron)', () => {
	it('deletes expired outbox rows and dead sessions with their messages, and keeps live ones', async () => {
		const now = Date.now();
		const dead = now - SESSION_LIVE_WINDOW_MS - 1;
		await env.DB.batch([
			env.DB.prepare('INSERT INTO sse_sessions (id, owner, created_at, seen_at) VALUES (?, ?, ?, ?)').bind(
				'live',
				'default',
				now,
				now,
			),
			env.DB.prepare('INSERT INTO sse_sessions (id, owner, created_at, seen_at) VALUES (?, ?, ?, ?)').bind(
				'dead',
				'default',
				dead,
				dead,
			),
			env.DB.prepare('INSERT INTO sse_outbox (session_id, payload, expires_at) VALUES (?, ?, ?)').bind(
				'live',
				'keep',
				now + 60_000,
			),
			env.DB.prepare('INSERT INTO sse_outbox (session_id, payload, expires_at) VALUES (?, ?, ?)').bind(
				'live',
				'old',
				now - 1,
			),
			env.DB.prepare('INSERT INTO sse_outbox (session_id, payload, expires_at) VALUES (?, ?, ?)').bind(
				'dead',
				'gone',
				now + 60_000,
			),
		]);
		await purgeSseState(getDb(env), now, now - SESSION_LIVE_WINDOW_MS);
		expect((await env.DB.prepare('SELECT id FROM sse_sessions').all()).results).toEqual([{ id: 'live' }]);
		expect((await env.DB.prepare('SELECT payload FROM sse_outbox').all()).results).toEqual([{ payload: 'keep' }]);
	});
});
