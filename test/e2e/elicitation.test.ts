/**
 * Confirmation by elicitation end to end (issue 21), against a real `wrangler dev`: the official
 * SDK client declares `elicitation` and answers `elicitation/create` with its handler, over legacy
 * SSE and over stateless Streamable HTTP. A yes creates the job (which then fails against a closed
 * port: only its creation matters here); a no creates nothing; a client without elicitation
 * still gets the quote.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { callTool, connectClient, firstText, printServerLogsOnFailure } from './helpers';

let server: DevServer;
const clients: Client[] = [];

beforeAll(async () => {
	server = await startDevServer({
		vars: {
			CONFIRM_ABOVE_USD: '0.01',
			// dall-e-2 becomes "configured"; its calls go to a closed local port and fail at once.
			OPENAI_API_KEY: 'sk-e2e-not-a-key',
			OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
		},
	});
});

afterAll(async () => {
	await Promise.allSettled(clients.map((client) => client.close()));
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

const PRICED = { prompt: 'a paper boat', model: 'dall-e-2', width: 256, height: 256 };

/** An SDK client that declares elicitation and answers each question with `answer`, recording the questions. */
async function askingClient(transport: 'sse' | 'http', answer: ElicitResult) {
	const client = new Client(
		{ name: 'image-mcp-e2e-elicitation', version: '1.0.0' },
		{ capabilities: { elicitation: {} } },
	);
	const questions: string[] = [];
	client.setRequestHandler(ElicitRequestSchema, async (request) => {
		questions.push(request.params.message);
		return answer;
	});
	await client.connect(
		transport === 'sse'
			? new SSEClientTransport(new URL(`${server.url}/sse`))
			: new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)),
	);
	clients.push(client);
	return { client, questions };
}

function json(result: Awaited<ReturnType<typeof callTool>>): Record<string, unknown> {
	return JSON.parse(firstText(result)) as Record<string, unknown>;
}

async function jobTotal(client: Client): Promise<number> {
	return json(await callTool(client, 'list_jobs', { limit: 50 })).total_count as number;
}

describe.each(['sse', 'http'] as const)('confirmation by elicitation over %s', (transport) => {
	it('asks, and creates the job on a yes', async () => {
		const { client, questions } = await askingClient(transport, { action: 'accept', content: { confirm: true } });
		const before = await jobTotal(client);
		const made = await callTool(client, 'generate_image', PRICED);
		expect(questions).toEqual([expect.stringMatching(/^Generate 1 image with dall-e-2 for an estimated \$0\.\d+\?/)]);
		expect(made.isError).toBeFalsy();
		expect(made.structuredContent).toMatchObject({ model: 'dall-e-2' });
		expect(['pending', 'processing', 'failed']).toContain((made.structuredContent as { status: string }).status);
		expect(await jobTotal(client)).toBe(before + 1);
	});

	it('creates nothing on a no, and says the user declined', async () => {
		const { client, questions } = await askingClient(transport, { action: 'decline' });
		const before = await jobTotal(client);
		const refused = await callTool(client, 'generate_image', PRICED);
		expect(questions).toHaveLength(1);
		expect(refused.isError).toBe(true);
		expect(json(refused)).toMatchObject({ confirmation_required: true, asked_user: 'declined' });
		expect(json(refused).error).toContain('The user declined');
		expect(await jobTotal(client)).toBe(before);
	});
});

describe('a client without elicitation', () => {
	it('still gets the quote over Streamable HTTP, after another client of the user declared it', async () => {
		await askingClient('http', { action: 'decline' });
		// The latest initialize of the principal decides (the server keeps no session).
		const plain = await connectClient(server.url);
		clients.push(plain);
		const quoted = await callTool(plain, 'generate_image', PRICED);
		expect(quoted.isError).toBe(true);
		expect(json(quoted)).toMatchObject({ confirmation_required: true });
		expect(json(quoted)).not.toHaveProperty('asked_user');
	});
});
