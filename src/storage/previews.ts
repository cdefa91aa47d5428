/**
 * The preview of a finished image: a small WebP kept in R2 beside the original and removed
 * with it. Tool results carry it inline (an MCP `image` block) so chat clients show the
 * picture; the full image stays a link. Made by the consumer right after it stores a new
 * image (`storeNewPreview`), or on first use for an image that has none (`ensurePreview`).
 */
import { keepIfImageExists, readImage, readPreview, storePreview } from './bucket';
import { previewKey } from './images';
import type { ImageTransformer } from './transform';

export { previewKey };

/** Longest edge of a preview, in pixels; a smaller original is not enlarged. */
export const PREVIEW_MAX_EDGE = 512;
/** Most bytes a preview may take. */
export const PREVIEW_MAX_BYTES = 64 * 1024;
/** Qualities tried in order at PREVIEW_MAX_EDGE until the preview fits PREVIEW_MAX_BYTES. */
export const PREVIEW_QUALITIES = [80, 65, 50, 35, 20] as const;
/** When even the lowest quality does not fit, the edge is halved down to this (which always fits). */
export const PREVIEW_MIN_EDGE = 64;
export const PREVIEW_CONTENT_TYPE = 'image/webp';

/**
 * Makes the preview of an image from its bytes: WebP, longest edge PREVIEW_MAX_EDGE, quality
 * stepped down until it fits PREVIEW_MAX_BYTES, then the edge halved at the lowest quality
 * (a 64 px WebP is at most a few kilobytes). Throws when the transformer fails.
 */
export async function makePreview(transformer: ImageTransformer, original: Uint8Array): Promise<Uint8Array> {
	const at = async (edge: number, quality: number) =>
		(
			await transformer.transform(original, {
				width: edge,
				height: edge,
				fit: 'scale-down',
				format: PREVIEW_CONTENT_TYPE,
				quality,
			})
		).bytes;
	let previousSize: number | undefined;
	for (const quality of PREVIEW_QUALITIES) {
		const bytes = await at(PREVIEW_MAX_EDGE, quality);
		if (bytes.byteLength <= PREVIEW_MAX_BYTES) return bytes;
		// An encoder that ignores the quality (the local Images binding does) gives the same
		// bytes every time: go on to smaller edges at once.
		if (bytes.byteLength === previousSize) break;
		previousSize = bytes.byteLength;
	}
	const lowest = Math.min(...PREVIEW_QUALITIES);
	for (let edge = PREVIEW_MAX_EDGE / 2; ; edge /= 2) {
		const bytes = await at(edge, lowest);
		if (bytes.byteLength <= PREVIEW_MAX_BYTES || edge <= PREVIEW_MIN_EDGE) return bytes;
	}
}

/**
 * Makes and stores the preview of the image under `key` from its bytes: what the consumer does
 * right after storing a new image (docs/benchmarks.md says why then). Never throws: a preview
 * is a convenience, so a failure is logged and the job goes on without one (`ensurePreview`
 * can make it later). Returns the stored preview, or null.
 */
export async function storeNewPreview(
	bucket: R2Bucket,
	transformer: ImageTransformer,
	key: string,
	original: Uint8Array,
): Promise<Uint8Array | null> {
	try {
		const preview = await makePreview(transformer, original);
		await storePreview(bucket, key, preview);
		return preview;
	} catch (error) {
		console.error(`preview of ${key}: not made`, error);
		return null;
	}
}

/**
 * The preview of the image under `key`: the stored one, or, for an image that has none (made
 * before previews existed, with PREVIEWS=none, or whose preview failed), one made now from the
 * original and kept. Null when the image is not stored or the preview cannot be made (logged).
 */
export async function ensurePreview(
	bucket: R2Bucket,
	transformer: ImageTransformer,
	key: string,
): Promise<Uint8Array | null> {
	const stored = await readPreview(bucket, key);
	if (stored) return stored;
	const original = await readImage(bucket, key);
	if (!original) return null;
	const preview = await storeNewPreview(bucket, transformer, key, original);
	// The image may have been deleted while the preview was made; then the preview goes too.
	if (!preview || !(await keepIfImageExists(bucket, key, previewKey(key)))) return null;
	return preview;
}
