/**
 * Confirmation by elicitation (issue 21): a client that declared `elicitation` is asked to
 * confirm a spend above the threshold during the call, over legacy SSE (the session's stream
 * carries the question, a POST /messages the answer) and over stateless Streamable HTTP (the
 * call's SSE response carries it, a separate POST /mcp the answer); a client that did not
 * declare it keeps getting the quote and its token.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/worker/app';
import { type ToolResult, textJson } from './helpers/mcp';
import { SseReader } from './helpers/sse';
import { recordingQueue, usersEnv } from './helpers/users';

const BASE = 'http://localhost';
const PRICED = { prompt: 'a paper boat', model: 'dall-e-2', width: 1024, height: 1024 };
const open: SseReader[] = [];

afterEach(async () => {
	await Promise.all(open.splice(0).map((reader) => reader.close()));
	await scheduler.wait(50);
});

interface Message {
	id?: string | number;
	method?: string;
	params?: { message?: string; requestedSchema?: { properties?: Record<string, unknown> } };
	result?: ToolResult;
}

let nextId = 1;

async function setup(options: { elicitation: boolean }) {
	const alice = `alice-${crypto.randomUUID().slice(0, 8)}`;
	const { queue, sent } = recordingQueue();
	const bindings = {
		...env,
		...(await usersEnv([{ id: alice }], { OPENAI_API_KEY: 'test', JOBS: queue, CONFIRM_ABOVE_USD: '0.01' })),
	};
	const app = createApp();
	const auth = { authorization: `Bearer token-${alice}` };
	const fetch = (path: string, init: RequestInit = {}) =>
		app.fetch(
			new Request(`${BASE}${path}`, { ...init, headers: { ...auth, ...(init.headers as object) } }),
			bindings,
			createExecutionContext(),
		);
	const postJson = (path: string, message: unknown, headers: Record<string, string> = {}) =>
		fetch(path, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...headers },
			body: JSON.stringify(message),
		});
	const capabilities = options.elicitation ? { elicitation: {} } : {};
	const initialize = (protocolVersion: string) => ({
		jsonrpc: '2.0',
		id: nextId++,
		method: 'initialize',
		params: { protocolVersion, capabilities, clientInfo: { name: 't', version: '1' } },
	});
	const jobCount = () =>
		env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(alice).first<number>('n');
	return { alice, sent, fetch, postJson, initialize, jobCount };
}

function call(args: Record<string, unknown> = PRICED) {
	return { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'generate_image', arguments: args } };
}

/** A legacy SSE session, initialized with or without elicitation. */
async function sseSession(options: { elicitation: boolean }) {
	const user = await setup(options);
	const response = await user.fetch('/sse');
	expect(response.status).toBe(200);
	const reader = new SseReader(response);
	open.push(reader);
	const endpoint = (await reader.next()).data;
	const next = async () => JSON.parse((await reader.next()).data) as Message;
	expect((await user.postJson(endpoint, user.initialize('2024-11-05'))).status).toBe(202);
	expect((await next()).result).toBeDefined();
	return { ...user, endpoint, next, send: (message: unknown) => user.postJson(endpoint, message) };
}

