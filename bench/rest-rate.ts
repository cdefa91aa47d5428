/// <reference types="node" />
/**
 * The REST API's create route against MCP's tools/call generate_image (issue 20): requests per
 * second of `POST /api/v1/generations` and of `tools/call generate_image` on one `wrangler dev`,
 * alternating in the same run so machine noise hits both alike. Both run the same operation
 * (an insert, a queue send, and the local consumer drawing 256×256 offline PNGs meanwhile); the
 * ratio REST/MCP is what the REST face costs or saves. Target: ≥ 0.9.
 *
 *   node --experimental-strip-types bench/rest-rate.ts [--duration-s 4] [--rounds 3] [--warmup-s 1]
 */
import { pathToFileURL } from 'node:url';
import { type DevServer, startDevServer } from '../test/e2e/dev-server.ts';
import { rateLoopOptions, round, type Stats, summarise } from './stats.ts';

export const TARGET_RATIO = 0.9;
const CONCURRENCIES = [1, 8] as const;
type Face = 'rest' | 'mcp';

export interface RestRateOptions {
	durationS: number;
	rounds: number;
	warmupS: number;
	log?: (line: string) => void;
}

export interface RestRateCell {
	concurrency: number;
	rest: { rps: number; latency_ms: Stats };
	mcp: { rps: number; latency_ms: Stats };
	ratio: number;
	meets_target: boolean;
}

export interface RestRateResult {
	bench: 'rest-rate';
	node: string;
	duration_s: number;
	rounds: number;
	target: number;
	cells: RestRateCell[];
	ok: boolean;
}

function request(
	server: DevServer,
	face: Face,
	id: number,
): { url: string; body: string; ok: (text: string) => boolean } {
	const args = { prompt: `rest rate ${id}`, model: 'offline', width: 256, height: 256 };
	if (face === 'rest') {
		return {
			url: `${server.url}/api/v1/generations`,
			body: JSON.stringify(args),
			ok: (text) => text.includes('"job_id"'),
		};
	}
	return {
		url: `${server.url}/mcp`,
		body: JSON.stringify({
			jsonrpc: '2.0',
			id,
			method: 'tools/call',
			params: { name: 'generate_image', arguments: args },
		}),
		ok: (text) => text.includes('"job_id') && !text.includes('"isError":true'),
	};
}

/** C closed-loop clients for `seconds`: each request's latency. Throws on any bad answer. */
async function load(server: DevServer, face: Face, concurrency: number, seconds: number) {
	const until = performance.now() + seconds * 1000;
	const latencies: number[] = [];
	let id = 0;
	const client = async () => {
		while (performance.now() < until) {
			const { url, body, ok } = request(server, face, ++id);
			const started = performance.now();
			const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
			const text = await response.text();
			if (response.status >= 300 || !ok(text)) {
				throw new Error(`Unexpected ${face} answer (${response.status}): ${text.slice(0, 300)}`);
			}
			latencies.push(performance.now() - started);
		}
	};
	const started = performance.now();
	await Promise.all(Array.from({ length: concurrency }, client));
	return { elapsedS: (performance.now() - started) / 1000, latencies };
}

export async function runRestRate(options: RestRateOptions): Promise<RestRateResult> {
	const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	log('Starting wrangler dev...');
	const server = await startDevServer();
	try {
		const faces: Face[] = ['rest', 'mcp'];
		for (const face of faces) await load(server, face, 4, options.warmupS);
		const cells: RestRateCell[] = [];
		for (const concurrency of CONCURRENCIES) {
			const totals = {
				rest: { n: 0, s: 0, latencies: [] as number[] },
				mcp: { n: 0, s: 0, latencies: [] as number[] },
			};
			for (let turn = 0; turn < options.rounds; turn++) {
				// Alternate which goes first, so neither always meets the other's leftover queue work.
				for (const face of turn % 2 === 0 ? faces : [...faces].reverse()) {
					const run = await load(server, face, concurrency, options.durationS);
					totals[face].n += run.latencies.length;
					totals[face].s += run.elapsedS;
					totals[face].latencies.push(...run.latencies);
				}
			}
			const rate = (face: Face) => round(totals[face].n / totals[face].s);
			const ratio = Math.round((rate('rest') / rate('mcp')) * 100) / 100;
			const cell: RestRateCell = {
				concurrency,
				rest: { rps: rate('rest'), latency_ms: summarise(totals.rest.latencies) },
				mcp: { rps: rate('mcp'), latency_ms: summarise(totals.mcp.latencies) },
				ratio,
				meets_target: ratio >= TARGET_RATIO,
			};
			log(`  concurrency ${concurrency}: REST ${cell.rest.rps} req/s, MCP ${cell.mcp.rps} req/s, ratio ${ratio}`);
			cells.push(cell);
		}
		return {
			bench: 'rest-rate',
			node: process.version,
			duration_s: options.durationS,
			rounds: options.rounds,
			target: TARGET_RATIO,
			cells,
			ok: cells.every((cell) => cell.meets_target),
		};
	} finally {
		await server.stop();
	}
}

function printReport(result: RestRateResult): void {
	console.log(
		`\nPOST /api/v1/generations against tools/call generate_image, one wrangler dev, ` +
			`${result.rounds} × ${result.duration_s} s per cell and face, alternating; node ${result.node}\n`,
	);
	console.log('conc  REST req/s  MCP req/s  ratio  REST p50/p99 ms  MCP p50/p99 ms');
	for (const cell of result.cells) {
		console.log(
			`${String(cell.concurrency).padEnd(4)}  ${String(cell.rest.rps).padStart(10)}  ${String(cell.mcp.rps).padStart(9)}  ${cell.ratio.toFixed(2).padStart(5)}  ${`${cell.rest.latency_ms.p50} / ${cell.rest.latency_ms.p99}`.padStart(15)}  ${`${cell.mcp.latency_ms.p50} / ${cell.mcp.latency_ms.p99}`.padStart(14)}`,
		);
	}
	console.log(`\nTarget: ratio ≥ ${result.target}: ${result.ok ? 'met' : 'MISSED'}\n\n${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
	printReport(await runRestRate(rateLoopOptions()));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
