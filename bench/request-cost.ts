/// <reference types="node" />
/**
 * Request cost against the floor of the stack: requests per second and latency of `tools/list`
 * and `generate_image` on this server, next to a trivial Worker (bench/floor/worker.ts) that
 * answers every POST with a constant JSON-RPC reply, served the same way (`wrangler dev`,
 * local mode) and measured in the same run. The ratio ours/floor is the share of the
 * platform's throughput our code keeps.
 *
 *   node --experimental-strip-types bench/request-cost.ts [--duration-s 4] [--rounds 3] [--warmup-s 1]
 *
 * Each cell (method × concurrency 1 and 16) is a closed loop: C clients each send the next
 * request when the previous answer arrives, plain JSON-RPC POST /mcp as curl would (no session,
 * no initialize). Floor and ours alternate, `--rounds` times each, so machine noise hits both
 * alike. generate_image includes its real cost: the insert, the queue send, and the local queue
 * consumer drawing (256×256 offline PNGs) and storing those jobs in the same workerd meanwhile.
 * Client, servers and consumer share this machine's cores.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DevServer, PROJECT_ROOT, startDevServer } from '../test/e2e/dev-server.ts';
import { rateLoopOptions, round, type Stats, summarise } from './stats.ts';

/** Targets (issue 7): our rate as a share of the floor's. */
export const TARGETS = { 'tools/list': 0.7, generate_image: 0.4 } as const;
type Method = keyof typeof TARGETS;

/**
 * The second floor per method (bench/floor/worker.ts), for reading the ratio: tools/list against
 * a constant reply as large as ours, generate_image against one D1 insert and one queue send.
 */
const SECOND_FLOOR: Record<Method, { path: string; label: string }> = {
	'tools/list': { path: '/mcp-sized', label: 'same-size constant reply' },
	generate_image: { path: '/mcp-durable', label: 'one D1 insert + one queue send' },
};
const METHODS = Object.keys(TARGETS) as Method[];
const CONCURRENCIES = [1, 16] as const;

export interface CostOptions {
	durationS: number;
	rounds: number;
	warmupS: number;
	log?: (line: string) => void;
}

export interface Cell {
	method: Method;
	concurrency: number;
	floor: { rps: number; latency_ms: Stats };
	ours: { rps: number; latency_ms: Stats };
	ratio: number;
	target: number;
	meets_target: boolean;
	second_floor: { label: string; rps: number; latency_ms: Stats; ratio: number };
}

export interface CostResult {
	bench: 'request-cost';
	node: string;
	/** Size of our tools/list answer, which the sized floor pads its reply to. */
	tools_list_bytes: number;
	duration_s: number;
	rounds: number;
	cells: Cell[];
	ok: boolean;
}

function body(method: Method, id: number): string {
	const message =
		method === 'tools/list'
			? { jsonrpc: '2.0', id, method: 'tools/list' }
			: {
					jsonrpc: '2.0',
					id,
					method: 'tools/call',
					params: { name: 'generate_image', arguments: { prompt: `cost ${id}`, width: 256, height: 256 } },
				};
	return JSON.stringify(message);
}

/** C closed-loop clients for `seconds` against `endpoint`: each request's latency. Throws on any bad answer. */
async function load(endpoint: string, method: Method, concurrency: number, seconds: number, floor: boolean) {
	const until = performance.now() + seconds * 1000;
	const latencies: number[] = [];
	let id = 0;
	const client = async () => {
		while (performance.now() < until) {
			const started = performance.now();
			const response = await fetch(endpoint, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: body(method, ++id),
			});
			const text = await response.text();
			if (response.status !== 200 || !text.includes('"result"') || (!floor && text.includes('"isError":true'))) {
				throw new Error(`Unexpected answer to ${method} (${response.status}): ${text.slice(0, 300)}`);
			}
			latencies.push(performance.now() - started);
		}
	};
	const started = performance.now();
	await Promise.all(Array.from({ length: concurrency }, client));
	return { elapsedS: (performance.now() - started) / 1000, latencies };
}

