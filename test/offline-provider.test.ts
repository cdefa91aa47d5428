import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/providers/errors';
import { offlineProvider } from '../src/providers/offline';
import {
	CAPTION_MAX_CHARACTERS,
	CAPTION_MAX_LINES,
	captionLines,
	drawTestPattern,
} from '../src/providers/offline-drawing';
import type { GenerationRequest } from '../src/providers/types';
import { sniffImage } from '../src/storage/sniff';
import { decodeRgb } from './helpers/png-decode';

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
	return {
		model: 'offline',
		upstreamId: 'offline',
		prompt: 'a lighthouse on a cliff at dusk',
		width: 256,
		height: 256,
		seed: 1234,
		...overrides,
	};
}

function generate(overrides: Partial<GenerationRequest> = {}, signal = new AbortController().signal) {
	return offlineProvider.generate(request(overrides), { env, signal });
}

function countColours(rgb: Uint8Array): number {
	const colours = new Set<number>();
	for (let at = 0; at < rgb.length; at += 3) {
		colours.add(((rgb[at] ?? 0) << 16) | ((rgb[at + 1] ?? 0) << 8) | (rgb[at + 2] ?? 0));
	}
	return colours.size;
}

describe('offlineProvider', () => {
	it('is always configured and calls itself offline', () => {
		expect(offlineProvider.id).toBe('offline');
		expect(offlineProvider.isConfigured(env)).toBe(true);
	});

	it('is deterministic: the same prompt and seed give the same bytes, and it reports the seed', async () => {
		const first = await generate();
		const second = await generate({ negativePrompt: 'ignored by this provider' });
		expect(second.bytes).toEqual(first.bytes);
		expect(first.seed).toBe(1234);
	});

	it('draws a different image for a different prompt or a different seed', async () => {
		const base = await generate();
		const otherPrompt = await generate({ prompt: 'a lighthouse on a cliff at dawn' });
		const otherSeed = await generate({ seed: 1235 });
		expect(otherPrompt.bytes).not.toEqual(base.bytes);
		expect(otherSeed.bytes).not.toEqual(base.bytes);
		expect(otherSeed.bytes).not.toEqual(otherPrompt.bytes);
	});

	it.each([
		[1024, 1024],
		[512, 768],
		[64, 64],
	])('returns a PNG of exactly %i×%i that is a picture, not a solid colour', async (width, height) => {
		const { bytes } = await generate({ width, height });
		expect(sniffImage(bytes)).toEqual({ contentType: 'image/png', extension: 'png', width, height });
		expect(countColours(await decodeRgb(bytes, width, height))).toBeGreaterThanOrEqual(8);
	});

	it('encodes exactly the pattern drawTestPattern draws', async () => {
		const { bytes } = await generate({ width: 97, height: 45, seed: 5 });
		expect(await decodeRgb(bytes, 97, 45)).toEqual(drawTestPattern('a lighthouse on a cliff at dusk', 5, 97, 45));
	});

	it('draws any size, even degenerate ones, without leaving the buffer', () => {
		for (const [width, height] of [
			[1, 1],
			[1, 300],
			[300, 1],
			[7, 5],
		] as const) {
			expect(drawTestPattern('', 0, width, height)).toHaveLength(width * height * 3);
		}
		const long = 'x'.repeat(10_000);
		expect(drawTestPattern(long, Number.MAX_SAFE_INTEGER, 33, 21)).toHaveLength(33 * 21 * 3);
	});

	it('rejects sizes it cannot draw as invalid_request', async () => {
		for (const [width, height] of [
			[0, 64],
			[64, -1],
			[64.5, 64],
			[8192, 64],
		]) {
			const error = await generate({ width, height }).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(ProviderError);
			expect((error as ProviderError).kind).toBe('invalid_request');
		}
	});

	it('waits OFFLINE_LATENCY_MS before answering', async () => {
		const slowEnv = { ...env, OFFLINE_LATENCY_MS: '200' };
		const started = Date.now();
		await offlineProvider.generate(request({ width: 32, height: 32 }), {
			env: slowEnv,
			signal: new AbortController().signal,
		});
		expect(Date.now() - started).toBeGreaterThanOrEqual(190);
	});

	it('treats an invalid or zero latency as none', async () => {
		for (const latency of ['0', '', 'soon', '-5']) {
			const result = await offlineProvider.generate(request({ width: 8, height: 8 }), {
				env: { ...env, OFFLINE_LATENCY_MS: latency },
				signal: new AbortController().signal,
			});
			expect(sniffImage(result.bytes)).toMatchObject({ width: 8, height: 8 });
		}
	});

	it('fails every call with a transient ProviderError naming OFFLINE_FAILURE_RATE when the rate is 1', async () => {
		for (let i = 0; i < 5; i++) {
			const error = await offlineProvider
				.generate(request({ width: 8, height: 8 }), {
					env: { ...env, OFFLINE_FAILURE_RATE: '1' },
					signal: new AbortController().signal,
				})
				.catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(ProviderError);
			expect((error as ProviderError).kind).toBe('transient');
			expect((error as ProviderError).retryable).toBe(true);
			expect((error as ProviderError).message).toContain('OFFLINE_FAILURE_RATE');
		}
	});

	it('fails only after the configured latency, as a real failing call would', async () => {
		const started = Date.now();
		const error = await offlineProvider
			.generate(request({ width: 8, height: 8 }), {
				env: { ...env, OFFLINE_LATENCY_MS: '200', OFFLINE_FAILURE_RATE: '1' },
				signal: new AbortController().signal,
			})
			.catch((caught: unknown) => caught);
		expect((error as ProviderError).kind).toBe('transient');
		expect(Date.now() - started).toBeGreaterThanOrEqual(190);
	});

	it('never injects a failure when the rate is 0, unset, not a number or outside 0–1', async () => {
		for (const rate of [undefined, '0', '', ' ', 'often', '-0.5', '1.5', 'NaN', 'Infinity']) {
			for (let i = 0; i < 5; i++) {
				const result = await offlineProvider.generate(request({ width: 8, height: 8 }), {
					env: { ...env, OFFLINE_FAILURE_RATE: rate },
					signal: new AbortController().signal,
				});
				expect(sniffImage(result.bytes), `rate ${rate}`).toMatchObject({ width: 8, height: 8 });
			}
		}
	});

	it('stops waiting as soon as the signal aborts, with a transient ProviderError', async () => {
		const controller = new AbortController();
		const started = Date.now();
		const pending = offlineProvider.generate(request(), {
			env: { ...env, OFFLINE_LATENCY_MS: '60000' },
			signal: controller.signal,
		});
		setTimeout(() => controller.abort(), 20);
		const error = await pending.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ProviderError);
		expect((error as ProviderError).kind).toBe('transient');
		expect(Date.now() - started).toBeLessThan(5_000);
	});

	it('rejects at once when the signal has already aborted', async () => {
		const error = await generate({}, AbortSignal.abort()).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ProviderError);
		expect((error as ProviderError).kind).toBe('transient');
	});
});

