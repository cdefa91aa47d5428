/** generate_image (returns at once with job ids) and generate_image_and_wait (one call to a URL). */
import { z } from 'zod';
import type { JobRow } from '../db/schema';
import { resolveGeneration } from '../generation/select';
import { createJobs, randomSeed } from '../jobs/create';
import { checkOwnImages } from '../jobs/references';
import { type JobParams, parseJobParams } from '../jobs/types';
import { estimateImageCost, findModel, isStandIn } from '../providers/catalog';
import { ok, type Result } from '../result';
import { confirmSpend } from './confirm';
import { defineTool, type ToolContext, type ToolFailure, toolError, toolResult } from './context';
import { type GenerateInput, generateInputSchema } from './generate.schema';
import { combineWithBrief, prepareGeneration } from './generation-plan';
import { jobViewSchema } from './job-view';
import { autoBudget, budgetRefusal, principalBudgets, rateLimitApplies, rateLimitRefusal } from './limits';
import { previewArgumentSchema } from './previews';
import { timeoutSecondsSchema, waitAndPresent, waitOutputSchema } from './wait';

export const generateOutputSchema = z.object({
	success: z.boolean(),
	job_id: z.string().describe('The first (or only) job; pass it to wait_for_completion.'),
	job_ids: z.array(z.string()).describe('Every job created, one per image.'),
	count: z.number().int(),
	status: z.string().describe('Status of the first job: pending right after creation.'),
	reused: z.boolean().describe('True when idempotency_key matched earlier jobs, which are returned instead.'),
	model: z.string(),
	prompt: z.string(),
	width: z.number().int(),
	height: z.number().int(),
	steps: z.number().int().nullable().describe('Null for models without a steps parameter.'),
	seed: z
		.number()
		.int()
		.nullable()
		.describe('Seed of the first image; image i uses seed + i. Null for models that take no seed.'),
	model_choice: z.string().optional().describe('With model "auto": which model was picked and why.'),
	style: z.string().optional().describe('The library style applied; `prompt` is then the prompt sent, with its brief.'),
	prompt_given: z.string().optional().describe('With a style: the prompt as you wrote it.'),
	parent_job_id: z.string().optional().describe('For a variation: the job it was made from.'),
	estimated_cost_usd: z.number().describe('Estimated cost of all images together.'),
	estimated_time_seconds: z.number().describe("The model's typical time per image."),
	message: z.string(),
	// In an MCP task's result (tasks/result) only, once the jobs have finished:
	done: z.boolean().optional().describe("In an MCP task's result only: true, every job has finished."),
	image_url: z.string().optional().describe("In an MCP task's result only: the first image's URL."),
	markdown: z.string().optional().describe("In an MCP task's result only: the first image's markdown line."),
	error: z.string().optional().describe("In an MCP task's result only: why a job failed."),
	results: z
		.array(jobViewSchema)
		.optional()
		.describe("In an MCP task's result only: every job, as get_job_status shows it."),
});

type GenerateOutput = z.infer<typeof generateOutputSchema>;

/** What starting a generation gives: the jobs made (or reused), or the refusal to show. */
export type Started = Result<{ jobs: JobRow[]; reused: boolean }, ToolFailure>;

/** What else a generation records: the earlier job a variation comes from. */
export interface StartOptions {
	parentJobId?: string;
	/** The arguments a quote's token must match, when they are not `input` (generate_variations' own). */
	confirmArgs?: Record<string, unknown>;
}

/**
 * Applies the caller's preferences and style (src/tools/generation-plan.ts), validates against
 * the model, asks for confirmation above the threshold, creates the jobs and enqueues them.
 */
export async function startGeneration(
	input: GenerateInput,
	context: ToolContext,
	tool: string,
	options: StartOptions = {},
): Promise<Started> {
	const prepared = await prepareGeneration(input, context);
	if (!prepared.ok) return prepared;
	if ('reused' in prepared.value) return ok({ jobs: prepared.value.reused, reused: true });
	const { plan } = prepared.value;
	const resolution = resolveGeneration(
		plan.input,
		context.env,
		context.config.defaultModel,
		context.urls,
		await autoBudget(plan.input.model, context),
	);
	if (!resolution.ok) return toolError(resolution.error);
	const { entry, ownImages } = resolution.value;
	const params: JobParams = {
		...resolution.value.params,
		...(plan.style ? { style_name: plan.style.name, prompt_given: plan.promptGiven } : {}),
		...(options.parentJobId ? { parent_job_id: options.parentJobId } : {}),
	};
	const prompt = plan.style ? combineWithBrief(plan.input.prompt, plan.style.brief, entry.alias) : plan.input.prompt;
	const missing = await checkOwnImages(context.db, context.principal.id, ownImages);
	if (missing) return toolError(missing);
	const perImageUsd = estimateImageCost(entry, context.env, params);
	const confirmed = await confirmSpend(
		context,
		options.confirmArgs ?? (input as Record<string, unknown>),
		{ model: entry.alias, count: input.count, estimatedCostUsd: Math.round(perImageUsd * input.count * 1e6) / 1e6 },
		plan.preferences,
	);
	if (!confirmed.ok) return confirmed;
	const { principal } = context;
	const created = await createJobs(context.db, context.env.JOBS, {
		owner: principal.id,
		model: entry.alias,
		prompt,
		params,
		seed: entry.capabilities.seed === 'none' ? null : (plan.input.seed ?? randomSeed()),
		count: input.count,
		estimatedCostPerImageUsd: perImageUsd,
		idempotencyKey: input.idempotency_key,
		idempotencyKeyChecked: true,
		tool,
		budgets: principalBudgets(context),
		// A missing binding (a deployment from before it existed) is not limited; the type says it is always there.
		rateLimit: rateLimitApplies(principal)
			? { limiter: context.env.JOB_RATE_LIMITER as RateLimit | undefined }
			: undefined,
	});
	if (created.ok) return created;
	const refusal = created.error;
	switch (refusal.reason) {
		case 'rate_limited':
			return rateLimitRefusal(refusal.refusal);
		case 'budget_exceeded':
			return budgetRefusal(refusal.refusal);
		case 'queue_unavailable':
			return toolError(
				`The job queue is unavailable, so nothing was started (job ${refusal.jobs[0]?.id ?? '?'} is marked failed). Try again in a moment.`,
				undefined,
				'unavailable',
			);
	}
}

