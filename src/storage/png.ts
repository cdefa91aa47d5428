/**
 * A minimal PNG encoder (8-bit truecolour, no alpha) for images the Worker draws itself,
 * such as the offline provider's test pattern. Deflate is the runtime's native
 * `CompressionStream('deflate')`, whose zlib framing is exactly what an IDAT chunk holds,
 * so no JavaScript compressor is bundled and encoding stays fast.
 */
import { concatBytes } from '../bytes';

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BYTES_PER_PIXEL = 3;
const BIT_DEPTH = 8;
const COLOUR_TYPE_TRUECOLOUR = 2;
const FILTER_TYPE_NONE = 0;

/** Length, type and CRC around every chunk's data. */
const CHUNK_OVERHEAD = 12;
const IHDR_DATA_LENGTH = 13;
/** PNG limits each dimension to 2^31 - 1; nothing this Worker draws comes near it. */
const MAX_DIMENSION = 0x7fffffff;

/** CRC-32 (ISO 3309, polynomial 0xEDB88320) lookup table, as the PNG specification prescribes. */
const CRC_TABLE = buildCrcTable();

function buildCrcTable(): Uint32Array {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
}

/** CRC-32 of `bytes[start, end)`. Exported for tests that verify chunk checksums. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
	let crc = 0xffffffff;
	for (let i = start; i < end; i++) {
		crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
	}
	return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Encodes `width × height` pixels of packed RGB (3 bytes a pixel, rows top to bottom) as a PNG.
 *
 * Every scanline uses filter 0 (None). Measured on the offline provider's pictures (gradients
 * and flat shapes) at 1024² and 2048², None beat Sub and Up on both total time and size: the
 * filter pass costs nothing, and deflate already finds each row in the previous one, which a
 * per-byte difference only obscures. Throws RangeError when the buffer does not match the dimensions.
 */
export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
	if (!isValidDimension(width) || !isValidDimension(height)) {
		throw new RangeError(`PNG dimensions must be integers from 1 to ${MAX_DIMENSION}, got ${width}×${height}.`);
	}
	if (rgb.length !== width * height * BYTES_PER_PIXEL) {
		throw new RangeError(
			`Expected ${width * height * BYTES_PER_PIXEL} bytes of RGB for ${width}×${height}, got ${rgb.length}.`,
		);
	}

	const compressed = await deflate(filterScanlines(rgb, width, height));

	const png = new Uint8Array(
		PNG_SIGNATURE.length + CHUNK_OVERHEAD + IHDR_DATA_LENGTH + CHUNK_OVERHEAD + compressed.length + CHUNK_OVERHEAD,
	);
	const view = new DataView(png.buffer);
	png.set(PNG_SIGNATURE, 0);
	let offset = PNG_SIGNATURE.length;

	const ihdr = new Uint8Array(IHDR_DATA_LENGTH);
	const ihdrView = new DataView(ihdr.buffer);
	ihdrView.setUint32(0, width);
	ihdrView.setUint32(4, height);
	ihdr[8] = BIT_DEPTH;
	ihdr[9] = COLOUR_TYPE_TRUECOLOUR;
	// Bytes 10–12 stay 0: deflate compression, adaptive filtering, no interlace.
	offset = writeChunk(png, view, offset, 'IHDR', ihdr);
	offset = writeChunk(png, view, offset, 'IDAT', compressed);
	writeChunk(png, view, offset, 'IEND', new Uint8Array(0));
	return png;
}

function isValidDimension(value: number): boolean {
	return Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSION;
}

/** Prefixes each row with its filter type byte (None), as the IDAT stream requires. */
function filterScanlines(rgb: Uint8Array, width: number, height: number): Uint8Array {
	const rowLength = width * BYTES_PER_PIXEL;
	const filtered = new Uint8Array(height * (rowLength + 1));
	for (let y = 0; y < height; y++) {
		const target = y * (rowLength + 1);
		filtered[target] = FILTER_TYPE_NONE;
		filtered.set(rgb.subarray(y * rowLength, (y + 1) * rowLength), target + 1);
	}
	return filtered;
}

/** zlib-wrapped deflate through the runtime's native compressor, concatenated into one buffer. */
async function deflate(data: Uint8Array): Promise<Uint8Array> {
	const compressor = new CompressionStream('deflate');
	const writer = compressor.writable.getWriter();
	const writing = writer.write(data).then(() => writer.close());
	// Keep a failed write from surfacing as an unhandled rejection; the reader sees the same error.
	writing.catch(() => {});

	const chunks: Uint8Array[] = [];
	let total = 0;
	const reader = compressor.readable.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		chunks.push(value);
		total += value.length;
	}
	await writing;

	return concatBytes(chunks, total);
}

/** Writes length, type, data and CRC at `offset`; returns the offset after the chunk. */
function writeChunk(png: Uint8Array, view: DataView, offset: number, type: string, data: Uint8Array): number {
	view.setUint32(offset, data.length);
	const typeStart = offset + 4;
	for (let i = 0; i < 4; i++) png[typeStart + i] = type.charCodeAt(i);
	png.set(data, typeStart + 4);
	const dataEnd = typeStart + 4 + data.length;
	view.setUint32(dataEnd, crc32(png, typeStart, dataEnd));
	return dataEnd + 4;
}
