/**
 * The shared body of wait_for_completion and generate_image_and_wait: poll D1 until the
 * jobs settle or the wait budget runs out, sending progress on the way, and present the
 * outcome. Running out of time is a normal result ("still running, call again"), never an
 * error: the job goes on and a later call picks it up.
 */
import { z } from 'zod';
import type { JobRow } from '../db/schema';
import type { PreviewMode } from '../env';
import { withImages } from '../jobs/queries';
import { isTerminal, waitForJobs } from '../jobs/wait';
import { expectedRunMs } from '../providers/catalog';
import type { ToolContext, ToolOutcome } from './context';
import { notFoundError, toolResult } from './context';
import { jobViewSchema, presentJob } from './job-view';
import { loadPreviews } from './previews';

/** Below the 60 s request timeout of the MCP SDK client and Better Chatbot. */
export const DEFAULT_WAIT_SECONDS = 50;
export const MAX_WAIT_SECONDS = 55;

export const timeoutSecondsSchema = z
	.number()
	.min(1)
	.max(MAX_WAIT_SECONDS)
	.default(DEFAULT_WAIT_SECONDS)
	.describe(
		`How long to wait at most, in seconds (1–${MAX_WAIT_SECONDS}, default ${DEFAULT_WAIT_SECONDS}). If the images are not ready by then, the result says so and you call again.`,
	);

export const waitOutputSchema = z.object({
	success: z.boolean().describe('True unless a job failed or was cancelled.'),
	done: z.boolean().describe('True when every job has finished (completed, failed or cancelled).'),
	still_running: z.boolean().describe('True when the wait ended before every job finished: call again.'),
	message: z.string(),
	count: z.number().int(),
	completed: z.number().int(),
	failed: z.number().int(),
	pending: z.number().int().describe('Jobs not finished yet.'),
	waited_ms: z.number().int(),
	job_id: z.string().optional().describe('The job, when exactly one was waited for.'),
	job_ids: z.array(z.string()),
	status: z.string().optional().describe('Status of the job, when exactly one was waited for.'),
	image_url: z.string().optional().describe('First image URL, when exactly one job was waited for.'),
	markdown: z.string().optional(),
	prompt: z.string().optional(),
	model: z.string().optional(),
	model_choice: z.string().optional().describe('With model "auto": which model was picked and why.'),
	error: z.string().optional(),
	results: z.array(jobViewSchema),
});

export interface WaitOptions {
	/** The call's `preview` argument; undefined follows the deployment (PREVIEWS). */
	preview?: PreviewMode;
}

