/**
 * The offline provider's picture: a deterministic test pattern per (prompt, seed) — a
 * two-colour gradient, shapes, a border and a caption with the prompt's first characters —
 * drawn as packed RGB, so a person looking at results can tell which request made which image.
 */
import { glyphFor } from './offline-font';

type Rgb = readonly [red: number, green: number, blue: number];

/**
 * Draws the offline provider's picture for (prompt, seed) as packed RGB, 3 bytes a pixel,
 * rows top to bottom. Pure and deterministic, so it can be tested and benchmarked apart
 * from PNG encoding. Everything is drawn as horizontal spans copied from a pre-filled
 * colour row, never pixel by pixel.
 */
export function drawTestPattern(prompt: string, seed: number, width: number, height: number): Uint8Array {
	const canvas = new Canvas(width, height);
	const random = mulberry32(cyrb53(`${seed}\u0000${prompt}`));
	const baseHue = random() * 360;

	const from = hslToRgb(baseHue, 0.55 + random() * 0.3, 0.18 + random() * 0.14);
	const to = hslToRgb(baseHue + 90 + random() * 120, 0.6 + random() * 0.3, 0.52 + random() * 0.16);
	canvas.diagonalGradient(from, to, random() < 0.5);

	const shortSide = Math.min(width, height);
	const shapeCount = 7 + Math.floor(random() * 5);
	for (let i = 0; i < shapeCount; i++) {
		const colour = hslToRgb(random() * 360, 0.55 + random() * 0.35, 0.35 + random() * 0.4);
		const kind = Math.floor(random() * 4);
		const x = random() * width;
		const y = random() * height;
		if (kind === 0) {
			canvas.disc(x, y, shortSide * (0.06 + random() * 0.16), 0, colour);
		} else if (kind === 1) {
			const radius = shortSide * (0.08 + random() * 0.14);
			canvas.disc(x, y, radius, radius * (0.55 + random() * 0.2), colour);
		} else if (kind === 2) {
			const rectWidth = width * (0.1 + random() * 0.3);
			const rectHeight = height * (0.08 + random() * 0.27);
			canvas.fillRect(x - rectWidth / 2, y - rectHeight / 2, x + rectWidth / 2, y + rectHeight / 2, colour);
		} else {
			canvas.slantedBand(x, shortSide * (0.03 + random() * 0.05), random() * 2 - 1, colour);
		}
	}

	const border = Math.max(1, Math.round(shortSide / 256));
	canvas.frame(border, hslToRgb(baseHue + 180, 0.7, 0.85));
	drawCaption(canvas, (maxCharacters) => [...captionLines(prompt, maxCharacters), `SEED ${seed}`], border);
	return canvas.pixels;
}

/** Characters per caption line at most, and lines of prompt at most (the seed takes one more). */
export const CAPTION_MAX_CHARACTERS = 24;
export const CAPTION_MAX_LINES = 2;
const ELLIPSIS = '...';

/**
 * The prompt as caption lines: upper-cased (the font has no lower case), wrapped at spaces into
 * at most CAPTION_MAX_LINES lines of `width` characters (CAPTION_MAX_CHARACTERS at most). A
 * prompt that does not fit ends in "..." after the last whole word, never mid-word; a single
 * word longer than a line is cut, with the dots.
 */
export function captionLines(prompt: string, width = CAPTION_MAX_CHARACTERS): string[] {
	const lineWidth = Math.min(width, CAPTION_MAX_CHARACTERS);
	if (lineWidth <= ELLIPSIS.length) return [];
	const words = prompt.trim().toUpperCase().split(/\s+/).filter(Boolean);
	const lines: string[] = [];
	let current = '';
	let index = 0;
	for (; index < words.length; index++) {
		const word = words[index]!;
		const candidate = current ? `${current} ${word}` : word;
		if (candidate.length <= lineWidth) {
			current = candidate;
			continue;
		}
		if (!current) break; // One word wider than a line: cut below.
		lines.push(current);
		current = '';
		if (lines.length === CAPTION_MAX_LINES) break;
		index--; // Take this word again on the next line.
	}
	if (index >= words.length) return current ? [...lines, current] : lines;
	// Something is left: the last line ends in dots after the words that still fit.
	let last = current || lines.pop() || '';
	if (!last) last = words[index]!.slice(0, lineWidth - ELLIPSIS.length);
	while (last.length + ELLIPSIS.length > lineWidth && last.includes(' ')) last = last.slice(0, last.lastIndexOf(' '));
	if (last.length + ELLIPSIS.length > lineWidth) last = last.slice(0, lineWidth - ELLIPSIS.length);
	return [...lines, `${last}${ELLIPSIS}`].slice(0, CAPTION_MAX_LINES);
}

