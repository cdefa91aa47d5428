import type { ImageRow, JobRow } from '../db/schema';

/** Validated generation parameters, stored as JSON in `jobs.params`. */
export interface JobParams {
	width: number;
	height: number;
	steps: number;
	negative_prompt?: string;
	aspect_ratio?: string;
}

/** The message on the jobs queue: only the id (messages are capped at 128 KB). */
export interface JobMessage {
	jobId: string;
}

export interface JobWithImages {
	job: JobRow;
	images: ImageRow[];
}

export function parseJobParams(job: JobRow): JobParams {
	return JSON.parse(job.params) as JobParams;
}
