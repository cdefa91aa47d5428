import type { ImageRow, JobRow } from '../db/schema';
import type { ImageSizeTier } from '../providers/types';

/** An input image as stored with the job: an earlier image of the same owner, or an https URL. */
export type ReferenceSpec = { kind: 'image'; r2_key: string } | { kind: 'url'; url: string };

/**
 * Validated generation parameters, the JSON column `jobs.params`. Only what the model
 * takes is set (validation refuses the rest), so the consumer passes them on as they are.
 */
export interface JobParams {
	/** Exact pixel size for sized models; nominal for list- or ratio-sized ones. */
	width: number;
	height: number;
	/** Absent for models without a steps parameter (OpenAI, Gemini). */
	steps?: number;
	negative_prompt?: string;
	aspect_ratio?: string;
	image_size?: ImageSizeTier;
	guidance?: number;
	quality?: string;
	style?: string;
	background?: string;
	output_format?: string;
	sampler?: string;
	strength?: number;
	reference_images?: ReferenceSpec[];
	mask?: ReferenceSpec;
	/** Set when the caller asked for `model: "auto"`: why this model was picked. */
	auto_reason?: string;
}

/** The message on the jobs queue: only the id (messages are capped at 128 KB). */
export interface JobMessage {
	jobId: string;
}

export interface JobWithImages {
	job: JobRow;
	images: ImageRow[];
}

/**
 * A job's generation parameters. The column is JSON (src/db/schema.ts), decoded by drizzle as
 * rows are read; like the JSON.parse it replaces, it checks no fields, so rows written before a
 * field existed read as they are, without it.
 */
export function parseJobParams(job: JobRow): JobParams {
	return job.params;
}
