/**
 * The preview of a finished image: a small WebP kept in R2 beside the original and removed
 * with it. Tool results carry it inline (an MCP `image` block) so chat clients show the
 * picture; the full image stays a link. Longest edge PREVIEW_MAX_EDGE, quality stepped down
 * until it fits PREVIEW_MAX_BYTES.
 */
import type { ImageTransformer } from './transform';

/** Longest edge of a preview, in pixels; a smaller original is not enlarged. */
export const PREVIEW_MAX_EDGE = 512;
/** Most bytes a preview may take. */
export const PREVIEW_MAX_BYTES = 64 * 1024;
/** Qualities tried in order until the preview fits PREVIEW_MAX_BYTES; the last is kept whatever its size. */
export const PREVIEW_QUALITIES = [80, 65, 50, 35, 20] as const;
export const PREVIEW_CONTENT_TYPE = 'image/webp';

/** Where the preview of the image under `key` is kept: beside it, under the image's own prefix. */
export function previewKey(key: string): string {
	return `${key}/preview.webp`;
}

/** Makes the preview of an image from its bytes. */
export async function makePreview(transformer: ImageTransformer, original: Uint8Array): Promise<Uint8Array> {
	let smallest: Uint8Array | undefined;
	for (const quality of PREVIEW_QUALITIES) {
		const { bytes } = await transformer.transform(original, {
			width: PREVIEW_MAX_EDGE,
			height: PREVIEW_MAX_EDGE,
			fit: 'scale-down',
			format: PREVIEW_CONTENT_TYPE,
			quality,
		});
		if (bytes.byteLength <= PREVIEW_MAX_BYTES) return bytes;
		if (!smallest || bytes.byteLength < smallest.byteLength) smallest = bytes;
	}
	return smallest!;
}
