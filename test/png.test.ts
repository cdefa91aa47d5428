import { describe, expect, it } from 'vitest';
import { encodePng } from '../src/storage/png';
import { inflate, unfilter } from './helpers/png-decode';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Chunk {
	type: string;
	data: Uint8Array;
	storedCrc: number;
	/** Type and data, the bytes the CRC covers. */
	crcInput: Uint8Array;
}

function readChunks(png: Uint8Array): Chunk[] {
	const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
	const chunks: Chunk[] = [];
	let offset = SIGNATURE.length;
	while (offset < png.length) {
		const length = view.getUint32(offset);
		const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
		const data = png.subarray(offset + 8, offset + 8 + length);
		const storedCrc = view.getUint32(offset + 8 + length);
		chunks.push({ type, data, storedCrc, crcInput: png.subarray(offset + 4, offset + 8 + length) });
		offset += 12 + length;
	}
	expect(offset).toBe(png.length);
	return chunks;
}

/** Bit-by-bit CRC-32, deliberately independent of the encoder's table-driven one. */
function referenceCrc32(bytes: Uint8Array): number {
	let crc = 0xffffffff;
	for (const byte of bytes) {
		crc ^= byte;
		for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
	}
	return (crc ^ 0xffffffff) >>> 0;
}

/** Deterministic pseudo-random RGB with some smooth areas, so both literals and matches occur. */
function samplePixels(width: number, height: number): Uint8Array {
	const rgb = new Uint8Array(width * height * 3);
	let state = 12345;
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			state = (Math.imul(state, 1103515245) + 12345) >>> 0;
			const at = (y * width + x) * 3;
			rgb[at] = x * 7 + y;
			rgb[at + 1] = (y * 3) ^ x;
			rgb[at + 2] = x % 17 < 8 ? state >>> 24 : 200;
		}
	}
	return rgb;
}

describe('encodePng', () => {
	it.each([
		[7, 5],
		[256, 256],
		[1, 1],
		[3, 200],
	])('writes a valid PNG that decodes back to the exact %i×%i input', async (width, height) => {
		const rgb = samplePixels(width, height);
		const png = await encodePng(rgb, width, height);

		expect([...png.subarray(0, 8)]).toEqual(SIGNATURE);
		const chunks = readChunks(png);
		expect(chunks.map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
		for (const chunk of chunks) expect(chunk.storedCrc, `${chunk.type} CRC`).toBe(referenceCrc32(chunk.crcInput));

		const [ihdr, idat, iend] = chunks;
		const header = new DataView(ihdr?.data.buffer ?? new ArrayBuffer(0), ihdr?.data.byteOffset, ihdr?.data.byteLength);
		expect(header.byteLength).toBe(13);
		expect(header.getUint32(0)).toBe(width);
		expect(header.getUint32(4)).toBe(height);
		// Bit depth 8, colour type 2 (truecolour), deflate, standard filtering, no interlace.
		expect([...(ihdr?.data.subarray(8) ?? [])]).toEqual([8, 2, 0, 0, 0]);
		expect(iend?.data.length).toBe(0);

		const decoded = unfilter(await inflate(idat?.data ?? new Uint8Array(0)), width, height);
		expect(decoded.length).toBe(rgb.length);
		// One comparison instead of toEqual's element-by-element diff machinery, which is slow on 200 kB.
		expect(decoded.findIndex((byte, index) => byte !== rgb[index])).toBe(-1);
	});

	it('uses the standard CRC-32 (IEND always ends in AE 42 60 82)', async () => {
		const png = await encodePng(new Uint8Array(3), 1, 1);
		expect([...png.subarray(png.length - 4)]).toEqual([0xae, 0x42, 0x60, 0x82]);
	});

	it('compresses: a flat 1024×1024 image is far smaller than its 3 MB of pixels', async () => {
		const png = await encodePng(new Uint8Array(1024 * 1024 * 3).fill(128), 1024, 1024);
		expect(png.length).toBeLessThan(20_000);
	});

	it('rejects a buffer that does not match the dimensions, or impossible dimensions', async () => {
		await expect(encodePng(new Uint8Array(10), 2, 2)).rejects.toThrow(RangeError);
		await expect(encodePng(new Uint8Array(0), 0, 0)).rejects.toThrow(RangeError);
		await expect(encodePng(new Uint8Array(6), 2.5, 0.8)).rejects.toThrow(RangeError);
	});
});
