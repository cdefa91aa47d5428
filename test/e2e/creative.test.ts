/**
 * Creative control end to end (issue 21), against a real `wrangler dev` with the official MCP
 * SDK client over Streamable HTTP and over legacy SSE, and plain HTTP for the REST face: a style
 * saved by one face is used by the others, variations record their parent, preferences change
 * the next call, and a priced call above the threshold is quoted, then confirmed with its token.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { callTool, connectClient, connectSseClient, firstText, printServerLogsOnFailure } from './helpers';

let server: DevServer;
let http: Client;
let sse: Client;

beforeAll(async () => {
	server = await startDevServer({
		vars: {
			CONFIRM_ABOVE_USD: '0.01',
			// dall-e-2 becomes "configured"; its calls go to a closed local port and fail at once.
			OPENAI_API_KEY: 'sk-e2e-not-a-key',
			OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
		},
	});
	[http, sse] = await Promise.all([connectClient(server.url), connectSseClient(server.url)]);
});

afterAll(async () => {
	await Promise.allSettled([http?.close(), sse?.close()]);
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

function json(result: Awaited<ReturnType<typeof callTool>>): Record<string, unknown> {
	return JSON.parse(firstText(result)) as Record<string, unknown>;
}

describe('styles, variations and preferences through the SDK clients', () => {
	it('saves a style over Streamable HTTP, uses it over SSE, and varies the result', async () => {
		const saved = await callTool(http, 'save_style', {
			name: 'e2e-ink',
			brief: '- black ink\n- cross-hatching',
			defaults: { model: 'offline', aspect_ratio: '3:2' },
		});
		expect(saved.structuredContent).toMatchObject({ name: 'e2e-ink', resource_uri: 'style://e2e-ink' });

		const made = await callTool(sse, 'generate_image_and_wait', { prompt: 'a lighthouse', style: 'e2e-ink' });
		expect(made.isError).toBeFalsy();
		const [result] = (made.structuredContent as { results: Record<string, unknown>[] }).results;
		expect(result).toMatchObject({ status: 'completed', style: 'e2e-ink', prompt_given: 'a lighthouse' });
		expect(result!.prompt).toBe('a lighthouse\n\nStyle: black ink; cross-hatching');

		const varied = await callTool(http, 'generate_variations', { job_id: result!.job_id, count: 2 });
		expect(varied.structuredContent).toMatchObject({ count: 2, parent_job_id: result!.job_id });

		const style = await http.readResource({ uri: 'style://e2e-ink' });
		expect((style.contents[0] as { text: string }).text).toContain('cross-hatching');
		const prompt = await sse.getPrompt({ name: 'apply_style', arguments: { style: 'e2e-ink', subject: 'a heron' } });
		expect(JSON.stringify(prompt.messages)).toContain('black ink');
	});

	it('sets a preference over REST and the next MCP call uses it', async () => {
		const patched = await fetch(`${server.url}/api/v1/preferences`, {
			method: 'PATCH',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ default_model: 'offline', default_size: '128x96' }),
		});
		expect(patched.status).toBe(200);
		const started = await callTool(http, 'generate_image', { prompt: 'a red door' });
		expect(started.structuredContent).toMatchObject({ model: 'offline', width: 128, height: 96 });
		const cleared = await callTool(sse, 'set_preferences', { default_size: null });
		expect(cleared.structuredContent).toMatchObject({ default_size: null });
	});
});

describe('confirmation before spending, end to end', () => {
	const PRICED = { prompt: 'a paper boat', model: 'dall-e-2', width: 256, height: 256 };

	it('quotes a priced call above CONFIRM_ABOVE_USD, then goes ahead with the token, once', async () => {
		const quoted = await callTool(http, 'generate_image', PRICED);
		expect(quoted.isError).toBe(true);
		const quote = json(quoted) as { confirmation: string; confirmation_required: boolean; estimated_cost_usd: number };
		expect(quote.confirmation_required).toBe(true);
		expect(quote.estimated_cost_usd).toBeGreaterThan(0.01);

		const listedBefore = json(await callTool(sse, 'list_jobs', { limit: 50 })).total_count as number;
		const confirmed = await callTool(sse, 'generate_image', { ...PRICED, confirmation: quote.confirmation });
		expect(confirmed.isError).toBeFalsy();
		expect(confirmed.structuredContent).toMatchObject({ model: 'dall-e-2' });
		const listedAfter = json(await callTool(http, 'list_jobs', { limit: 50 })).total_count as number;
		expect(listedAfter).toBe(listedBefore + 1);

		const again = await callTool(http, 'generate_image', { ...PRICED, confirmation: quote.confirmation });
		expect(again.isError).toBe(true);
		expect(json(again).error).toContain('that token was already used');
	});

	it('answers the REST API with a 428 problem carrying the quote', async () => {
		const response = await fetch(`${server.url}/api/v1/generations`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(PRICED),
		});
		expect(response.status).toBe(428);
		expect(await response.json()).toMatchObject({ confirmation_required: true, model: 'dall-e-2' });
	});
});
