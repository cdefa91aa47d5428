/**
 * Image format and size detection from the bytes themselves. Providers and uploads may
 * claim a content type that is wrong; what we store and serve is decided here, from magic
 * bytes, and anything unrecognised or truncated is rejected rather than guessed.
 */

/** What the bytes turned out to be; `extension` names the stored object, `contentType` is served as is. */
export interface SniffedImage {
	contentType: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
	extension: 'png' | 'jpg' | 'webp' | 'gif';
	width: number;
	height: number;
}

/**
 * Recognises PNG, JPEG, WebP (VP8, VP8L, VP8X) and GIF and reads their pixel dimensions.
 * Returns null for any other, truncated or malformed input; it never throws.
 */
export function sniffImage(bytes: Uint8Array): SniffedImage | null {
	if (startsWith(bytes, 0, PNG_SIGNATURE)) return sniffPng(bytes);
	if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return sniffJpeg(bytes);
	if (startsWith(bytes, 0, RIFF) && startsWith(bytes, 8, WEBP)) return sniffWebp(bytes);
	if (startsWith(bytes, 0, GIF87A) || startsWith(bytes, 0, GIF89A)) return sniffGif(bytes);
	return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = ascii('IHDR');
const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');
const VP8_LOSSY = ascii('VP8 ');
const VP8_LOSSLESS = ascii('VP8L');
const VP8_EXTENDED = ascii('VP8X');
const GIF87A = ascii('GIF87a');
const GIF89A = ascii('GIF89a');

/** Signature, then IHDR's length and type, then its 13 data bytes; width and height are the first 8. */
const PNG_IHDR_END = 8 + 8 + 13;
const PNG_MAX_DIMENSION = 0x7fffffff;
/** VP8 key frames start with a 3-byte frame tag then this start code, then the 14-bit dimensions. */
const VP8_START_CODE = [0x9d, 0x01, 0x2a];
/** First byte of every VP8L bitstream. */
const VP8L_SIGNATURE = 0x2f;
/** RIFF header (12 bytes) plus the first chunk's type and size. */
const WEBP_CHUNK_DATA = 20;

function sniffPng(bytes: Uint8Array): SniffedImage | null {
	if (bytes.length < PNG_IHDR_END || readUint32BE(bytes, 8) !== 13 || !startsWith(bytes, 12, IHDR)) return null;
	const width = readUint32BE(bytes, 16);
	const height = readUint32BE(bytes, 20);
	// The specification caps each dimension at 2^31 - 1; larger values mean a corrupt header.
	if (width > PNG_MAX_DIMENSION || height > PNG_MAX_DIMENSION) return null;
	return sized('image/png', 'png', width, height);
}

/**
 * Walks the marker segments up to the first start-of-frame, which holds the dimensions.
 * Stops (null) at start-of-scan or end-of-image: without a frame header first, the file is not usable.
 */
function sniffJpeg(bytes: Uint8Array): SniffedImage | null {
	let offset = 2;
	while (offset < bytes.length) {
		if (bytes[offset] !== 0xff) return null;
		// Any number of 0xFF fill bytes may precede a marker.
		while (offset < bytes.length && bytes[offset] === 0xff) offset++;
		if (offset >= bytes.length) return null;
		const marker = bytes[offset] as number;
		offset++;
		if (isStandaloneJpegMarker(marker)) continue;
		if (marker === 0xda || marker === 0xd9) return null;
		if (offset + 2 > bytes.length) return null;
		const segmentLength = readUint16BE(bytes, offset);
		if (segmentLength < 2) return null;
		if (isStartOfFrame(marker)) {
			// Length (2), sample precision (1), height (2), width (2).
			if (segmentLength < 7 || offset + 7 > bytes.length) return null;
			const height = readUint16BE(bytes, offset + 3);
			const width = readUint16BE(bytes, offset + 5);
			return sized('image/jpeg', 'jpg', width, height);
		}
		offset += segmentLength;
	}
	return null;
}

/** SOF0–SOF15 are 0xC0–0xCF, except DHT (0xC4), JPG (0xC8) and DAC (0xCC), which share the range. */
function isStartOfFrame(marker: number): boolean {
	return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** TEM, RST0–RST7 and SOI carry no length field. */
function isStandaloneJpegMarker(marker: number): boolean {
	return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
}

function sniffWebp(bytes: Uint8Array): SniffedImage | null {
	const data = WEBP_CHUNK_DATA;
	if (startsWith(bytes, 12, VP8_LOSSY)) {
		// Frame tag (3 bytes, bit 0 clear on a key frame), start code (3), width (2), height (2); top 2 bits are scaling.
		if (bytes.length < data + 10 || ((bytes[data] as number) & 1) !== 0) return null;
		if (!startsWith(bytes, data + 3, VP8_START_CODE)) return null;
		const width = readUint16LE(bytes, data + 6) & 0x3fff;
		const height = readUint16LE(bytes, data + 8) & 0x3fff;
		return sized('image/webp', 'webp', width, height);
	}
	if (startsWith(bytes, 12, VP8_LOSSLESS)) {
		// Signature byte, then 14 bits of width - 1 and 14 bits of height - 1, little-endian.
		if (bytes.length < data + 5 || bytes[data] !== VP8L_SIGNATURE) return null;
		const bits = readUint32LE(bytes, data + 1);
		const width = (bits & 0x3fff) + 1;
		const height = ((bits >>> 14) & 0x3fff) + 1;
		return sized('image/webp', 'webp', width, height);
	}
	if (startsWith(bytes, 12, VP8_EXTENDED)) {
		// Flags (1 byte), reserved (3), canvas width - 1 (24 bits LE), canvas height - 1 (24 bits LE).
		if (bytes.length < data + 10) return null;
		const width = readUint24LE(bytes, data + 4) + 1;
		const height = readUint24LE(bytes, data + 7) + 1;
		return sized('image/webp', 'webp', width, height);
	}
	return null;
}

/** The logical screen descriptor follows the 6-byte signature: width then height, 16 bits LE each. */
function sniffGif(bytes: Uint8Array): SniffedImage | null {
	if (bytes.length < 10) return null;
	return sized('image/gif', 'gif', readUint16LE(bytes, 6), readUint16LE(bytes, 8));
}

/** Zero-sized images cannot be shown; treat them as malformed. */
function sized(
	contentType: SniffedImage['contentType'],
	extension: SniffedImage['extension'],
	width: number,
	height: number,
): SniffedImage | null {
	if (width <= 0 || height <= 0) return null;
	return { contentType, extension, width, height };
}

function ascii(text: string): number[] {
	return Array.from(text, (character) => character.charCodeAt(0));
}

function startsWith(bytes: Uint8Array, offset: number, expected: readonly number[]): boolean {
	if (offset + expected.length > bytes.length) return false;
	for (let i = 0; i < expected.length; i++) {
		if (bytes[offset + i] !== expected[i]) return false;
	}
	return true;
}

// Callers check bounds first; `as number` only tells the compiler so.
function byteAt(bytes: Uint8Array, offset: number): number {
	return bytes[offset] as number;
}

function readUint16BE(bytes: Uint8Array, offset: number): number {
	return (byteAt(bytes, offset) << 8) | byteAt(bytes, offset + 1);
}

function readUint32BE(bytes: Uint8Array, offset: number): number {
	return ((byteAt(bytes, offset) << 24) >>> 0) + (readUint16BE(bytes, offset + 1) << 8) + byteAt(bytes, offset + 3);
}

function readUint16LE(bytes: Uint8Array, offset: number): number {
	return byteAt(bytes, offset) | (byteAt(bytes, offset + 1) << 8);
}

function readUint24LE(bytes: Uint8Array, offset: number): number {
	return readUint16LE(bytes, offset) | (byteAt(bytes, offset + 2) << 16);
}

function readUint32LE(bytes: Uint8Array, offset: number): number {
	return (readUint24LE(bytes, offset) | (byteAt(bytes, offset + 3) << 24)) >>> 0;
}