/** Glyph cell in font pixels: 5×7 glyphs with one column and one row of spacing. */
const CELL_WIDTH = 6;
const CELL_HEIGHT = 8;
const CAPTION_TEXT_COLOUR: Rgb = [245, 245, 240];
const CAPTION_PLATE_COLOUR: Rgb = [16, 16, 22];

/** Light text on a dark plate near the bottom edge, so it reads on any background. */
function drawCaption(canvas: Canvas, linesFor: (maxCharacters: number) => string[], border: number): void {
	const { width, height } = canvas;
	const shortSide = Math.min(width, height);
	const margin = border + Math.max(1, Math.round(shortSide * 0.03));
	const maxCharacters = Math.floor((width - 2 * margin - 2) / CELL_WIDTH);
	if (maxCharacters <= 0) return;
	const lines = linesFor(maxCharacters)
		.map((line) => line.slice(0, maxCharacters))
		.filter((line) => line.length > 0);
	if (lines.length === 0) return;

	const longest = Math.max(...lines.map((line) => line.length));
	const scaleToFitWidth = Math.floor((width - 2 * margin) / ((longest + 1) * CELL_WIDTH));
	const scaleToFitHeight = Math.floor((height * 0.3) / ((lines.length + 1) * CELL_HEIGHT));
	const largestReadableScale = Math.max(1, Math.floor(shortSide / 80));
	const scale = Math.max(1, Math.min(scaleToFitWidth, scaleToFitHeight, largestReadableScale));

	const padding = scale * 2;
	const textWidth = longest * CELL_WIDTH * scale - scale;
	const textHeight = lines.length * CELL_HEIGHT * scale - scale;
	const plateLeft = Math.floor((width - textWidth) / 2) - padding;
	const plateTop = height - margin - textHeight - 2 * padding;
	canvas.fillRect(
		plateLeft,
		plateTop,
		plateLeft + textWidth + 2 * padding,
		plateTop + textHeight + 2 * padding,
		CAPTION_PLATE_COLOUR,
	);

	lines.forEach((line, lineIndex) => {
		const lineLeft = Math.floor((width - line.length * CELL_WIDTH * scale + scale) / 2);
		const lineTop = plateTop + padding + lineIndex * CELL_HEIGHT * scale;
		for (let i = 0; i < line.length; i++) {
			drawGlyph(canvas, glyphFor(line[i] ?? ' '), lineLeft + i * CELL_WIDTH * scale, lineTop, scale);
		}
	});
}

/** Each run of set bits in a glyph row becomes one rectangle, `scale` font pixels tall. */
function drawGlyph(canvas: Canvas, rows: readonly number[], left: number, top: number, scale: number): void {
	for (let row = 0; row < rows.length; row++) {
		const bits = rows[row] ?? 0;
		let column = 0;
		while (column < 5) {
			if (!(bits & (0x10 >> column))) {
				column++;
				continue;
			}
			const runStart = column;
			while (column < 5 && bits & (0x10 >> column)) column++;
			const y = top + row * scale;
			canvas.fillRect(left + runStart * scale, y, left + column * scale, y + scale, CAPTION_TEXT_COLOUR);
		}
	}
}

/** An RGB buffer with span-based drawing; coordinates are clipped, so shapes may hang off the edges. */
class Canvas {
	readonly pixels: Uint8Array;
	/** A row's worth of each colour used, so a span is one `set` of a prefix. */
	private readonly colourRows = new Map<number, Uint8Array>();

	constructor(
		readonly width: number,
		readonly height: number,
	) {
		this.pixels = new Uint8Array(width * height * 3);
	}

