/**
 * How one image was made, as the `image://<job_id>/<index>/metadata` resource shows it (src/mcp/
 * resources.ts): the job's prompt, model and parameters, the image's own seed and size, the
 * cost, the times, and every way to fetch it. One schema, so the JSON and docs/tools.md agree.
 */
import { z } from 'zod';
import type { ImageRow, JobRow } from '../db/schema';
import { parseJobParams } from '../jobs/types';
import { imageViewUri, type UrlBases } from '../storage/images';
import { presentImage, referenceText } from './job-view';

export const imageMetadataSchema = z.object({
	job_id: z.string(),
	index: z.number().int().describe('Position of the image within its job, from 0.'),
	prompt: z.string(),
	revised_prompt: z.string().optional().describe('The prompt the model actually used, when it rewrote it (dall-e-3).'),
	model: z.string(),
	model_choice: z.string().optional().describe('With model "auto": which model was picked and why.'),
	style: z.string().optional().describe('The library style the call named; `prompt` is what the model was sent.'),
	prompt_given: z.string().optional().describe('With a style: the prompt as the call wrote it, before the style.'),
	parent_job_id: z.string().optional().describe('For a variation: the job it was made from (its lineage).'),
	seed: z.number().int().nullable().describe("The image's seed, for reproducing it; null when the model takes none."),
	width: z.number().int().describe('Width of the stored image in pixels.'),
	height: z.number().int().describe('Height of the stored image in pixels.'),
	content_type: z.string().describe('MIME type sniffed from the bytes.'),
	bytes: z.number().int().describe('Size of the image file in bytes.'),
	steps: z.number().int().nullable().describe('Null for models without a steps parameter.'),
	negative_prompt: z.string().optional(),
	reference_images: z
		.array(z.string())
		.describe('The input images the job was given: image://<job_id>/<index> URIs of earlier images, or https URLs.'),
	mask_image: z.string().optional().describe('The inpainting mask, in the same forms.'),
	options: z
		.record(z.string(), z.union([z.string(), z.number()]))
		.optional()
		.describe(
			'Other model options the job set (guidance, quality, style, background, output_format, sampler, strength).',
		),
	estimated_cost_usd: z.number().describe("The job's estimated cost (one image)."),
	created_at: z.string().describe('When the job was created, ISO 8601.'),
	completed_at: z.string().optional().describe('When the job finished, ISO 8601.'),
	image_url: z.string().describe('Absolute HTTPS URL of the full-size image.'),
	markdown: z.string().describe('Ready-to-paste markdown image line.'),
	resource_uri: z.string().describe('The image as an MCP resource.'),
	view_uri: z
		.string()
		.describe('The image transformed on read: add ?width=&height=&fit=&format=&quality= (default a WebP of its size).'),
});

export type ImageMetadata = z.infer<typeof imageMetadataSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The metadata of `image`, made by `job` (the caller's own: the reads are owner-scoped). */
export function presentImageMetadata(job: JobRow, image: ImageRow, urls: UrlBases): ImageMetadata {
	const params = parseJobParams(job);
	const view = presentImage(image, job.prompt, urls);
	const { guidance, quality, style, background, output_format, sampler, strength } = params;
	const options = Object.fromEntries(
		Object.entries({ guidance, quality, style, background, output_format, sampler, strength }).filter(
			([, value]) => value !== undefined,
		),
	) as Record<string, string | number>;
	// Built in the schema's order, optional fields only when set, so the JSON reads top to bottom.
	return {
		job_id: job.id,
		index: image.idx,
		prompt: job.prompt,
		...(image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {}),
		model: job.model,
		...(params.auto_reason ? { model_choice: params.auto_reason } : {}),
		...(params.style_name ? { style: params.style_name } : {}),
		...(params.prompt_given ? { prompt_given: params.prompt_given } : {}),
		...(params.parent_job_id ? { parent_job_id: params.parent_job_id } : {}),
		seed: image.seed,
		width: image.width,
		height: image.height,
		content_type: image.contentType,
		bytes: image.bytes,
		steps: params.steps ?? null,
		...(params.negative_prompt ? { negative_prompt: params.negative_prompt } : {}),
		reference_images: (params.reference_images ?? []).map(referenceText),
		...(params.mask ? { mask_image: referenceText(params.mask) } : {}),
		...(Object.keys(options).length > 0 ? { options } : {}),
		estimated_cost_usd: job.estimatedCostUsd,
		created_at: iso(job.createdAt),
		...(job.completedAt ? { completed_at: iso(job.completedAt) } : {}),
		image_url: view.url,
		markdown: view.markdown,
		resource_uri: view.resource_uri,
		view_uri: imageViewUri(job.id, image.idx),
	};
}
