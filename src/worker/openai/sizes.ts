/**
 * OpenAI's `size` ("1024x1024", "1792x1024", "auto") as one model's size arguments: pixels for
 * models sized by width and height, an aspect ratio and tier for models sized that way
 * (Gemini). A size the model cannot make is refused naming `size`, what the model makes, and
 * which configured models would make it. Pure: the caller chooses the model.
 */
import { type ModelEntry, nominalSize } from '../../providers/catalog';
import type { ImageSizeTier } from '../../providers/types';
import { err, ok, type Result } from '../../result';
import type { GenerateInput } from '../../tools/generate.schema';

type AspectRatio = NonNullable<GenerateInput['aspect_ratio']>;

/** The sizes OpenAI's Images API documents, for the message about a malformed one. */
export const OPENAI_SIZES = ['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536', '1792x1024', '1024x1792'];

/**
 * How far a `WxH` may be from a model's aspect ratio and still be taken as that ratio: 3 %, so
 * DALL·E 3's 1792x1024 (1.75) is Gemini's 16:9 (1.78), while 4:3 and 5:4 stay apart (6.7 %).
 */
export const RATIO_TOLERANCE = 0.03;

/** generate_image's size arguments: none (the model's or the caller's default), pixels, or ratio and tier. */
export interface SizeArguments {
	width?: number;
	height?: number;
	aspect_ratio?: AspectRatio;
	image_size?: ImageSizeTier;
}

const SIZE_PATTERN = /^(\d{1,5})x(\d{1,5})$/;

/** The names of the configured models that pass `test`, for "or use …" hints. */
export function modelNamesWhere(available: readonly ModelEntry[], test: (entry: ModelEntry) => boolean): string {
	return (
		available
			.filter(test)
			.map((entry) => entry.alias)
			.join(', ') || 'none configured here'
	);
}

/** The size arguments for `size` on `entry`, or a message starting `size: ` saying what it makes instead. */
export function sizeArguments(
	size: string | undefined,
	entry: ModelEntry,
	available: readonly ModelEntry[],
): Result<SizeArguments, string> {
	if (size === undefined || size === 'auto') return ok({});
	const match = SIZE_PATTERN.exec(size);
	if (!match) {
		return err(
			`size: "${size.slice(0, 40)}" is not a size. Send "WIDTHxHEIGHT" in pixels, such as ${OPENAI_SIZES.slice(2, 4)
				.map((text) => `"${text}"`)
				.join(' or ')}, or "auto" for the model's default.`,
		);
	}
	const width = Number(match[1]);
	const height = Number(match[2]);
	const fitted = fit(width, height, entry);
	if (fitted.ok) return fitted;
	const others = modelNamesWhere(available, (other) => other !== entry && fit(width, height, other).ok);
	return err(`size: ${entry.alias} cannot make ${size}: ${fitted.error} Or use a model that makes ${size}: ${others}.`);
}

/** `width`×`height` on one model, or what it makes instead (one sentence, ending in a full stop). */
function fit(width: number, height: number, entry: ModelEntry): Result<SizeArguments, string> {
	const { size } = entry.capabilities;
	switch (size.kind) {
		case 'fixed':
			return width === size.width && height === size.height
				? ok({ width, height })
				: err(`it always makes ${size.width}x${size.height}; send that or "auto".`);
		case 'range': {
			const inRange = (value: number) => value >= size.min && value <= size.max;
			if (!inRange(width) || !inRange(height)) {
				return err(`width and height must each be ${size.min}–${size.max} pixels.`);
			}
			if (width % size.multipleOf !== 0 || height % size.multipleOf !== 0) {
				return err(`width and height must each be a multiple of ${size.multipleOf} pixels.`);
			}
			return ok({ width, height });
		}
		case 'list':
			return size.sizes.includes(`${width}x${height}`)
				? ok({ width, height })
				: err(`it makes only ${size.sizes.join(', ')}.`);
		case 'aspect':
			return fitAspect(width, height, entry, size.ratios, size.tiers);
	}
}

/**
 * A model sized by aspect ratio and tier: the closest of its ratios (within RATIO_TOLERANCE),
 * at the tier whose pixel count is nearest. The image is the model's size for that pair, so
 * 1792x1024 on Gemini is 16:9 at 1K, 1376×768; the answer's `size` says what was made.
 */
function fitAspect(
	width: number,
	height: number,
	entry: ModelEntry,
	ratios: readonly string[],
	tiers: readonly ImageSizeTier[],
): Result<SizeArguments, string> {
	const sizesAt1K = () =>
		ratios
			.map((ratio) => {
				const { width: w, height: h } = nominalSize(entry, ratio, tiers[0] ?? '1K');
				return `${w}x${h} (${ratio})`;
			})
			.join(', ');
	if (width === 0 || height === 0) return err(`it makes these shapes (at ${tiers[0] ?? '1K'}): ${sizesAt1K()}.`);
	const shape = Math.log(width / height);
	const distance = (ratio: string) => {
		const [w, h] = ratio.split(':').map(Number) as [number, number];
		return Math.abs(Math.log(w / h) - shape);
	};
	const closest = [...ratios].sort((a, b) => distance(a) - distance(b))[0];
	if (closest === undefined || distance(closest) > Math.log(1 + RATIO_TOLERANCE)) {
		return err(`it makes these shapes (at ${tiers[0] ?? '1K'}): ${sizesAt1K()}.`);
	}
	const pixels = Math.log(width * height);
	const tierDistance = (tier: ImageSizeTier) => {
		const nominal = nominalSize(entry, closest, tier);
		return Math.abs(Math.log(nominal.width * nominal.height) - pixels);
	};
	const tier = [...tiers].sort((a, b) => tierDistance(a) - tierDistance(b))[0] ?? '1K';
	return ok({ aspect_ratio: closest as AspectRatio, image_size: tier });
}