export async function waitAndPresent(
	context: ToolContext,
	jobIds: readonly string[],
	timeoutSeconds: number,
	options: WaitOptions = {},
): Promise<ToolOutcome> {
	const started = Date.now();
	let lastProgressAt = 0;
	const waitSeconds = Math.min(timeoutSeconds, context.maxWaitSeconds);
	const logChanges = jobLogger(context);
	const outcome = await waitForJobs(context.db, context.principal.id, jobIds, {
		timeoutMs: waitSeconds * 1000,
		signal: context.signal,
		hints: context.config.waitInMemory,
		expectedRunMs: (job) => expectedRunMs(context.env, job.model),
		onPoll: async (rows, elapsed) => {
			await logChanges(rows);
			if (elapsed - lastProgressAt < 1000) return;
			lastProgressAt = elapsed;
			const finished = rows.filter(isTerminal).length;
			const seconds = Math.floor(elapsed / 1000);
			await context.reportProgress(
				seconds,
				undefined,
				`${finished} of ${jobIds.length} job(s) finished after ${seconds} s; still waiting.`,
			);
		},
	});

	await logChanges(outcome.rows);
	const found = new Set(outcome.rows.map((row) => row.id));
	const missing = jobIds.filter((id) => !found.has(id));
	if (missing.length > 0) {
		return notFoundError(
			`job_id: no job ${missing.map((id) => `"${id}"`).join(', ')} found for you. Use the job_id returned by generate_image, or list_jobs to see your jobs.`,
		);
	}

	const byId = new Map(outcome.rows.map((row) => [row.id, row]));
	const ordered = jobIds.map((id) => byId.get(id)!);
	const views = (await withImages(context.db, ordered)).map((entry) => presentJob(entry, context.urls));
	const completed = views.filter((view) => view.status === 'completed').length;
	const failed = views.filter((view) => view.status === 'failed' || view.status === 'cancelled').length;
	const pending = views.length - completed - failed;
	const single = views.length === 1 ? views[0] : undefined;

	let message: string;
	if (pending > 0) {
		message = `Still running: ${completed} of ${views.length} finished after ${waitSeconds} s. This is normal for slow models; call wait_for_completion again with the same job id(s).`;
	} else if (failed > 0) {
		message = `${failed} of ${views.length} job(s) did not complete; see error in results.`;
	} else {
		message =
			views.length === 1
				? 'Image ready. Show it to the user with the markdown line.'
				: `All ${views.length} images ready. Show them with their markdown lines.`;
	}

	const structured: z.infer<typeof waitOutputSchema> = {
		success: failed === 0,
		done: pending === 0,
		still_running: pending > 0,
		message,
		count: views.length,
		completed,
		failed,
		pending,
		waited_ms: Date.now() - started,
		job_ids: [...jobIds],
		results: views,
	};
	// A batch shares one model, so one reason speaks for every job.
	if (views[0]?.model_choice) structured.model_choice = views[0].model_choice;
	if (single) {
		structured.job_id = single.job_id;
		structured.status = single.status;
		structured.prompt = single.prompt;
		structured.model = single.model;
		if (single.image_url) structured.image_url = single.image_url;
		if (single.markdown) structured.markdown = single.markdown;
		if (single.error) structured.error = single.error;
	}
	const previews = await loadPreviews(
		context,
		views.flatMap((view) => view.images.map((image) => ({ job_id: view.job_id, index: image.index }))),
		options.preview,
	);
	return toolResult(structured, {
		images: views.flatMap((view) => view.images),
		previews,
		prompt: views[0]?.prompt,
		isError: pending === 0 && failed > 0,
	});
}

/**
 * Log messages for what changed in the jobs since the last poll: queued, started (and retried),
 * finished. Sent only to clients that set a logging level (src/mcp/logging.ts).
 */
function jobLogger(context: ToolContext): (rows: readonly JobRow[]) => Promise<void> {
	const seen = new Map<string, { status: string; attempts: number }>();
	return async (rows) => {
		for (const job of rows) {
			const before = seen.get(job.id);
			if (before && before.status === job.status && before.attempts === job.attempts) continue;
			seen.set(job.id, { status: job.status, attempts: job.attempts });
			const about = { job_id: job.id, status: job.status, model: job.model, attempt: job.attempts };
			if (job.status === 'pending') {
				const retrying = job.attempts > 0 && job.error;
				await context.log(retrying ? 'warning' : 'debug', {
					message: retrying
						? `Job ${job.id}: attempt ${job.attempts} failed (${job.error}); it will be retried.`
						: `Job ${job.id} is queued for ${job.model}.`,
					...about,
				});
			} else if (job.status === 'processing') {
				await context.log('info', {
					message: `Job ${job.id} is running on ${job.model} (attempt ${job.attempts}).`,
					...about,
				});
			} else if (job.status === 'completed') {
				const seconds = ((job.completedAt ?? job.updatedAt) - job.createdAt) / 1000;
				await context.log('info', { message: `Job ${job.id} completed in ${seconds.toFixed(1)} s.`, ...about });
			} else if (job.status === 'failed') {
				await context.log('error', { message: `Job ${job.id} failed: ${job.error ?? 'no reason given'}`, ...about });
			} else {
				await context.log('notice', { message: `Job ${job.id} was cancelled.`, ...about });
			}
		}
	};
}
