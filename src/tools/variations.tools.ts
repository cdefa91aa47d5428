/**
 * generate_variations (issue 21): new jobs from an earlier job of yours, the same request with
 * fresh seeds, or with the overrides given (any generate_image argument). Each new job records
 * its parent, so status, metadata and listings show the lineage.
 */
import { z } from 'zod';
import type { JobRow } from '../db/schema';
import { readOwnedJobs } from '../jobs/queries';
import { parseJobParams } from '../jobs/types';
import { defineTool, notFoundError, type ToolContext, toolError, toolResult } from './context';
import { type GenerateInput, generateInputSchema } from './generate.schema';
import { describeGeneration, generateOutputSchema, startGeneration } from './generate.tools';
import { isProviderStyle } from './generation-plan';
import { referenceText } from './job-view';
import { jobIdSchema } from './jobs.tools';

/** Most variations one call makes. */
export const MAX_VARIATIONS = 8;

const overridesSchema = generateInputSchema
	.omit({ count: true, idempotency_key: true, confirmation: true })
	.partial()
	.describe('Any generate_image argument to change (prompt, model, size, style, …); the rest is the parent’s.');

/** The parent's request as generate_image arguments: what it was sent, at its size, with its options. */
function requestOf(job: JobRow): Omit<GenerateInput, 'count'> {
	const params = parseJobParams(job);
	const sized = params.aspect_ratio
		? { aspect_ratio: params.aspect_ratio as GenerateInput['aspect_ratio'] }
		: { width: params.width, height: params.height };
	const options = {
		steps: params.steps,
		negative_prompt: params.negative_prompt,
		guidance: params.guidance,
		quality: params.quality,
		style: isProviderStyle(params.style) ? params.style : undefined,
		background: params.background,
		output_format: params.output_format,
		sampler: params.sampler,
		strength: params.strength,
		image_size: params.image_size,
		reference_images: params.reference_images?.map(referenceText),
		mask_image: params.mask ? referenceText(params.mask) : undefined,
	};
	const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
	// The prompt it was sent: a library style's brief is already in it.
	return { prompt: job.prompt, model: job.model, ...sized, ...defined } as Omit<GenerateInput, 'count'>;
}

function merged(parent: Omit<GenerateInput, 'count'>, overrides: Partial<GenerateInput>, count: number): GenerateInput {
	const base: Partial<GenerateInput> = { ...parent };
	// A new size replaces the old one, whichever way each is given.
	if (overrides.aspect_ratio !== undefined || overrides.width !== undefined || overrides.height !== undefined) {
		delete base.aspect_ratio;
		delete base.width;
		delete base.height;
	}
	// A new model may not take the parent's options: only what is asked for again is kept.
	if (overrides.model !== undefined && overrides.model !== parent.model) {
		for (const key of [
			'steps',
			'guidance',
			'quality',
			'style',
			'background',
			'output_format',
			'sampler',
			'strength',
			'image_size',
		] as const) {
			delete base[key];
		}
	}
	return { ...base, ...overrides, count } as GenerateInput;
}

/** generate_variations' arguments but the job: the body of POST /api/v1/jobs/{job_id}/variations. */
export const variationsBodySchema = z.strictObject({
	count: z
		.number()
		.int()
		.min(1)
		.max(MAX_VARIATIONS)
		.default(1)
		.describe(`How many variations, 1–${MAX_VARIATIONS} (default 1).`),
	overrides: overridesSchema.optional(),
	idempotency_key: generateInputSchema.shape.idempotency_key,
	confirmation: generateInputSchema.shape.confirmation,
});

export const generateVariationsTool = defineTool({
	name: 'generate_variations',
	title: 'Generate variations of an image',
	description:
		`Make 1–${MAX_VARIATIONS} new images from an earlier job of yours: the same prompt, model, size and options with fresh seeds ("more like this", "regenerate"), ` +
		'or with overrides (any generate_image argument, e.g. a new prompt or aspect ratio). Returns the new job ids at once, like generate_image; each records its parent job.',
	input: variationsBodySchema.extend({ job_id: jobIdSchema }),
	output: generateOutputSchema,
	annotations: {
		title: 'Generate variations',
		readOnlyHint: false,
		destructiveHint: false,
		idempotentHint: false,
		openWorldHint: true,
	},
	handler: async (args, context: ToolContext) => {
		const [parent] = await readOwnedJobs(context.db, context.principal.id, [args.job_id]);
		if (!parent) {
			return notFoundError(`job_id: no job "${args.job_id}" found for you. Use list_jobs to see your jobs.`);
		}
		const input = merged(requestOf(parent), args.overrides ?? {}, args.count);
		const request = generateInputSchema.safeParse({
			...input,
			...(args.idempotency_key ? { idempotency_key: args.idempotency_key } : {}),
			...(args.confirmation ? { confirmation: args.confirmation } : {}),
		});
		if (!request.success) {
			return toolError(
				`overrides: the parent's request cannot be repeated as it is (${request.error.issues[0]?.message}).`,
			);
		}
		const started = await startGeneration(request.data, context, 'generate_variations', {
			parentJobId: parent.id,
			confirmArgs: args,
		});
		if (!started.ok) return started;
		return toolResult(describeGeneration(started.value.jobs, started.value.reused, context));
	},
});
