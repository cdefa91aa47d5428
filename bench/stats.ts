/** Shared by the bench scripts: summary statistics, the printed table, and the rate scripts' options. */
import { parseArgs } from 'node:util';

export interface Stats {
	n: number;
	p50: number;
	p95: number;
	p99: number;
	min: number;
	max: number;
	mean: number;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], fraction: number): number {
	const rank = Math.max(1, Math.ceil(fraction * sorted.length));
	return sorted[rank - 1]!;
}

export const round = (value: number) => Math.round(value * 10) / 10;

export function summarise(samples: number[]): Stats {
	const sorted = [...samples].sort((a, b) => a - b);
	const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
	return {
		n: sorted.length,
		p50: round(percentile(sorted, 0.5)),
		p95: round(percentile(sorted, 0.95)),
		p99: round(percentile(sorted, 0.99)),
		min: round(sorted[0]!),
		max: round(sorted.at(-1)!),
		mean: round(mean),
	};
}

export function formatTable(
	rows: Array<[string, Stats]>,
	columns: ReadonlyArray<Exclude<keyof Stats, 'n'>> = ['p50', 'p95', 'min', 'max', 'mean'],
): string {
	const labelWidth = Math.max(...rows.map(([label]) => label.length), 'measurement (ms)'.length);
	const cell = (value: string) => value.padStart(9);
	const lines = [`${'measurement (ms)'.padEnd(labelWidth)} ${columns.map(cell).join('')}${cell('n')}`];
	lines.push('-'.repeat(labelWidth + 1 + 9 * (columns.length + 1)));
	for (const [label, stats] of rows) {
		lines.push(
			`${label.padEnd(labelWidth)} ${columns.map((column) => cell(stats[column].toFixed(1))).join('')}${cell(String(stats.n))}`,
		);
	}
	return lines.join('\n');
}

/** Parses a `--name` flag that must be a whole number. */
export function positiveInteger(value: string | undefined, name: string, allowZero = false): number {
	const number = Number(value);
	if (!Number.isInteger(number) || number < (allowZero ? 0 : 1)) {
		throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer.`);
	}
	return number;
}

/**
 * Times `run` one call at a time: `warmup` untimed calls, then `n` timed ones, each after an
 * optional pause (so a poll can back off first). Logs the p50 to stderr under `label`.
 */
export async function measure(
	label: string,
	n: number,
	warmup: number,
	run: () => Promise<void>,
	pauseMs = 0,
): Promise<Stats> {
	for (let i = 0; i < warmup; i++) await run();
	const samples: number[] = [];
	for (let i = 0; i < n; i++) {
		if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
		const started = performance.now();
		await run();
		samples.push(performance.now() - started);
	}
	const stats = summarise(samples);
	process.stderr.write(`  ${label}: p50 ${stats.p50} ms\n`);
	return stats;
}

/** `--duration-s 4 --rounds 3 --warmup-s 1`: the options of the closed-loop rate scripts (request-cost, rest-rate). */
export function rateLoopOptions(): { durationS: number; rounds: number; warmupS: number } {
	const { values } = parseArgs({
		options: {
			'duration-s': { type: 'string', default: '4' },
			rounds: { type: 'string', default: '3' },
			'warmup-s': { type: 'string', default: '1' },
		},
	});
	return {
		durationS: positiveInteger(values['duration-s'], 'duration-s'),
		rounds: positiveInteger(values.rounds, 'rounds'),
		warmupS: positiveInteger(values['warmup-s'], 'warmup-s', true),
	};
}