describe('the offline caption', () => {
	it.each([
		['a golden sunset over the sea', ['A GOLDEN SUNSET OVER THE', 'SEA']],
		['  a  boat ', ['A BOAT']],
		[
			'a golden sunset over the harbour with boats and gulls and a lighthouse',
			['A GOLDEN SUNSET OVER THE', 'HARBOUR WITH BOATS...'],
		],
		['supercalifragilisticexpialidocious', ['SUPERCALIFRAGILISTICE...']],
		['', []],
	])('wraps %j at spaces and ends what does not fit in dots', (prompt, lines) => {
		expect(captionLines(prompt)).toEqual(lines);
	});

	it(`never passes ${CAPTION_MAX_LINES} lines of ${CAPTION_MAX_CHARACTERS} characters, nor cuts a word it can keep whole`, () => {
		const words = 'the quick brown fox jumps over a lazy dog near an old stone bridge at dawn'.split(' ');
		for (let n = 1; n <= words.length; n++) {
			const lines = captionLines(words.slice(0, n).join(' '));
			expect(lines.length).toBeLessThanOrEqual(CAPTION_MAX_LINES);
			for (const line of lines) {
				expect(line.length).toBeLessThanOrEqual(CAPTION_MAX_CHARACTERS);
				for (const word of line.replace(/\.\.\.$/, '').split(' ')) expect(words).toContain(word.toLowerCase());
			}
		}
	});

	it('fits a narrow image: lines as wide as the image allows', () => {
		expect(captionLines('a golden sunset over the sea', 10)).toEqual(['A GOLDEN', 'SUNSET...']);
	});
});