	/** Colour runs along x + y (or x + (height − 1 − y)): one precomputed strip, each row a window of it. */
	diagonalGradient(from: Rgb, to: Rgb, rising: boolean): void {
		const { width, height, pixels } = this;
		const stripLength = width + height - 1;
		const strip = new Uint8Array(stripLength * 3);
		const steps = Math.max(1, stripLength - 1);
		for (let i = 0; i < stripLength; i++) {
			const t = i / steps;
			strip[i * 3] = from[0] + (to[0] - from[0]) * t;
			strip[i * 3 + 1] = from[1] + (to[1] - from[1]) * t;
			strip[i * 3 + 2] = from[2] + (to[2] - from[2]) * t;
		}
		for (let y = 0; y < height; y++) {
			const start = rising ? height - 1 - y : y;
			pixels.set(strip.subarray(start * 3, (start + width) * 3), y * width * 3);
		}
	}

	fillRect(left: number, top: number, right: number, bottom: number, colour: Rgb): void {
		const y0 = Math.max(0, Math.round(top));
		const y1 = Math.min(this.height, Math.round(bottom));
		for (let y = y0; y < y1; y++) this.fillSpan(y, left, right, colour);
	}

	/** A filled circle, or a ring when `innerRadius` > 0. */
	disc(centreX: number, centreY: number, radius: number, innerRadius: number, colour: Rgb): void {
		const y0 = Math.max(0, Math.ceil(centreY - radius));
		const y1 = Math.min(this.height - 1, Math.floor(centreY + radius));
		for (let y = y0; y <= y1; y++) {
			const dy = y - centreY;
			const outer = Math.sqrt(radius * radius - dy * dy);
			const innerSquared = innerRadius * innerRadius - dy * dy;
			if (innerSquared <= 0) {
				this.fillSpan(y, centreX - outer, centreX + outer, colour);
			} else {
				const inner = Math.sqrt(innerSquared);
				this.fillSpan(y, centreX - outer, centreX - inner, colour);
				this.fillSpan(y, centreX + inner, centreX + outer, colour);
			}
		}
	}

	/** A band crossing the whole height, its left edge at `left` + `slope` × y. */
	slantedBand(left: number, thickness: number, slope: number, colour: Rgb): void {
		const offset = left - (slope * this.height) / 2;
		for (let y = 0; y < this.height; y++) {
			const x = offset + slope * y;
			this.fillSpan(y, x, x + thickness, colour);
		}
	}

	frame(thickness: number, colour: Rgb): void {
		const { width, height } = this;
		this.fillRect(0, 0, width, thickness, colour);
		this.fillRect(0, height - thickness, width, height, colour);
		this.fillRect(0, thickness, thickness, height - thickness, colour);
		this.fillRect(width - thickness, thickness, width, height - thickness, colour);
	}

	/** Pixels [left, right) of row y, rounded and clipped to the canvas. */
	private fillSpan(y: number, left: number, right: number, colour: Rgb): void {
		const x0 = Math.max(0, Math.round(left));
		const x1 = Math.min(this.width, Math.round(right));
		if (x1 <= x0) return;
		this.pixels.set(this.colourRow(colour).subarray(0, (x1 - x0) * 3), (y * this.width + x0) * 3);
	}

	private colourRow(colour: Rgb): Uint8Array {
		const key = (colour[0] << 16) | (colour[1] << 8) | colour[2];
		let row = this.colourRows.get(key);
		if (!row) {
			row = new Uint8Array(this.width * 3);
			row.set(colour);
			// Doubling copies fill the row in log2(width) native calls.
			for (let filled = 3; filled < row.length; filled *= 2) {
				row.copyWithin(filled, 0, Math.min(filled, row.length - filled));
			}
			this.colourRows.set(key, row);
		}
		return row;
	}
}

/** HSL (hue in degrees, any range; saturation and lightness 0–1) to 8-bit RGB. */
function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
	const h = (((hue % 360) + 360) % 360) / 30;
	const a = saturation * Math.min(lightness, 1 - lightness);
	const channel = (n: number): number => {
		const k = (n + h) % 12;
		return Math.round(255 * (lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
	};
	return [channel(0), channel(8), channel(4)];
}

/** cyrb53 (public domain): a fast, well-mixed string hash; the low 32 bits seed the PRNG. */
function cyrb53(text: string): number {
	let h1 = 0xdeadbeef;
	let h2 = 0x41c6ce57;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		h1 = Math.imul(h1 ^ code, 2654435761);
		h2 = Math.imul(h2 ^ code, 1597334677);
	}
	h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
	h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
	h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
	h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
	return (h1 ^ (h2 << 11)) >>> 0;
}

/** mulberry32: a tiny 32-bit PRNG, good enough to place shapes and reproducible from one number. */
function mulberry32(state: number): () => number {
	let a = state >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
