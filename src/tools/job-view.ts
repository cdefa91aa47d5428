/**
 * How jobs and images look on the wire: the JSON in the text block and in
 * `structuredContent` (one schema for both, so they never disagree).
 */
import { z } from 'zod';
import { IMAGE_REMOVED_REASONS, type ImageRow, JOB_STATUSES } from '../db/schema';
import type { JobWithImages, ReferenceSpec } from '../jobs/types';
import { parseJobParams } from '../jobs/types';
import { isTerminal } from '../jobs/wait';
import { buildImageUrl, imageUri, imageUriOfKey, type UrlBases } from '../storage/images';
import { oneLine } from '../text';
import type { ImageView } from './context';

export const imageViewSchema = z.object({
	index: z.number().int().describe('Position of the image within its job, from 0.'),
	url: z.string().describe('Absolute HTTPS URL of the full-size image.'),
	resource_uri: z
		.string()
		.describe('The same image as an MCP resource (image://<job_id>/<index>), for resources/read.'),
	markdown: z.string().describe('Ready-to-paste markdown image line.'),
	content_type: z.string().describe('MIME type sniffed from the bytes.'),
	width: z.number().int(),
	height: z.number().int(),
	bytes: z.number().int().describe('Size of the image file in bytes.'),
	seed: z
		.number()
		.int()
		.nullable()
		.describe('Seed that produced the image, for reproducing it; null when the model takes none.'),
	revised_prompt: z.string().optional().describe('The prompt the model actually used, when it rewrote it (dall-e-3).'),
});

/** An image whose bytes are gone: listed so the caller learns why rather than meeting a dead link. */
export const removedImageSchema = z.object({
	index: z.number().int(),
	reason: z
		.enum(IMAGE_REMOVED_REASONS)
		.describe('expired: past the retention period; deleted: removed with delete_image.'),
	removed_at: z.string().describe('ISO 8601 time.'),
	message: z.string(),
});

export const jobViewSchema = z.object({
	job_id: z.string(),
	status: z.enum(JOB_STATUSES),
	done: z.boolean().describe('True when the job is completed, failed or cancelled and will not change again.'),
	prompt: z.string(),
	model: z.string(),
	width: z.number().int(),
	height: z.number().int(),
	steps: z.number().int().nullable().describe('Null for models without a steps parameter.'),
	seed: z.number().int().nullable(),
	negative_prompt: z.string().optional(),
	aspect_ratio: z.string().optional().describe('The aspect ratio the call asked for, when it gave one.'),
	image_size: z.string().optional().describe('The resolution tier the call asked for (models sized by aspect ratio).'),
	reference_images: z
		.array(z.string())
		.optional()
		.describe('The reference images the call gave: image:// URIs of earlier images, or https URLs.'),
	mask_image: z.string().optional().describe('The inpainting mask the call gave.'),
	model_choice: z.string().optional().describe('With model "auto": which model was picked and why.'),
	style: z.string().optional().describe('The library style the call named; `prompt` is what the model was sent.'),
	prompt_given: z.string().optional().describe('With a style: the prompt as the call wrote it, before the style.'),
	parent_job_id: z.string().optional().describe('For a variation: the job it was made from (its lineage).'),
	revised_prompt: z
		.string()
		.optional()
		.describe('The prompt the model actually used, when it rewrites prompts (dall-e-3).'),
	attempts: z.number().int().describe('Deliveries to a provider so far.'),
	estimated_cost_usd: z.number(),
	image_url: z.string().optional().describe('URL of the first image, once completed.'),
	markdown: z.string().optional().describe('Markdown image line of the first image, once completed.'),
	images: z.array(imageViewSchema).describe('Images that can be fetched now.'),
	removed_images: z
		.array(removedImageSchema)
		.optional()
		.describe('Images of this job that expired or were deleted; they have no URL any more.'),
	error: z.string().optional().describe('Why the job failed, or the last transient error while it retries.'),
	error_code: z.string().optional(),
	created_at: z.string().describe('ISO 8601 time.'),
	updated_at: z.string(),
	completed_at: z.string().optional(),
	duration_ms: z.number().int().optional().describe('From creation to the terminal state.'),
});

