/**
 * Sizing: how a request's width/height, aspect ratio or tier becomes pixels for one model,
 * by the kind of sizing the model has (fixed, range, list of sizes, aspect ratio and tier).
 */
import type { JobParams } from '../jobs/types';
import { type ModelEntry, nominalSize } from '../providers/catalog';
import type { ImageSizeTier } from '../providers/types';
import { err, ok } from '../result';
import type { GenerationRequest, Resolution } from './request';

/** Size for an aspect ratio at about one megapixel, in multiples of 64, inside `[min, max]`. */
export function sizeForAspectRatio(
	ratio: string,
	range: { min: number; max: number },
): { width: number; height: number } {
	const [w, h] = ratio.split(':').map(Number) as [number, number];
	const clamp = (value: number) => Math.min(range.max, Math.max(range.min, value));
	const width = clamp(Math.round(Math.sqrt((1024 * 1024 * w) / h) / 64) * 64);
	const height = clamp(Math.round((width * h) / w / 64) * 64);
	return { width, height };
}

function ratioOf(text: string): number {
	const [w, h] = text.split(/[:x]/).map(Number) as [number, number];
	return w / h;
}

/** The listed `WxH` size whose shape is closest to `ratio`. */
function closestListedSize(sizes: readonly string[], ratio: string): string {
	const wanted = Math.log(ratioOf(ratio));
	let best = sizes[0] ?? '1024x1024';
	for (const size of sizes) {
		if (Math.abs(Math.log(ratioOf(size)) - wanted) < Math.abs(Math.log(ratioOf(best)) - wanted)) best = size;
	}
	return best;
}

function toSize(size: string): { width: number; height: number } {
	const [width, height] = size.split('x').map(Number) as [number, number];
	return { width, height };
}

/** Aliases of the configured models that pass `test`, for "use one of …" hints. */
export function modelsWhere(available: readonly ModelEntry[], test: (entry: ModelEntry) => boolean): string {
	return (
		available
			.filter(test)
			.map((entry) => entry.alias)
			.join(', ') || 'none configured here'
	);
}

type Sizing = Pick<JobParams, 'width' | 'height' | 'aspect_ratio' | 'image_size'>;

export function resolveSize(
	entry: ModelEntry,
	input: GenerationRequest,
	available: readonly ModelEntry[],
): Resolution<Sizing> {
	const { size, defaultSize } = entry.capabilities;
	const { alias } = entry;
	const hasPixels = input.width !== undefined || input.height !== undefined;
	if (hasPixels && input.aspect_ratio) return err('width/height and aspect_ratio: give one or the other, not both.');
	if (hasPixels && (input.width === undefined || input.height === undefined)) {
		return err('width/height: give both width and height, or use aspect_ratio.');
	}
	if (input.image_size && size.kind !== 'aspect') {
		return err(
			`image_size: ${alias} is sized by width/height, not by tier. Omit image_size, or use a model with tiers: ${modelsWhere(available, (e) => e.capabilities.size.kind === 'aspect')}.`,
		);
	}
	switch (size.kind) {
		case 'fixed': {
			const samePixels = input.width === size.width && input.height === size.height;
			const sameShape =
				input.aspect_ratio === undefined || Math.abs(ratioOf(input.aspect_ratio) - size.width / size.height) < 1e-9;
			if ((hasPixels && !samePixels) || !sameShape) {
				return err(
					`width/height/aspect_ratio: ${alias} always makes ${size.width}×${size.height} images. Omit them, or use a model that takes a size: ${modelsWhere(available, (e) => e.capabilities.size.kind !== 'fixed')}.`,
				);
			}
			return ok({ width: size.width, height: size.height });
		}
		case 'range': {
			if (input.aspect_ratio) {
				return ok({ ...sizeForAspectRatio(input.aspect_ratio, size), aspect_ratio: input.aspect_ratio });
			}
			if (!hasPixels) return ok({ ...defaultSize });
			for (const [field, value] of [
				['width', input.width as number],
				['height', input.height as number],
			] as const) {
				if (value < size.min || value > size.max) {
					return err(`${field}: ${value} is outside ${alias}'s range. Allowed: ${size.min}–${size.max} pixels.`);
				}
				if (value % size.multipleOf !== 0) {
					const lower = Math.max(size.min, value - (value % size.multipleOf));
					return err(
						`${field}: ${alias} needs a multiple of ${size.multipleOf} pixels; ${value} is not (try ${lower}).`,
					);
				}
			}
			return ok({ width: input.width as number, height: input.height as number });
		}
		case 'list': {
			if (input.aspect_ratio) {
				return ok({ ...toSize(closestListedSize(size.sizes, input.aspect_ratio)), aspect_ratio: input.aspect_ratio });
			}
			if (!hasPixels) return ok({ ...defaultSize });
			const wanted = `${input.width}x${input.height}`;
			if (!size.sizes.includes(wanted)) {
				return err(`width/height: ${alias} makes only these sizes: ${size.sizes.join(', ')}; not ${wanted}.`);
			}
			return ok(toSize(wanted));
		}
		case 'aspect': {
			if (hasPixels) {
				return err(
					`width/height: ${alias} is sized by aspect_ratio (${size.ratios.join(', ')}) and image_size (${size.tiers.join(', ')}), not pixels.`,
				);
			}
			const ratio = input.aspect_ratio ?? '1:1';
			if (!size.ratios.includes(ratio)) {
				return err(`aspect_ratio: ${alias} does not make ${ratio}. Allowed: ${size.ratios.join(', ')}.`);
			}
			const tier: ImageSizeTier = input.image_size ?? size.tiers[0] ?? '1K';
			if (!size.tiers.includes(tier)) {
				return err(`image_size: ${alias} does not make ${tier}. Allowed: ${size.tiers.join(', ')}.`);
			}
			// Editing without a ratio: leave it to the model, which keeps the reference's shape
			// ("same scene at night"); the nominal size is the square one until the image is sniffed.
			const keepReferenceShape = input.aspect_ratio === undefined && (input.reference_images?.length ?? 0) > 0;
			return ok({
				...nominalSize(entry, ratio, tier),
				...(keepReferenceShape ? {} : { aspect_ratio: ratio }),
				image_size: tier,
			});
		}
	}
}
