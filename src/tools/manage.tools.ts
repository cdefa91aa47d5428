/** Changing jobs and images: cancel_job and delete_image. */
import { z } from 'zod';
import { JOB_STATUSES, type JobRow } from '../db/schema';
import { cancelJobs } from '../jobs/cancel';
import { deleteOwnImage } from '../jobs/image-removal';
import { imageKeyFrom } from '../storage/images';
import { defineTool, notFoundError, toolError, toolResult } from './context';
import { jobSelectionSchema, selectedJobIds } from './jobs.tools';

const cancelResultSchema = z.object({
	job_id: z.string(),
	status: z.enum([...JOB_STATUSES, 'not_found']).describe('The job status after this call.'),
	cancelled: z.boolean().describe('True when this call cancelled the job.'),
	message: z.string(),
});

function alreadyDone(job: JobRow): string {
	if (job.status === 'completed') {
		return 'Already completed; nothing to cancel. Use delete_image to remove its image.';
	}
	if (job.status === 'failed') return 'Already failed; nothing to cancel.';
	return 'Already cancelled.';
}

export const cancelJobTool = defineTool({
	name: 'cancel_job',
	title: 'Cancel image job(s)',
	description:
		'Cancel image-generation jobs that are still pending or processing; they end as cancelled and produce no image. ' +
		'A job already finished is left as it is, and the result says so (not an error). Pass job_id, or job_ids for several.',
	input: jobSelectionSchema('Several job ids to cancel', {}),
	output: z.object({
		success: z.boolean(),
		cancelled_count: z.number().int(),
		results: z.array(cancelResultSchema),
	}),
	annotations: {
		title: 'Cancel image job(s)',
		readOnlyHint: false,
		destructiveHint: true,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async (args, context) => {
		const ids = selectedJobIds(args);
		const outcome = await cancelJobs(context.db, context.env.IMAGES, context.principal.id, ids, Date.now());
		if (outcome.missing.length === ids.length) {
			return notFoundError(
				`${args.job_id ? 'job_id' : 'job_ids'}: no job ${ids.map((id) => `"${id}"`).join(', ')} found for you. Use list_jobs to see your jobs.`,
			);
		}
		const byId = new Map<string, z.infer<typeof cancelResultSchema>>();
		for (const job of outcome.cancelled) {
			byId.set(job.id, {
				job_id: job.id,
				status: 'cancelled',
				cancelled: true,
				message:
					job.startedAt === null
						? 'Cancelled before it started: nothing was generated or charged.'
						: 'Cancelled while running: the provider call under way may still be billed by the provider, but its result is discarded.',
			});
		}
		for (const job of outcome.unchanged) {
			byId.set(job.id, { job_id: job.id, status: job.status, cancelled: false, message: alreadyDone(job) });
		}
		for (const id of outcome.missing) {
			byId.set(id, { job_id: id, status: 'not_found', cancelled: false, message: 'No job of yours has this id.' });
		}
		return toolResult({
			success: true,
			cancelled_count: outcome.cancelled.length,
			results: ids.map((id) => byId.get(id)!),
		});
	},
});

export const deleteImageTool = defineTool({
	name: 'delete_image',
	title: 'Delete an image',
	description:
		'Permanently delete one of your generated images: its URL stops working and listings show it as deleted. ' +
		'The job record stays. Name the image by job id (its first image), "<job_id>/<index>", "image://<job_id>/<index>" or its URL.',
	input: z.strictObject({
		image: z
			.string()
			.trim()
			.min(1)
			.max(2048)
			.describe('The image: a job id (its first image), "<job_id>/<index>", "image://<job_id>/<index>", or its URL.'),
	}),
	output: z.object({
		success: z.boolean(),
		job_id: z.string(),
		index: z.number().int(),
		deleted: z.boolean().describe('True when this call deleted it; false when it was already gone.'),
		status: z.enum(['deleted', 'expired']),
		message: z.string(),
	}),
	annotations: {
		title: 'Delete an image',
		readOnlyHint: false,
		destructiveHint: true,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async ({ image }, context) => {
		const key = imageKeyFrom(image, context.urls);
		if (!key) {
			return toolError(
				`image: "${image.slice(0, 80)}" does not name an image of this server. Give a job id, "<job_id>/<index>", "image://<job_id>/<index>" or the image URL.`,
			);
		}
		const result = await deleteOwnImage(context.env, context.db, context.principal.id, key, Date.now());
		if (result.outcome === 'not_found') {
			const [jobId] = key.split('/');
			return notFoundError(
				`image: no finished image "${key}" of yours. Check job ${jobId} with get_job_status; to stop a job that is still running, use cancel_job.`,
			);
		}
		const { image: row } = result;
		const deleted = result.outcome === 'deleted';
		const status = row.removedReason ?? 'deleted';
		return toolResult({
			success: true,
			job_id: row.jobId,
			index: row.idx,
			deleted,
			status,
			message: deleted
				? 'Deleted. Its URL no longer works; the job stays in list_jobs with the image marked deleted.'
				: `Already ${status}; nothing more to delete.`,
		});
	},
});