export type JobView = z.infer<typeof jobViewSchema>;

/** Escapes the characters that would end a markdown image's alt text early. */
function altText(prompt: string): string {
	return oneLine(prompt, 100).replace(/[[\]\\]/g, '\\$&');
}

export function presentImage(row: ImageRow, prompt: string, urls: UrlBases): ImageView {
	const url = buildImageUrl(urls, row.r2Key, row.contentType);
	const view: ImageView = {
		index: row.idx,
		url,
		resource_uri: imageUri(row.jobId, row.idx),
		markdown: `![${altText(prompt)}](${url})`,
		content_type: row.contentType,
		width: row.width,
		height: row.height,
		bytes: row.bytes,
		seed: row.seed,
	};
	if (row.revisedPrompt) view.revised_prompt = row.revisedPrompt;
	return view;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Says why an image has no URL any more; null while it is served. */
export function removalMessage(row: ImageRow): string | null {
	if (row.removedAt === null) return null;
	const when = iso(row.removedAt).slice(0, 10);
	return row.removedReason === 'deleted'
		? `Deleted by its owner on ${when}; generate it again if you need it.`
		: `Expired on ${when} (images are kept for a limited time here); generate it again if you need it.`;
}

export function presentRemovedImage(row: ImageRow): z.infer<typeof removedImageSchema> {
	return {
		index: row.idx,
		reason: row.removedReason ?? 'expired',
		removed_at: iso(row.removedAt ?? 0),
		message: removalMessage(row) ?? '',
	};
}

export function presentJob({ job, images }: JobWithImages, urls: UrlBases): JobView {
	const params = parseJobParams(job);
	const shownPrompt = params.prompt_given ?? job.prompt;
	const views = images.filter((row) => row.removedAt === null).map((row) => presentImage(row, shownPrompt, urls));
	const removed = images.filter((row) => row.removedAt !== null).map(presentRemovedImage);
	const first = views[0];
	const view: JobView = {
		job_id: job.id,
		status: job.status,
		done: isTerminal(job),
		prompt: job.prompt,
		model: job.model,
		width: first?.width ?? params.width,
		height: first?.height ?? params.height,
		steps: params.steps ?? null,
		seed: job.seed,
		attempts: job.attempts,
		estimated_cost_usd: job.estimatedCostUsd,
		images: views,
		created_at: iso(job.createdAt),
		updated_at: iso(job.updatedAt),
	};
	if (removed.length) view.removed_images = removed;
	if (params.negative_prompt) view.negative_prompt = params.negative_prompt;
	if (params.aspect_ratio) view.aspect_ratio = params.aspect_ratio;
	if (params.image_size) view.image_size = params.image_size;
	if (params.reference_images?.length) view.reference_images = params.reference_images.map(referenceText);
	if (params.mask) view.mask_image = referenceText(params.mask);
	if (params.auto_reason) view.model_choice = params.auto_reason;
	if (params.style_name) view.style = params.style_name;
	if (params.prompt_given) view.prompt_given = params.prompt_given;
	if (params.parent_job_id) view.parent_job_id = params.parent_job_id;
	if (first) {
		if (first.revised_prompt) view.revised_prompt = first.revised_prompt;
		view.image_url = first.url;
		view.markdown = first.markdown;
	}
	if (job.error) view.error = job.error;
	if (job.errorCode) view.error_code = job.errorCode;
	if (job.completedAt) {
		view.completed_at = iso(job.completedAt);
		view.duration_ms = job.completedAt - job.createdAt;
	}
	return view;
}

/** How a job names a reference image it was given: an `image://` URI of an earlier image, or the URL. */
export function referenceText(spec: ReferenceSpec): string {
	return spec.kind === 'image' ? imageUriOfKey(spec.r2_key) : spec.url;
}
