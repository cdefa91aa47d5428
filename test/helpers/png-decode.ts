/** Just enough PNG decoding for tests, written apart from the encoder so it can check it. */

export async function inflate(data: Uint8Array): Promise<Uint8Array> {
	const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'));
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(left: number, up: number, upLeft: number): number {
	const estimate = left + up - upLeft;
	const toLeft = Math.abs(estimate - left);
	const toUp = Math.abs(estimate - up);
	const toUpLeft = Math.abs(estimate - upLeft);
	if (toLeft <= toUp && toLeft <= toUpLeft) return left;
	return toUp <= toUpLeft ? up : upLeft;
}

/** Undoes any of the five PNG filters, so tests hold whichever the encoder picks. */
export function unfilter(scanlines: Uint8Array, width: number, height: number): Uint8Array {
	const rowLength = width * 3;
	if (scanlines.length !== height * (rowLength + 1)) {
		throw new Error(`Expected ${height * (rowLength + 1)} bytes of scanlines, got ${scanlines.length}`);
	}
	const rgb = new Uint8Array(width * height * 3);
	for (let y = 0; y < height; y++) {
		const filter = scanlines[y * (rowLength + 1)];
		for (let i = 0; i < rowLength; i++) {
			const raw = scanlines[y * (rowLength + 1) + 1 + i] ?? 0;
			const at = y * rowLength + i;
			const left = i >= 3 ? (rgb[at - 3] ?? 0) : 0;
			const up = y > 0 ? (rgb[at - rowLength] ?? 0) : 0;
			const upLeft = y > 0 && i >= 3 ? (rgb[at - rowLength - 3] ?? 0) : 0;
			const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter ?? -1];
			if (predictor === undefined) throw new Error(`Unknown filter type ${filter} on row ${y}`);
			rgb[at] = raw + predictor;
		}
	}
	return rgb;
}

/** The RGB pixels of an 8-bit truecolour PNG: IDAT chunks concatenated, inflated, unfiltered. */
export async function decodeRgb(png: Uint8Array, width: number, height: number): Promise<Uint8Array> {
	const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
	const idat: Uint8Array[] = [];
	for (let offset = 8; offset < png.length; ) {
		const length = view.getUint32(offset);
		if (String.fromCharCode(...png.subarray(offset + 4, offset + 8)) === 'IDAT') {
			idat.push(png.subarray(offset + 8, offset + 8 + length));
		}
		offset += 12 + length;
	}
	const joined = new Uint8Array(await new Blob(idat).arrayBuffer());
	return unfilter(await inflate(joined), width, height);
}
