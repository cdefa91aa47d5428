/// <reference types="node" />
/**
 * Latency of the MCP tools as a client sees them, against real `wrangler dev`
 * servers on this machine (offline provider, so what is measured is this server: transport,
 * D1, the queue hop, R2 and the wait loop, plus drawing and encoding the PNG).
 *
 *   node --experimental-strip-types bench/latency.ts [--n 30] [--warmup 3] [--width 1024 --height 1024]
 *
 * Measures, one call at a time (latency, not throughput):
 *   a. generate_image round trip (SDK client), at 0 ms provider latency
 *   b. generate_image_and_wait wall time (SDK client), at 0 ms
 *   c. generate_image_and_wait wall time (SDK client), at 500 ms: (c) - (b) - 500 is the
 *      cost of waiting on a job that is not done at once
 *   d. (b) with raw fetch, curl-style (no Accept, no initialize)
 * and prints a table (ms) and one JSON line with every figure.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { DevServer } from '../test/e2e/dev-server.ts';
import { withDevServers } from './servers.ts';
import { formatTable, measure, positiveInteger, round, type Stats } from './stats.ts';

const SLOW_LATENCY_MS = 500;

async function connect(server: DevServer): Promise<Client> {
	const client = new Client({ name: 'image-mcp-bench', version: '1.0.0' });
	await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
	await client.listTools();
	return client;
}

/** Throws unless the call succeeded (and, when `completed`, the image is ready): a failed call is not a sample. */
function check(result: CallToolResult, completed: boolean): void {
	const content = result.structuredContent as { status?: string; job_id?: string } | undefined;
	if (result.isError || !content?.job_id || (completed && content.status !== 'completed')) {
		const block = result.content[0];
		throw new Error(`Unexpected tool result: ${block?.type === 'text' ? block.text : JSON.stringify(result)}`);
	}
}

let requestId = 0;

/** POST /mcp as the seed's curl scripts do: only Content-Type, no initialize. */
async function curlToolCall(server: DevServer, name: string, args: Record<string, unknown>): Promise<void> {
	const response = await fetch(`${server.url}/mcp`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: ++requestId, method: 'tools/call', params: { name, arguments: args } }),
	});
	const body = (await response.json()) as { result?: { isError?: boolean; content: Array<{ text: string }> } };
	const outcome = body.result && !body.result.isError ? JSON.parse(body.result.content[0]!.text) : undefined;
	if (response.status !== 200 || outcome?.status !== 'completed') {
		throw new Error(`Unexpected curl-style answer (${response.status}): ${JSON.stringify(body)}`);
	}
}

export interface LatencyOptions {
	n: number;
	warmup: number;
	/** Image size; the model default when absent. */
	width?: number;
	height?: number;
}

/** Runs the measurements, prints the table and the JSON line, and returns the JSON's figures. */
export async function runLatency({ n, warmup, width, height }: LatencyOptions): Promise<Record<string, unknown>> {
	const size = width && height ? { width, height } : {};
	return withDevServers(
		'0 ms and 500 ms offline latency',
		[{}, { OFFLINE_LATENCY_MS: String(SLOW_LATENCY_MS) }],
		async ([fast, slow], track) => {
			const [fastClient, slowClient] = await Promise.all([connect(fast!).then(track), connect(slow!).then(track)]);

			const prompt = (tag: string) => `bench ${tag} ${Math.random().toString(36).slice(2)}`;
			let observedSize = '';
			const call = async (client: Client, name: string, completed: boolean) => {
				const result = (await client.callTool({
					name,
					arguments: { prompt: prompt(name), ...size },
				})) as CallToolResult;
				check(result, completed);
				const content = result.structuredContent as { width?: number; height?: number };
				if (!observedSize && content.width) observedSize = `${content.width}x${content.height}`;
			};

			const rows: Array<[string, Stats]> = [];
			rows.push([
				'a. generate_image (SDK, 0 ms)',
				await measure('a', n, warmup, () => call(fastClient, 'generate_image', false)),
			]);
			rows.push([
				'b. generate_image_and_wait (SDK, 0 ms)',
				await measure('b', n, warmup, () => call(fastClient, 'generate_image_and_wait', true)),
			]);
			rows.push([
				`c. generate_image_and_wait (SDK, ${SLOW_LATENCY_MS} ms)`,
				await measure('c', n, warmup, () => call(slowClient, 'generate_image_and_wait', true)),
			]);
			rows.push([
				'd. generate_image_and_wait (curl-style fetch, 0 ms)',
				await measure('d', n, warmup, () =>
					curlToolCall(fast!, 'generate_image_and_wait', { prompt: prompt('curl'), ...size }),
				),
			]);

			const sizeLabel = observedSize || (width ? `${width}x${height}` : 'model default');
			console.log(
				`\nLatency, n=${n} after ${warmup} warm-up calls each; image size: ${sizeLabel}; node ${process.version}\n`,
			);
			console.log(formatTable(rows));
			const [, waitFast, waitSlow] = rows.map(([, stats]) => stats);
			const waitOverheadMs = round(waitSlow!.p50 - waitFast!.p50 - SLOW_LATENCY_MS);
			console.log(
				`\n(c) p50 - (b) p50 - ${SLOW_LATENCY_MS} ms = ${waitOverheadMs} ms: what waiting on a job that is not done at once adds.\n`,
			);
			const figures = {
				bench: 'latency',
				n,
				warmup,
				size: sizeLabel,
				node: process.version,
				slow_latency_ms: SLOW_LATENCY_MS,
				generate_image_sdk_ms: rows[0]![1],
				generate_and_wait_sdk_0ms_ms: rows[1]![1],
				generate_and_wait_sdk_500ms_ms: rows[2]![1],
				generate_and_wait_curl_0ms_ms: rows[3]![1],
				wait_overhead_p50_ms: waitOverheadMs,
			};
			console.log(JSON.stringify(figures));
			return figures;
		},
	);
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			n: { type: 'string', default: '30' },
			warmup: { type: 'string', default: '3' },
			width: { type: 'string' },
			height: { type: 'string' },
		},
	});
	if ((values.width === undefined) !== (values.height === undefined))
		throw new Error('Give both --width and --height.');
	await runLatency({
		n: positiveInteger(values.n, 'n'),
		warmup: positiveInteger(values.warmup, 'warmup', true),
		width: values.width ? positiveInteger(values.width, 'width') : undefined,
		height: values.height ? positiveInteger(values.height, 'height') : undefined,
	});
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
