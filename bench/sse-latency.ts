/// <reference types="node" />
/**
 * Round-trip latency of the legacy HTTP+SSE transport (GET /sse + POST /messages) as the
 * official SDK client sees it, against real `wrangler dev` servers on this
 * machine, next to Streamable HTTP (POST /mcp) for comparison.
 *
 *   node --experimental-strip-types bench/sse-latency.ts [--n 50] [--warmup 5] [--idle-n 10] [--idle-ms 1000]
 *
 * Two servers: one with defaults (a response reaches the stream through the same-isolate
 * mailbox) and one with SSE_IN_MEMORY=false (every message goes through the D1 outbox the
 * stream polls, 10 ms after traffic backing off to 250 ms: the cross-isolate path).
 * Measures, one request at a time on one connected client:
 *   - `ping` and `tools/list` back to back, on SSE (mailbox), SSE (D1 outbox), Streamable HTTP;
 *   - `ping` after the stream has been idle for --idle-ms, on both SSE paths: what the first
 *     message after a pause costs once the outbox poll has backed off.
 * Prints a table (ms) and one JSON line with every figure.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EXPECTED_TOOLS } from '../test/helpers/expected-tools.ts';
import { withDevServers } from './servers.ts';
import { formatTable, measure, positiveInteger, type Stats } from './stats.ts';

const EXPECTED_TOOL_COUNT = EXPECTED_TOOLS.length;

async function connect(url: URL, transport: 'sse' | 'http'): Promise<Client> {
	const client = new Client({ name: 'image-mcp-bench', version: '1.0.0' });
	await client.connect(transport === 'sse' ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url));
	return client;
}

export interface SseLatencyOptions {
	n: number;
	warmup: number;
	idleN: number;
	idleMs: number;
}

/** Runs the measurements, prints the table and the JSON line, and returns the figures by row label. */
export async function runSseLatency({ n, warmup, idleN, idleMs }: SseLatencyOptions): Promise<Record<string, Stats>> {
	return withDevServers(
		'defaults, and SSE_IN_MEMORY=false',
		[{}, { SSE_IN_MEMORY: 'false' }],
		async ([memory, outbox], track) => {
			const [sseMemory, sseOutbox, http] = await Promise.all([
				connect(new URL(`${memory!.url}/sse`), 'sse').then(track),
				connect(new URL(`${outbox!.url}/sse`), 'sse').then(track),
				connect(new URL(`${memory!.url}/mcp`), 'http').then(track),
			]);

			const ping = (client: Client) => async () => {
				await client.ping();
			};
			const listTools = (client: Client) => async () => {
				const { tools } = await client.listTools();
				if (tools.length !== EXPECTED_TOOL_COUNT)
					throw new Error(`Expected ${EXPECTED_TOOL_COUNT} tools, got ${tools.length}.`);
			};

			const rows: Array<[string, Stats]> = [];
			const targets: Array<[string, Client]> = [
				['SSE, in-memory mailbox', sseMemory],
				['SSE, D1 outbox (SSE_IN_MEMORY=false)', sseOutbox],
				['Streamable HTTP (/mcp)', http],
			];
			for (const [name, client] of targets) {
				rows.push([`ping, ${name}`, await measure(`ping, ${name}`, n, warmup, ping(client))]);
				rows.push([`tools/list, ${name}`, await measure(`tools/list, ${name}`, n, warmup, listTools(client))]);
			}
			if (idleN > 0) {
				for (const [name, client] of targets.slice(0, 2)) {
					const label = `ping after ${idleMs} ms idle, ${name}`;
					rows.push([label, await measure(label, idleN, 0, ping(client), idleMs)]);
				}
			}

			console.log(
				`\nRound trips, one at a time on one client; n=${n} after ${warmup} warm-up calls each` +
					`${idleN > 0 ? `, idle rows n=${idleN}` : ''}; node ${process.version}\n`,
			);
			console.log(formatTable(rows));
			const byLabel = Object.fromEntries(rows);
			const figure = (label: string) => byLabel[label];
			console.log(
				`\n${JSON.stringify({
					bench: 'sse-latency',
					n,
					warmup,
					idle_n: idleN,
					idle_ms: idleMs,
					node: process.version,
					sse_memory_ping_ms: figure('ping, SSE, in-memory mailbox'),
					sse_memory_tools_list_ms: figure('tools/list, SSE, in-memory mailbox'),
					sse_outbox_ping_ms: figure('ping, SSE, D1 outbox (SSE_IN_MEMORY=false)'),
					sse_outbox_tools_list_ms: figure('tools/list, SSE, D1 outbox (SSE_IN_MEMORY=false)'),
					http_ping_ms: figure('ping, Streamable HTTP (/mcp)'),
					http_tools_list_ms: figure('tools/list, Streamable HTTP (/mcp)'),
					sse_memory_ping_after_idle_ms: figure(`ping after ${idleMs} ms idle, SSE, in-memory mailbox`) ?? null,
					sse_outbox_ping_after_idle_ms:
						figure(`ping after ${idleMs} ms idle, SSE, D1 outbox (SSE_IN_MEMORY=false)`) ?? null,
				})}`,
			);
			return byLabel;
		},
	);
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			n: { type: 'string', default: '50' },
			warmup: { type: 'string', default: '5' },
			'idle-n': { type: 'string', default: '10' },
			'idle-ms': { type: 'string', default: '1000' },
		},
	});
	await runSseLatency({
		n: positiveInteger(values.n, 'n'),
		warmup: positiveInteger(values.warmup, 'warmup', true),
		idleN: positiveInteger(values['idle-n'], 'idle-n', true),
		idleMs: positiveInteger(values['idle-ms'], 'idle-ms'),
	});
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