function jobsOf(started: Started): Result<JobRow[], ToolFailure> {
	return started.ok ? ok(started.value.jobs) : started;
}

/** generate_image's answer about the jobs of one call, from their rows (at creation, or as they are now for a task's result). */
export function describeGeneration(rows: readonly JobRow[], reused: boolean, context: ToolContext): GenerateOutput {
	const first = rows[0]!;
	const params = parseJobParams(first);
	const jobIds = rows.map((job) => job.id);
	const entry = findModel(context.env, first.model);
	const costUsd = rows.reduce((sum, job) => sum + job.estimatedCostUsd, 0);
	return {
		success: true,
		job_id: first.id,
		job_ids: jobIds,
		count: jobIds.length,
		status: first.status,
		reused,
		model: first.model,
		prompt: first.prompt,
		width: params.width,
		height: params.height,
		steps: params.steps ?? null,
		seed: first.seed,
		...(params.auto_reason ? { model_choice: params.auto_reason } : {}),
		...(params.style_name ? { style: params.style_name, prompt_given: params.prompt_given } : {}),
		...(params.parent_job_id ? { parent_job_id: params.parent_job_id } : {}),
		estimated_cost_usd: Math.round(costUsd * 1e6) / 1e6,
		estimated_time_seconds: Math.ceil((entry?.typicalLatencyMs ?? 0) / 1000),
		message:
			(jobIds.length === 1
				? `Job queued. Call wait_for_completion with job_id "${first.id}" to get the image.`
				: `${jobIds.length} jobs queued. Call wait_for_completion with job_ids to get the images.`) +
			(params.auto_reason ? ` ${params.auto_reason[0]?.toUpperCase()}${params.auto_reason.slice(1)}` : '') +
			(entry && isStandIn(entry, context.env)
				? ` Local run: ${entry.alias} is drawn by the offline test pattern, since Workers AI is not reachable locally.`
				: ''),
	};
}

export const generateImageTool = defineTool({
	name: 'generate_image',
	title: 'Generate image (returns a job id at once)',
	description:
		'Start generating image(s) from a text prompt and return immediately with job_id (and job_ids when count > 1). ' +
		'The image is not ready yet: call wait_for_completion with the job id, or use generate_image_and_wait to do both in one call. ' +
		'Use list_models to see models, sizes and costs.',
	input: generateInputSchema,
	output: generateOutputSchema,
	annotations: {
		title: 'Generate image',
		readOnlyHint: false,
		destructiveHint: false,
		idempotentHint: false,
		openWorldHint: true,
	},
	handler: async (args, context) => {
		const started = await startGeneration(args, context, 'generate_image');
		if (!started.ok) return started;
		return toolResult(describeGeneration(started.value.jobs, started.value.reused, context));
	},
	startTask: async (args, context) => jobsOf(await startGeneration(args, context, 'generate_image')),
});

const generateAndWaitInputSchema = generateInputSchema.extend({
	timeout_seconds: timeoutSecondsSchema,
	preview: previewArgumentSchema,
});

export const generateImageAndWaitTool = defineTool({
	name: 'generate_image_and_wait',
	title: 'Generate image and wait for it',
	description:
		'The easiest way to make an image: generate from a prompt and wait until it is ready, in one call. ' +
		'Returns the HTTPS image URL and a ready markdown image line to show the user. ' +
		'If the model is slow and the wait ends first, the result says still_running: call wait_for_completion with the job_id.',
	input: generateAndWaitInputSchema,
	output: waitOutputSchema,
	annotations: {
		title: 'Generate image and wait',
		readOnlyHint: false,
		destructiveHint: false,
		idempotentHint: false,
		openWorldHint: true,
	},
	handler: async ({ timeout_seconds, preview, ...args }, context) => {
		const started = await startGeneration(args, context, 'generate_image_and_wait');
		if (!started.ok) return started;
		return waitAndPresent(
			context,
			started.value.jobs.map((job) => job.id),
			timeout_seconds,
			{ preview },
		);
	},
	// As a task there is no wait to time out: tasks/result answers once the images are ready, with
	// previews as the deployment's PREVIEWS says (a task keeps no arguments beyond its jobs).
	startTask: async ({ timeout_seconds: _ignored, preview: _unkept, ...args }, context) =>
		jobsOf(await startGeneration(args, context, 'generate_image_and_wait')),
});
