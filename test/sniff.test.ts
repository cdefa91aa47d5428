import { describe, expect, it } from 'vitest';
import { encodePng } from '../src/storage/png';
import { sniffImage, sniffOutput } from '../src/storage/sniff';

function ascii(text: string): number[] {
	return Array.from(text, (character) => character.charCodeAt(0));
}

function uint16BE(value: number): number[] {
	return [(value >> 8) & 0xff, value & 0xff];
}

function uint16LE(value: number): number[] {
	return [value & 0xff, (value >> 8) & 0xff];
}

function uint24LE(value: number): number[] {
	return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff];
}

function uint32LE(value: number): number[] {
	return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** A JPEG segment: marker, big-endian length (which counts itself), payload. */
function segment(marker: number, payload: number[]): number[] {
	return [0xff, marker, ...uint16BE(payload.length + 2), ...payload];
}

const APP0_JFIF = segment(0xe0, [...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
/** A DHT whose payload, misread as a frame header, would give 0x1234 × 0x5678. */
const DHT = segment(0xc4, [0x08, 0x12, 0x34, 0x56, 0x78, 0x03, ...new Array<number>(16).fill(0), 0x00]);

function startOfFrame(marker: number, width: number, height: number): number[] {
	// Precision 8, height, width, 3 components (id, sampling, quantisation table).
	return segment(marker, [8, ...uint16BE(height), ...uint16BE(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
}

function jpeg(...parts: number[][]): Uint8Array {
	return new Uint8Array([0xff, 0xd8, ...parts.flat()]);
}

function riffWebp(chunkType: string, chunkData: number[]): Uint8Array {
	const chunk = [...ascii(chunkType), ...uint32LE(chunkData.length), ...chunkData];
	return new Uint8Array([...ascii('RIFF'), ...uint32LE(4 + chunk.length), ...ascii('WEBP'), ...chunk]);
}

function vp8KeyFrame(width: number, height: number): number[] {
	// Frame tag with bit 0 clear (key frame), start code, then 14-bit sizes with 2 scaling bits on top.
	return [0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...uint16LE(width), ...uint16LE(height), 0, 0, 0, 0];
}

function gif(version: '87a' | '89a', width: number, height: number): Uint8Array {
	return new Uint8Array([...ascii(`GIF${version}`), ...uint16LE(width), ...uint16LE(height), 0xf7, 0, 0]);
}

describe('sniffImage recognises formats by their bytes and reads dimensions', () => {
	it('PNG from the encoder', async () => {
		const png = await encodePng(new Uint8Array(37 * 11 * 3), 37, 11);
		expect(sniffImage(png)).toEqual({ contentType: 'image/png', extension: 'png', width: 37, height: 11 });
	});

	it('baseline JPEG: walks past APP0 and DHT to SOF0', () => {
		const bytes = jpeg(APP0_JFIF, DHT, startOfFrame(0xc0, 640, 480), [0xff, 0xda, 0x00, 0x02]);
		expect(sniffImage(bytes)).toEqual({ contentType: 'image/jpeg', extension: 'jpg', width: 640, height: 480 });
	});

	it('progressive JPEG (SOF2) after fill bytes and a standalone marker', () => {
		const bytes = jpeg(APP0_JFIF, [0xff, 0xff, 0xff], [0xff, 0xd0], DHT, startOfFrame(0xc2, 4032, 3024));
		expect(sniffImage(bytes)).toMatchObject({ contentType: 'image/jpeg', width: 4032, height: 3024 });
	});

	it('JPEG: JPG (C8) and DAC (CC) segments are not frame headers either', () => {
		const decoy = [8, 0x11, 0x11, 0x22, 0x22, 1];
		const bytes = jpeg(segment(0xc8, decoy), segment(0xcc, decoy), startOfFrame(0xc1, 100, 50));
		expect(sniffImage(bytes)).toMatchObject({ width: 100, height: 50 });
	});

	it('lossy WebP (VP8), ignoring the scaling bits', () => {
		const bytes = riffWebp('VP8 ', vp8KeyFrame(800 | (1 << 14), 600 | (2 << 14)));
		expect(sniffImage(bytes)).toEqual({ contentType: 'image/webp', extension: 'webp', width: 800, height: 600 });
	});

	it('lossless WebP (VP8L)', () => {
		const bits = (300 - 1) | ((200 - 1) << 14) | (1 << 28);
		const bytes = riffWebp('VP8L', [0x2f, ...uint32LE(bits), 0, 0]);
		expect(sniffImage(bytes)).toEqual({ contentType: 'image/webp', extension: 'webp', width: 300, height: 200 });
	});

	it('extended WebP (VP8X) with 24-bit canvas sizes', () => {
		const bytes = riffWebp('VP8X', [0x10, 0, 0, 0, ...uint24LE(70_000 - 1), ...uint24LE(3 - 1)]);
		expect(sniffImage(bytes)).toEqual({ contentType: 'image/webp', extension: 'webp', width: 70_000, height: 3 });
	});

	it('GIF87a and GIF89a logical screen', () => {
		expect(sniffImage(gif('89a', 320, 240))).toEqual({
			contentType: 'image/gif',
			extension: 'gif',
			width: 320,
			height: 240,
		});
		expect(sniffImage(gif('87a', 1, 65_535))).toMatchObject({ contentType: 'image/gif', width: 1, height: 65_535 });
	});
});

describe('sniffImage returns null instead of guessing', () => {
	it('empty input', () => {
		expect(sniffImage(new Uint8Array(0))).toBeNull();
	});

	it('a PNG signature with a truncated IHDR', async () => {
		const png = await encodePng(new Uint8Array(4 * 4 * 3), 4, 4);
		for (const length of [8, 12, 16, 20, 24, 28])
			expect(sniffImage(png.subarray(0, length)), `${length} bytes`).toBeNull();
		expect(sniffImage(png.subarray(0, 29))).toMatchObject({ width: 4, height: 4 });
	});

	it('a PNG signature followed by some other chunk first', () => {
		const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, ...ascii('IDAT')]);
		expect(sniffImage(new Uint8Array([...bytes, ...new Array<number>(17).fill(1)]))).toBeNull();
	});

	it('every truncation of a JPEG before its frame header is complete', () => {
		const bytes = jpeg(APP0_JFIF, DHT, startOfFrame(0xc0, 640, 480));
		const frameComplete = 2 + APP0_JFIF.length + DHT.length + 9;
		for (let length = 0; length < frameComplete; length++) {
			expect(sniffImage(bytes.subarray(0, length)), `${length} bytes`).toBeNull();
		}
		expect(sniffImage(bytes.subarray(0, frameComplete))).toMatchObject({ width: 640, height: 480 });
	});

	it('a JPEG whose scan starts before any frame header, or that has garbage between segments', () => {
		expect(sniffImage(jpeg(APP0_JFIF, [0xff, 0xda, 0, 2], startOfFrame(0xc0, 8, 8)))).toBeNull();
		expect(sniffImage(jpeg(APP0_JFIF, [0x00], startOfFrame(0xc0, 8, 8)))).toBeNull();
		expect(sniffImage(jpeg([0xff, 0xe1, 0x00, 0x01], startOfFrame(0xc0, 8, 8)))).toBeNull();
	});

	it('truncated WebP and GIF headers, and a WebP with an unknown first chunk', () => {
		const lossy = riffWebp('VP8 ', vp8KeyFrame(800, 600));
		for (let length = 0; length < 30; length++)
			expect(sniffImage(lossy.subarray(0, length)), `${length} bytes`).toBeNull();
		expect(sniffImage(riffWebp('VP8L', [0x2f, 1, 2]))).toBeNull();
		expect(sniffImage(riffWebp('VP8X', [0, 0, 0, 0, 1, 2, 3]))).toBeNull();
		expect(sniffImage(riffWebp('ALPH', new Array<number>(20).fill(7)))).toBeNull();
		expect(sniffImage(gif('89a', 320, 240).subarray(0, 9))).toBeNull();
	});

	it('zero-sized images and a VP8 inter frame', () => {
		expect(sniffImage(gif('89a', 0, 240))).toBeNull();
		expect(sniffImage(jpeg(startOfFrame(0xc0, 640, 0)))).toBeNull();
		const interFrame = vp8KeyFrame(800, 600);
		interFrame[0] = 0x51;
		expect(sniffImage(riffWebp('VP8 ', interFrame))).toBeNull();
	});

	it('random bytes and look-alike text', () => {
		let state = 0x9e3779b9;
		for (let sample = 0; sample < 500; sample++) {
			const bytes = new Uint8Array(sample % 64);
			for (let i = 0; i < bytes.length; i++) {
				state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
				bytes[i] = state >>> 24;
			}
			expect(sniffImage(bytes), `sample ${sample}`).toBeNull();
		}
		expect(sniffImage(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
		expect(sniffImage(new TextEncoder().encode('PNG image, 1024×1024, trust me'))).toBeNull();
	});
});

function uint32BE(value: number): number[] {
	return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** An ISO-BMFF box: 32-bit size (counting its 8-byte header), type, payload. */
function box(type: string, ...payload: number[][]): number[] {
	const data = payload.flat();
	return [...uint32BE(data.length + 8), ...ascii(type), ...data];
}

/** A full box: version and 24-bit flags before the payload. */
function fullBox(type: string, version: number, flags: number, ...payload: number[][]): number[] {
	return box(type, [version, (flags >> 16) & 0xff, (flags >> 8) & 0xff, flags & 0xff], ...payload);
}

const ispe = (width: number, height: number) => fullBox('ispe', 0, 0, uint32BE(width), uint32BE(height));

/**
 * An AVIF as encoders lay it out: ftyp, then meta with the primary item (pitm) and its
 * properties (iprp: ipco holds them, ipma associates them with items, 1-based). Item 1 is a
 * thumbnail with its own ispe first; the primary, item 2, has the second.
 */
function avif(brand: string, primaryWidth: number, primaryHeight: number, ipmaFlags = 0): Uint8Array {
	const index = (value: number) => (ipmaFlags & 1 ? uint16BE(0x8000 | value) : [0x80 | value]);
	return new Uint8Array([
		...box('ftyp', ascii(brand), uint32BE(0), ascii('mif1'), ascii('miaf')),
		...fullBox(
			'meta',
			0,
			0,
			fullBox('hdlr', 0, 0, uint32BE(0), ascii('pict'), new Array<number>(13).fill(0)),
			fullBox('pitm', 0, 0, uint16BE(2)),
			box(
				'iprp',
				box('ipco', ispe(160, 120), ispe(primaryWidth, primaryHeight)),
				fullBox('ipma', 0, ipmaFlags, uint32BE(2), uint16BE(1), [1], index(1), uint16BE(2), [1], index(2)),
			),
		),
		...box('mdat', [0, 0, 0, 0]),
	]);
}

describe('sniffOutput also recognises AVIF, what transforms may produce', () => {
	it("reads the primary item's ispe, with 8- and 16-bit property indexes", () => {
		const expected = { contentType: 'image/avif', extension: 'avif', width: 1920, height: 1080 };
		expect(sniffOutput(avif('avif', 1920, 1080))).toEqual(expected);
		expect(sniffOutput(avif('avif', 1920, 1080, 1))).toEqual(expected);
		expect(sniffOutput(avif('avis', 1920, 1080))).toEqual(expected);
	});

	it('finds the brand among the compatible ones too', () => {
		const bytes = avif('mif1', 640, 480);
		// Major brand mif1; "avif" among the compatible brands instead of miaf.
		bytes.set(ascii('avif'), 8 + 8 + 4);
		expect(sniffOutput(bytes)).toMatchObject({ contentType: 'image/avif', width: 640, height: 480 });
	});

	it('still recognises the four formats sniffImage does', async () => {
		const png = await encodePng(new Uint8Array(5 * 3 * 3), 5, 3);
		expect(sniffOutput(png)).toEqual(sniffImage(png));
		expect(sniffOutput(gif('89a', 7, 9))).toEqual({ contentType: 'image/gif', extension: 'gif', width: 7, height: 9 });
	});

	it('is not an original: sniffImage keeps refusing AVIF', () => {
		expect(sniffImage(avif('avif', 1920, 1080))).toBeNull();
	});

	it('returns null for other HEIF brands, truncations and a zero size', () => {
		expect(sniffOutput(avif('heic', 1920, 1080))).toBeNull();
		const whole = avif('avif', 1920, 1080);
		const mdat = 12;
		for (let length = 0; length < whole.length - mdat; length++) {
			// Cut anywhere before the end of meta, no readable ispe is left; only mdat may go.
			expect(sniffOutput(whole.subarray(0, length)), `length ${length}`).toBeNull();
		}
		expect(sniffOutput(whole.subarray(0, whole.length - mdat))).toMatchObject({ width: 1920 });
		expect(sniffOutput(avif('avif', 0, 1080))).toBeNull();
	});
});
