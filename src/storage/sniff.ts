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

/** What a transform may put out: the four formats of sniffImage, or AVIF. */
export interface SniffedOutput {
	contentType: SniffedImage['contentType'] | 'image/avif';
	extension: SniffedImage['extension'] | 'avif';
	width: number;
	height: number;
}

/**
 * Like sniffImage, and also recognises AVIF (an ISO-BMFF `ftyp` box with brand `avif` or
 * `avis`, dimensions from the primary item's `ispe` property). For checking what a transform
 * produced (src/storage/transform.ts); stored originals stay PNG, JPEG, WebP or GIF, so the
 * consumer and reference images keep using sniffImage.
 */
export function sniffOutput(bytes: Uint8Array): SniffedOutput | null {
	return sniffImage(bytes) ?? sniffAvif(bytes);
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

const FTYP = ascii('ftyp');
const AVIF_BRANDS = [ascii('avif'), ascii('avis')];

/**
 * AVIF is HEIF (ISO/IEC 23008-12) in ISO-BMFF boxes (ISO/IEC 14496-12): `ftyp` first, whose
 * major or a compatible brand is `avif` (still) or `avis` (sequence); then `meta`, which holds
 * the primary item id (`pitm`) and the item properties (`iprp` → `ipco`, associated to items by
 * `ipma`). The image size is the `ispe` property of the primary item; when the associations
 * cannot be read, the first `ispe`.
 */
function sniffAvif(bytes: Uint8Array): SniffedOutput | null {
	const ftyp = readBox(bytes, 0, bytes.length);
	if (!ftyp || !sameBytes(ftyp.type, FTYP) || ftyp.dataEnd - ftyp.dataStart < 8) return null;
	let branded = false;
	// Major brand, minor version (skipped), then compatible brands, 4 bytes each.
	for (let offset = ftyp.dataStart; offset + 4 <= ftyp.dataEnd; offset += offset === ftyp.dataStart ? 8 : 4) {
		if (AVIF_BRANDS.some((brand) => startsWith(bytes, offset, brand))) branded = true;
	}
	if (!branded) return null;
	const meta = findBox(bytes, ftyp.end, bytes.length, 'meta');
	// `meta` is a full box: version and flags (4 bytes) before its children.
	if (!meta || meta.dataEnd - meta.dataStart < 4) return null;
	const children = { start: meta.dataStart + 4, end: meta.dataEnd };
	const ipco = findPath(bytes, children, ['iprp', 'ipco']);
	if (!ipco) return null;
	const properties = listBoxes(bytes, ipco.dataStart, ipco.dataEnd);
	const primary = primaryItemProperties(bytes, children);
	const candidates = primary ? primary.map((index) => properties[index - 1]) : properties;
	for (const box of candidates) {
		// `ispe`: version and flags (4), image width (4), image height (4).
		if (!box || !startsWith(bytes, box.typeOffset, ISPE) || box.dataEnd - box.dataStart < 12) continue;
		const width = readUint32BE(bytes, box.dataStart + 4);
		const height = readUint32BE(bytes, box.dataStart + 8);
		if (width <= 0 || height <= 0) return null;
		return { contentType: 'image/avif', extension: 'avif', width, height };
	}
	return null;
}

const ISPE = ascii('ispe');

interface Box {
	type: number[];
	typeOffset: number;
	dataStart: number;
	dataEnd: number;
	end: number;
}

/** The box at `offset`, within `limit`: 32-bit size (1: a 64-bit size follows; 0: to the end), type. */
function readBox(bytes: Uint8Array, offset: number, limit: number): Box | null {
	if (offset + 8 > limit) return null;
	let size = readUint32BE(bytes, offset);
	let header = 8;
	if (size === 1) {
		if (offset + 16 > limit) return null;
		// A 64-bit size: anything past 2^32 does not fit in this buffer anyway.
		if (readUint32BE(bytes, offset + 8) !== 0) return null;
		size = readUint32BE(bytes, offset + 12);
		header = 16;
	} else if (size === 0) size = limit - offset;
	if (size < header || offset + size > limit) return null;
	return {
		type: Array.from(bytes.subarray(offset + 4, offset + 8)),
		typeOffset: offset + 4,
		dataStart: offset + header,
		dataEnd: offset + size,
		end: offset + size,
	};
}

function listBoxes(bytes: Uint8Array, start: number, end: number): Box[] {
	const boxes: Box[] = [];
	for (let offset = start; offset < end; ) {
		const box = readBox(bytes, offset, end);
		if (!box) break;
		boxes.push(box);
		offset = box.end;
	}
	return boxes;
}

function findBox(bytes: Uint8Array, start: number, end: number, type: string): Box | null {
	const wanted = ascii(type);
	return listBoxes(bytes, start, end).find((box) => sameBytes(box.type, wanted)) ?? null;
}

function findPath(bytes: Uint8Array, within: { start: number; end: number }, path: string[]): Box | null {
	let box: Box | null = null;
	let range = within;
	for (const type of path) {
		box = findBox(bytes, range.start, range.end, type);
		if (!box) return null;
		range = { start: box.dataStart, end: box.dataEnd };
	}
	return box;
}

/**
 * The 1-based `ipco` indexes of the primary item's properties, from `pitm` and `ipma`; null
 * when either is missing or malformed.
 */
function primaryItemProperties(bytes: Uint8Array, meta: { start: number; end: number }): number[] | null {
	const pitm = findBox(bytes, meta.start, meta.end, 'pitm');
	const ipma = findPath(bytes, meta, ['iprp', 'ipma']);
	if (!pitm || !ipma || pitm.dataEnd - pitm.dataStart < 6 || ipma.dataEnd - ipma.dataStart < 8) return null;
	const pitmVersion = byteAt(bytes, pitm.dataStart);
	const primary = pitmVersion === 0 ? readUint16BE(bytes, pitm.dataStart + 4) : readUint32BE(bytes, pitm.dataStart + 4);
	// ipma: version (1), flags (3; bit 0: 16-bit property indexes), entry count (4), entries.
	const version = byteAt(bytes, ipma.dataStart);
	const wideIndexes = (byteAt(bytes, ipma.dataStart + 3) & 1) === 1;
	const count = readUint32BE(bytes, ipma.dataStart + 4);
	let offset = ipma.dataStart + 8;
	for (let entry = 0; entry < count; entry++) {
		const idSize = version < 1 ? 2 : 4;
		if (offset + idSize + 1 > ipma.dataEnd) return null;
		const item = idSize === 2 ? readUint16BE(bytes, offset) : readUint32BE(bytes, offset);
		const associations = byteAt(bytes, offset + idSize);
		offset += idSize + 1;
		const indexes: number[] = [];
		for (let a = 0; a < associations; a++) {
			if (offset + (wideIndexes ? 2 : 1) > ipma.dataEnd) return null;
			// The top bit says whether the property is essential; the rest is the index.
			indexes.push(wideIndexes ? readUint16BE(bytes, offset) & 0x7fff : byteAt(bytes, offset) & 0x7f);
			offset += wideIndexes ? 2 : 1;
		}
		if (item === primary) return indexes;
	}
	return null;
}

function sameBytes(a: readonly number[], b: readonly number[]): boolean {
	return a.length === b.length && a.every((value, index) => value === b[index]);
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