export async function runRequestCost(options: CostOptions): Promise<CostResult> {
	const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	log('Starting wrangler dev for this server and for the floor Worker...');
	const started: DevServer[] = [];
	try {
		const ours = await startDevServer();
		started.push(ours);
		// The sized floor answers with as many bytes as our tools/list does.
		const list = await fetch(`${ours.url}/mcp`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: body('tools/list', 0),
		});
		const listBytes = (await list.arrayBuffer()).byteLength;
		const floor = await startDevServer({
			configPath: join(PROJECT_ROOT, 'bench', 'floor', 'wrangler.jsonc'),
			vars: { REPLY_BYTES: String(listBytes) },
		});
		started.push(floor);
		const cells: Cell[] = [];
		for (const method of METHODS) {
			const endpoints = {
				floor: `${floor.url}/mcp`,
				second: `${floor.url}${SECOND_FLOOR[method].path}`,
				ours: `${ours.url}/mcp`,
			} as const;
			type Name = keyof typeof endpoints;
			const names = Object.keys(endpoints) as Name[];
			for (const name of names) await load(endpoints[name], method, 4, options.warmupS, name !== 'ours');
			for (const concurrency of CONCURRENCIES) {
				const totals = Object.fromEntries(
					names.map((name) => [name, { n: 0, s: 0, latencies: [] as number[] }]),
				) as Record<Name, { n: number; s: number; latencies: number[] }>;
				for (let round = 0; round < options.rounds; round++) {
					for (const name of names) {
						const run = await load(endpoints[name], method, concurrency, options.durationS, name !== 'ours');
						totals[name].n += run.latencies.length;
						totals[name].s += run.elapsedS;
						totals[name].latencies.push(...run.latencies);
					}
				}
				const rate = (name: Name) => round(totals[name].n / totals[name].s);
				const ratioTo = (name: Name) => Math.round((rate('ours') / rate(name)) * 100) / 100;
				const cell: Cell = {
					method,
					concurrency,
					floor: { rps: rate('floor'), latency_ms: summarise(totals.floor.latencies) },
					ours: { rps: rate('ours'), latency_ms: summarise(totals.ours.latencies) },
					ratio: ratioTo('floor'),
					target: TARGETS[method],
					meets_target: ratioTo('floor') >= TARGETS[method],
					second_floor: {
						label: SECOND_FLOOR[method].label,
						rps: rate('second'),
						latency_ms: summarise(totals.second.latencies),
						ratio: ratioTo('second'),
					},
				};
				log(
					`  ${method}, concurrency ${concurrency}: ours ${cell.ours.rps} req/s; floor ${cell.floor.rps} (ratio ${cell.ratio}); ${cell.second_floor.label} ${cell.second_floor.rps} (ratio ${cell.second_floor.ratio})`,
				);
				cells.push(cell);
			}
		}
		return {
			bench: 'request-cost',
			node: process.version,
			tools_list_bytes: listBytes,
			duration_s: options.durationS,
			rounds: options.rounds,
			cells,
			ok: cells.every((cell) => cell.meets_target),
		};
	} finally {
		await Promise.allSettled(started.map((server) => server.stop()));
	}
}

function printReport(result: CostResult): void {
	console.log(
		`\nRequest cost against the floor (a constant-reply Worker under the same wrangler dev); ` +
			`${result.rounds} × ${result.duration_s} s per cell and server, alternating; node ${result.node}\n`,
	);
	const header = [
		'method',
		'conc',
		'floor req/s',
		'ours req/s',
		'ratio',
		'target',
		'floor p50/p99 ms',
		'ours p50/p99 ms',
		'2nd floor req/s',
		'ours/2nd',
	];
	const rows = result.cells.map((cell) => [
		cell.method,
		String(cell.concurrency),
		String(cell.floor.rps),
		String(cell.ours.rps),
		cell.ratio.toFixed(2),
		`≥ ${cell.target} ${cell.meets_target ? 'met' : 'MISSED'}`,
		`${cell.floor.latency_ms.p50} / ${cell.floor.latency_ms.p99}`,
		`${cell.ours.latency_ms.p50} / ${cell.ours.latency_ms.p99}`,
		String(cell.second_floor.rps),
		cell.second_floor.ratio.toFixed(2),
	]);
	const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
	const line = (cells: string[]) =>
		cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
	console.log(line(header));
	console.log('-'.repeat(widths.reduce((sum, width) => sum + width + 2, -2)));
	for (const row of rows) console.log(line(row));
	console.log(
		`\n2nd floor: tools/list against a constant reply padded to ours (${result.tools_list_bytes} bytes); ` +
			'generate_image against one D1 insert and one queue send (no image drawn or stored).',
	);
	console.log(`\n${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
	printReport(await runRequestCost(rateLoopOptions()));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
