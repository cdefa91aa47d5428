/**
 * Reading an image's preview for a tool result, making it on the way when it is missing: an
 * image stored before previews existed, or one whose preview could not be made when it was
 * stored. A preview made here is kept beside the original (src/storage/previews.ts), so the
 * next result reads it like any other.
 */
import { makePreview, PREVIEW_CONTENT_TYPE, previewKey } from './previews';
import type { ImageTransformer } from './transform';

/** Previews never change under their key (made from an immutable original), so caches may keep them. */
const PREVIEW_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * The preview of the image under `key`: the stored one, or one made now from the original and
 * stored. Null when the original is gone. Throws when the original cannot be decoded, or R2 or
 * the transformer fail; a preview made but not stored is still returned.
 */
export async function loadPreview(
	bucket: R2Bucket,
	transformer: ImageTransformer,
	key: string,
): Promise<Uint8Array | null> {
	const stored = await bucket.get(previewKey(key));
	if (stored) return new Uint8Array(await stored.arrayBuffer());
	const original = await bucket.get(key);
	if (!original) return null;
	const preview = await makePreview(transformer, new Uint8Array(await original.arrayBuffer()));
	try {
		await bucket.put(previewKey(key), preview, {
			httpMetadata: { contentType: PREVIEW_CONTENT_TYPE, cacheControl: PREVIEW_CACHE_CONTROL },
			// The original's owner and job, so the bucket alone says whose the preview is.
			customMetadata: original.customMetadata,
		});
	} catch (error) {
		console.error(`storing the preview of ${key} failed; it is made again next time`, error);
	}
	return preview;
}
