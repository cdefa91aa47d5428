/** Job types shared by the job domain and its callers. */
import type { JobParams } from '../db/job-params';
import type { ImageRow, JobRow } from '../db/schema';

export type { JobParams, ModelOptions, ReferenceSpec } from '../db/job-params';

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
