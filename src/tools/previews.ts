/**
 * Inline previews in the results that carry finished images (DESIGN.md §5): get_job_status,
 * wait_for_completion, generate_image_and_wait and an MCP task's tasks/result. Chat clients
 * do not show a link or a markdown line from a tool result; they show an image block. The
 * caps keep a result far below the sizes at which clients fail (about 1 MB in Claude, a
 * 25k-token cap in Claude Code): past them an image is a link only.
 */
import { z } from 'zod';
import { toBase64 } from '../bytes';
import { PREVIEW_MODES, type PreviewMode } from '../env';
import { readPreferences } from '../jobs/preferences';
import { buildImageKey } from '../storage/images';
import { ensurePreview, PREVIEW_CONTENT_TYPE, PREVIEW_MAX_EDGE } from '../storage/previews';
import { imagesBindingTransformer } from '../storage/transform';
import type { InlinePreview, ToolContext } from './context';

/** Most previews one result carries. */
export const MAX_PREVIEWS_PER_RESULT = 4;
/** Most characters of base64 the previews of one result take together (256 KB). */
export const MAX_PREVIEW_BASE64_PER_RESULT = 256 * 1024;

export const previewArgumentSchema = z
	.enum(PREVIEW_MODES)
	.optional()
	.describe(
		`Inline previews of finished images: "auto" adds a small WebP (longest edge ${PREVIEW_MAX_EDGE} px) of each image, ` +
			`at most ${MAX_PREVIEWS_PER_RESULT} per result, before the links; "none" gives links only. ` +
			'Default: your preference (set_preferences), else auto unless this deployment set PREVIEWS to none.',
	);

/** An image whose preview a result may carry. */
export interface PreviewCandidate {
	job_id: string;
	index: number;
}

/**
 * The previews a result carries: the first ones, in order, while there are at most
 * MAX_PREVIEWS_PER_RESULT of them and their base64 stays within MAX_PREVIEW_BASE64_PER_RESULT.
 * Stops at the first that would pass a cap, so the previews are always of the first images.
 */
export function selectPreviews(previews: readonly InlinePreview[]): InlinePreview[] {
	const kept: InlinePreview[] = [];
	let characters = 0;
	for (const preview of previews) {
		if (kept.length === MAX_PREVIEWS_PER_RESULT) break;
		if (characters + preview.data.length > MAX_PREVIEW_BASE64_PER_RESULT) break;
		kept.push(preview);
		characters += preview.data.length;
	}
	return kept;
}

/**
 * Loads the previews of the first images (in parallel; a missing preview is made from the
 * original and kept), unless the call or the deployment (PREVIEWS) says "none". A preview
 * that cannot be had is logged and left out: the image keeps its link.
 */
export async function loadPreviews(
	context: Pick<ToolContext, 'env' | 'config'> & Partial<Pick<ToolContext, 'db' | 'principal'>>,
	images: readonly PreviewCandidate[],
	requested: PreviewMode | undefined,
): Promise<InlinePreview[]> {
	if (images.length === 0) return [];
	// The call, else the caller's preference (set_preferences), else the deployment's PREVIEWS.
	const preferred =
		requested === undefined && context.db && context.principal
			? (await readPreferences(context.db, context.principal.id)).previews
			: undefined;
	if ((requested ?? preferred ?? context.config.previews) === 'none') return [];
	const loaded = await Promise.all(
		images.slice(0, MAX_PREVIEWS_PER_RESULT).map(async ({ job_id, index }): Promise<InlinePreview | null> => {
			const data = await previewBase64(context, job_id, index);
			return data ? { job_id, index, data, mimeType: PREVIEW_CONTENT_TYPE } : null;
		}),
	);
	return selectPreviews(loaded.filter((preview) => preview !== null));
}

/**
 * The preview of one image as base64 (made from the original and kept when missing), or null
 * when the image is gone or its preview cannot be had; a failure is logged, and whoever shows
 * the image links it instead.
 */
export async function previewBase64(
	context: Pick<ToolContext, 'env'>,
	jobId: string,
	index: number,
): Promise<string | null> {
	const key = buildImageKey(jobId, index);
	try {
		const transformer = imagesBindingTransformer(context.env.IMAGE_TRANSFORMS);
		// Null when the image is gone or its preview cannot be made (ensurePreview logs why).
		const bytes = await ensurePreview(context.env.IMAGES, transformer, key);
		return bytes ? toBase64(bytes) : null;
	} catch (error) {
		console.error(`the preview of ${key} could not be read; it is linked instead`, error);
		return null;
	}
}
