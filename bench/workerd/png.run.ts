/**
 * Offline provider: time to draw and encode its PNG inside workerd, the runtime that runs it.
 * `npm run bench:png` (full) or, small, in `npm test` (bench-smoke project).
 *
 * Per size, after warm-up: draw (drawTestPattern), encode (encodePng: filter + native
 * deflate + chunks), their sum, and offlineProvider.generate end to end (what the consumer
 * calls). Prompts and seeds vary per repetition, as real jobs do. Target: ≤ 30 ms for 1024×1024.
 */
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { offlineProvider } from '../../src/providers/offline';
import { drawTestPattern } from '../../src/providers/offline-drawing';
import { encodePng } from '../../src/storage/png';
import { formatTable, type Stats, summarise } from '../stats.ts';

const FULL = env.BENCH_MODE === 'full';
const TARGET_MS_1024 = 30;
const SIZES = FULL
	? [
			{ side: 1024, n: 30, warmup: 5 },
			{ side: 2048, n: 10, warmup: 2 },
		]
	: [
			{ side: 1024, n: 2, warmup: 0 },
			{ side: 2048, n: 1, warmup: 0 },
		];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function drawAndEncode(side: number, index: number) {
	const prompt = `a lighthouse at dusk, take ${index}`;
	const started = performance.now();
	const rgb = drawTestPattern(prompt, 1000 + index, side, side);
	const drawn = performance.now();
	const png = await encodePng(rgb, side, side);
	const encoded = performance.now();
	return { draw: drawn - started, encode: encoded - drawn, total: encoded - started, bytes: png.byteLength, png };
}

async function endToEnd(side: number, index: number): Promise<{ ms: number; bytes: Uint8Array }> {
	const started = performance.now();
	const image = await offlineProvider.generate(
		{
			model: 'offline',
			upstreamId: 'builtin/test-pattern',
			prompt: `end to end ${index}`,
			width: side,
			height: side,
			seed: index,
		},
		{ env: { ...env, OFFLINE_LATENCY_MS: '0' }, signal: AbortSignal.timeout(60_000) },
	);
	return { ms: performance.now() - started, bytes: image.bytes };
}

it('draws and encodes the offline PNGs, and prints the timings', async () => {
	const rows: Array<[string, Stats]> = [];
	const figures: Record<string, unknown> = {};
	for (const { side, n, warmup } of SIZES) {
		for (let i = 0; i < warmup; i++) await drawAndEncode(side, -1 - i);
		const draw: number[] = [];
		const encode: number[] = [];
		const total: number[] = [];
		const bytes: number[] = [];
		const whole: number[] = [];
		for (let i = 0; i < n; i++) {
			const run = await drawAndEncode(side, i);
			expect([...run.png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
			draw.push(run.draw);
			encode.push(run.encode);
			total.push(run.total);
			bytes.push(run.bytes);
			const generated = await endToEnd(side, i);
			expect([...generated.bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
			whole.push(generated.ms);
		}
		const label = `${side}×${side}`;
		const stats = {
			draw: summarise(draw),
			encode: summarise(encode),
			total: summarise(total),
			generate: summarise(whole),
		};
		rows.push(
			[`${label} draw`, stats.draw],
			[`${label} encode`, stats.encode],
			[`${label} draw + encode`, stats.total],
		);
		rows.push([`${label} offlineProvider.generate`, stats.generate]);
		figures[`px${side}`] = { ...stats, png_bytes_p50: summarise(bytes).p50 };
	}
	const p50 = (figures.px1024 as { total: Stats }).total.p50;
	const meets = p50 <= TARGET_MS_1024;
	console.log(
		[
			'',
			`Offline provider PNG inside workerd (${FULL ? 'full' : 'smoke'} run; n per size: ${SIZES.map((s) => s.n).join(', ')})`,
			'',
			formatTable(rows, ['p50', 'p95', 'min', 'max', 'mean']),
			'',
			`${meets ? 'meets' : 'MISSES'} target: 1024×1024 draw + encode p50 ${p50} ms ≤ ${TARGET_MS_1024} ms`,
			'',
			JSON.stringify({
				bench: 'png',
				mode: FULL ? 'full' : 'smoke',
				target_ms_1024: TARGET_MS_1024,
				meets_target: meets,
				...figures,
			}),
		].join('\n'),
	);
	expect(rows).toHaveLength(SIZES.length * 4);
});