describe('confirmation by elicitation over legacy SSE', () => {
	it('asks on the stream, and creates the job when the user confirms', async () => {
		const session = await sseSession({ elicitation: true });
		const request = call();
		expect((await session.send(request)).status).toBe(202);
		const question = await session.next();
		expect(question.method).toBe('elicitation/create');
		expect(String(question.id)).toMatch(/^elicit-/);
		expect(question.params?.message).toBe('Generate 1 image with dall-e-2 for an estimated $0.02?');
		expect(question.params?.requestedSchema?.properties?.confirm).toMatchObject({ type: 'boolean' });
		expect(await session.jobCount()).toBe(0);

		const answered = await session.send({
			jsonrpc: '2.0',
			id: question.id,
			result: { action: 'accept', content: { confirm: true } },
		});
		expect(answered.status).toBe(202);
		const reply = await session.next();
		expect(reply.id).toBe(request.id);
		expect(reply.result?.isError).toBeFalsy();
		expect(reply.result?.structuredContent).toMatchObject({ status: 'pending', model: 'dall-e-2' });
		expect(await session.jobCount()).toBe(1);
		expect(session.sent).toHaveLength(1);
		// The rendezvous row is gone once the call has its answer.
		await vi.waitFor(async () =>
			expect(
				await env.DB.prepare('SELECT count(*) AS n FROM elicitations WHERE id = ?').bind(question.id).first('n'),
			).toBe(0),
		);
	});

	it('creates nothing when the user declines, and still answers a token', async () => {
		const session = await sseSession({ elicitation: true });
		const request = call();
		await session.send(request);
		const question = await session.next();
		expect(question.method).toBe('elicitation/create');
		await session.send({ jsonrpc: '2.0', id: question.id, result: { action: 'decline' } });
		const reply = await session.next();
		expect(reply.id).toBe(request.id);
		expect(reply.result?.isError).toBe(true);
		const body = textJson(reply.result!) as { error: string; confirmation: string; asked_user: string };
		expect(body.error).toContain('The user declined');
		expect(body.error).toContain('Nothing was created');
		expect(body).toMatchObject({ confirmation_required: true, asked_user: 'declined' });
		expect(body.confirmation).toEqual(expect.any(String));
		expect(await session.jobCount()).toBe(0);
		expect(session.sent).toHaveLength(0);
	});

	it('treats an accept without confirm: true as a no', async () => {
		const session = await sseSession({ elicitation: true });
		await session.send(call());
		const question = await session.next();
		await session.send({ jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { confirm: false } } });
		const reply = await session.next();
		expect(textJson(reply.result!)).toMatchObject({ asked_user: 'declined' });
		expect(await session.jobCount()).toBe(0);
	});

	it('answers the quote when the client answers the question with an error', async () => {
		const session = await sseSession({ elicitation: true });
		await session.send(call());
		const question = await session.next();
		await session.send({ jsonrpc: '2.0', id: question.id, error: { code: -32601, message: 'Method not found' } });
		const reply = await session.next();
		const body = textJson(reply.result!) as { error: string };
		expect(body.error).toContain('Confirmation needed');
		expect(body).not.toHaveProperty('asked_user');
		expect(await session.jobCount()).toBe(0);
	});

	it('keeps the quote and token for a client that did not declare elicitation', async () => {
		const session = await sseSession({ elicitation: false });
		const request = call();
		await session.send(request);
		const reply = await session.next();
		expect(reply.id).toBe(request.id);
		expect(textJson(reply.result!)).toMatchObject({ confirmation_required: true, model: 'dall-e-2', count: 1 });
		expect(await session.jobCount()).toBe(0);
	});

	it('does not ask when the call carries a confirmation token', async () => {
		const session = await sseSession({ elicitation: true });
		await session.send(call());
		const question = await session.next();
		await session.send({ jsonrpc: '2.0', id: question.id, result: { action: 'cancel' } });
		const { confirmation } = textJson((await session.next()).result!) as { confirmation: string };
		const request = call({ ...PRICED, confirmation });
		await session.send(request);
		const reply = await session.next();
		expect(reply.id).toBe(request.id);
		expect(reply.result?.structuredContent).toMatchObject({ status: 'pending' });
		expect(await session.jobCount()).toBe(1);
	});
});

describe('confirmation by elicitation over Streamable HTTP', () => {
	const STREAM = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

	it('asks on the call’s SSE response when the principal’s client declared elicitation', async () => {
		const user = await setup({ elicitation: true });
		expect((await user.postJson('/mcp', user.initialize('2025-11-25'), STREAM)).status).toBe(200);
		const request = call();
		const response = await user.postJson('/mcp', request, STREAM);
		expect(response.headers.get('content-type')).toBe('text/event-stream');
		const reader = new SseReader(response);
		open.push(reader);
		const nextMessage = async (): Promise<Message> => {
			for (;;) {
				const event = await reader.next();
				if (event.data) return JSON.parse(event.data) as Message;
			}
		};
		const question = await nextMessage();
		expect(question.method).toBe('elicitation/create');
		const answered = await user.postJson(
			'/mcp',
			{ jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { confirm: true } } },
			STREAM,
		);
		expect(answered.status).toBe(202);
		const reply = await nextMessage();
		expect(reply.id).toBe(request.id);
		expect(reply.result?.structuredContent).toMatchObject({ status: 'pending' });
		expect(await user.jobCount()).toBe(1);
	});

	it('answers the quote as JSON when the latest initialize did not declare elicitation', async () => {
		const user = await setup({ elicitation: false });
		await user.postJson('/mcp', user.initialize('2025-11-25'), STREAM);
		const response = await user.postJson('/mcp', call(), STREAM);
		expect(response.headers.get('content-type')).toContain('application/json');
		const body = (await response.json()) as { result: ToolResult };
		expect(textJson(body.result)).toMatchObject({ confirmation_required: true });
		expect(await user.jobCount()).toBe(0);
	});

	it('ignores an answer to a question of another user', async () => {
		const asker = await setup({ elicitation: true });
		const other = await setup({ elicitation: true });
		await asker.postJson('/mcp', asker.initialize('2025-11-25'), STREAM);
		const response = await asker.postJson('/mcp', call(), STREAM);
		const reader = new SseReader(response);
		open.push(reader);
		let question: Message;
		do question = JSON.parse((await reader.next()).data || '{}') as Message;
		while (!question.method);
		await other.postJson(
			'/mcp',
			{ jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { confirm: true } } },
			STREAM,
		);
		const row = await env.DB.prepare('SELECT answer FROM elicitations WHERE id = ?').bind(question.id).first();
		expect(row).toEqual({ answer: null });
		await asker.postJson('/mcp', { jsonrpc: '2.0', id: question.id, result: { action: 'decline' } }, STREAM);
		let reply: Message;
		do reply = JSON.parse((await reader.next()).data || '{}') as Message;
		while (!reply.result);
		expect(textJson(reply.result)).toMatchObject({ asked_user: 'declined' });
		expect(await asker.jobCount()).toBe(0);
	});
});
