/**
 * MCP prompts (2025-11-25 server/prompts): a prompt-writing guide per model family
 * (prompt-guides.ts) and iterate_on_image, which turns one of the caller's finished jobs and
 * a change request into instructions with the image attached. Built per request from the
 * catalog and D1; nothing is kept between requests.
 *
 * Misuse is a JSON-RPC error -32602 whose message names the argument and what is allowed: an
 * unknown prompt, a missing or bad argument, a job that is not the caller's (worded exactly as
 * an unknown one) or has no image yet.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { GetPromptResult, Prompt, PromptArgument, PromptMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type ImageRow, type JobRow, PUBLISHED_STYLE_OWNER } from '../db/schema';
import { MAX_PROMPT_CHARS } from '../generation/request';
import { readImagesOfJobs, readOwnedJobs } from '../jobs/queries';
import { findStyle } from '../jobs/styles';
import { type JobParams, parseJobParams, type ReferenceSpec } from '../jobs/types';
import { configuredModels, findModel, type ModelEntry } from '../providers/catalog';
import { imageUri, imageUriOfKey } from '../storage/images';
import { clip } from '../text';
import type { RequestScope } from '../tools/context';
import { presentImage, removalMessage } from '../tools/job-view';
import {
	configuredFamilyModels,
	familyOfModel,
	MODEL_FAMILIES,
	type ModelFamily,
	renderGuide,
} from '../tools/prompt-guides';
import { CONTROL_CHARACTERS, formatValidationError } from '../tools/validation';
import { invalidParams, lenientRequestSchema, withInternalErrorsHidden } from './protocol';

export const ITERATE_PROMPT = 'iterate_on_image';
export const APPLY_STYLE_PROMPT = 'apply_style';

/** A text argument: trimmed, not empty, no control characters. */
function textArgument(max: number) {
	return z
		.string({ error: (issue) => (issue.input === undefined ? 'is required' : undefined) })
		.trim()
		.min(1, 'must not be empty')
		.max(max, `is longer than ${max} characters`)
		.refine((text) => !CONTROL_CHARACTERS.test(text), 'contains control characters');
}

const guideArguments = z.strictObject({
	subject: textArgument(MAX_PROMPT_CHARS)
		.optional()
		.describe(
			'What the user wants an image of, in their words (optional). When given, the guide ends by asking you to write the prompt for it.',
		),
	model: textArgument(200)
		.optional()
		.describe("One of this family's models configured here, to tailor the example to it (optional)."),
});

const iterateArguments = z.strictObject({
	job_id: textArgument(100).describe(
		'The id of your completed job whose image to change (from generate_image, list_jobs or list_generations).',
	),
	change: textArgument(2000).describe(
		'The change the user wants, in their words, e.g. "make it night" or "remove the hat".',
	),
});

type PromptArguments = Record<string, string | undefined>;

interface PromptDefinition {
	name: string;
	title: string;
	description: (scope: RequestScope) => string;
	args: z.ZodObject;
	/** Argument descriptions that depend on the deployment (the configured models), by argument name. */
	argumentDescriptions?: (scope: RequestScope) => Record<string, string>;
	get: (args: PromptArguments, scope: RequestScope) => Promise<GetPromptResult>;
}

function aliasesOf(entries: readonly ModelEntry[]): string {
	return entries.map((entry) => entry.alias).join(', ');
}

/** The configured family model `name` names, or a -32602 error saying which are allowed. */
function resolveGuideModel(scope: RequestScope, family: ModelFamily, name: string): ModelEntry {
	const configured = configuredFamilyModels(scope.env, family);
	const found = findModel(scope.env, name);
	if (found && configured.includes(found)) return found;
	const other = found ? familyOfModel(found.alias) : undefined;
	const elsewhere = other && other !== family ? ` (${found?.alias} is covered by ${other.prompt})` : '';
	const allowed = configured.length
		? `Allowed: ${aliasesOf(configured)}, or omit model.`
		: `No ${family.label} model is configured in this deployment, so omit model.`;
	throw invalidParams(
		`Invalid arguments for prompt ${family.prompt}: model: "${clip(name)}" is not a ${family.label} model configured here${elsewhere}. ${allowed}`,
	);
}

function guidePrompt(family: ModelFamily): PromptDefinition {
	return {
		name: family.prompt,
		title: family.title,
		description: (scope) =>
			`How to write prompts for ${family.label} models with this server's generate_image_and_wait: wording, negative prompts, text, seeds, sizes and options, with an example call. ` +
			`Configured here: ${aliasesOf(configuredFamilyModels(scope.env, family)) || 'none'}.`,
		args: guideArguments,
		argumentDescriptions: (scope) => {
			const configured = aliasesOf(configuredFamilyModels(scope.env, family));
			return {
				model: configured
					? `Which ${family.label} model to tailor the example to: ${configured}. Optional; omit to let the guide pick.`
					: `No ${family.label} model is configured here, so leave this out.`,
			};
		},
		get: async ({ subject, model }, scope) => {
			const entry = model === undefined ? undefined : resolveGuideModel(scope, family, model);
			const configured = configuredFamilyModels(scope.env, family);
			return {
				description: `${family.title} for ${configured.length ? aliasesOf(configured) : `this deployment (no ${family.label} model configured)`}`,
				messages: [
					{ role: 'user', content: { type: 'text', text: renderGuide(scope, family, { model: entry, subject }) } },
				],
			};
		},
	};
}

/** What to do with a job that has no image yet, or never will. */
function notCompletedMessage(job: JobRow): string {
	const subject = `job_id: job "${job.id}"`;
	switch (job.status) {
		case 'pending':
		case 'processing':
			return `${subject} is still ${job.status}, so it has no image to change yet. Call wait_for_completion with this job_id, then use ${ITERATE_PROMPT} again once it is completed.`;
		case 'failed':
			return `${subject} failed${job.error ? ` (${clip(job.error, 200)})` : ''}, so it has no image to change. Choose a completed job (list_jobs with status "completed"), or make a new image with generate_image_and_wait.`;
		default:
			return `${subject} was cancelled, so it has no image to change. Choose a completed job (list_jobs with status "completed"), or make a new image with generate_image_and_wait.`;
	}
}

/** A stored reference as the caller would write it again. */
function referenceText(spec: ReferenceSpec): string {
	return spec.kind === 'image' ? imageUriOfKey(spec.r2_key) : spec.url;
}

const REVISED_PROMPT_PLACEHOLDER = '<the revised prompt>';

/** Settings copied as they were: they passed validation for this model when the job was made. */
const KEPT_SETTINGS = [
	'steps',
	'guidance',
	'negative_prompt',
	'quality',
	'style',
	'background',
	'output_format',
	'sampler',
] as const;

/** generate_image_and_wait arguments that repeat the job, with its image as the reference where the model takes one. */
function nextArguments(
	job: JobRow,
	params: JobParams,
	entry: ModelEntry | undefined,
	image: ImageRow | undefined,
): Record<string, unknown> {
	const caps = entry?.capabilities;
	const args: Record<string, unknown> = { prompt: REVISED_PROMPT_PLACEHOLDER, model: job.model };
	if (params.aspect_ratio) args.aspect_ratio = params.aspect_ratio;
	else if (caps?.size.kind === 'range' || caps?.size.kind === 'list') {
		args.width = params.width;
		args.height = params.height;
	}
	if (params.image_size) args.image_size = params.image_size;
	if (job.seed !== null) args.seed = job.seed;
	for (const key of KEPT_SETTINGS) if (params[key] !== undefined) args[key] = params[key];
	if (image && caps && caps.maxReferenceImages > 0) {
		args.reference_images = [imageUri(job.id, image.idx)];
		if (caps.strength && params.strength !== undefined) args.strength = params.strength;
		if (caps.mask && params.mask) args.mask_image = referenceText(params.mask);
	}
	return args;
}

function originalSettings(job: JobRow, params: JobParams, entry: ModelEntry | undefined, image: ImageRow | undefined) {
	const lines = [`- prompt: "${job.prompt}"`];
	if (image?.revisedPrompt)
		lines.push(`- prompt the model actually drew (it rewrites prompts): "${image.revisedPrompt}"`);
	lines.push(`- model: ${job.model}${entry ? ` (${entry.label})` : ''}`);
	if (params.auto_reason) lines.push(`- model choice: ${params.auto_reason}`);
	const size = [`${image?.width ?? params.width}×${image?.height ?? params.height}`];
	if (params.aspect_ratio) size.push(`aspect_ratio ${params.aspect_ratio}`);
	if (params.image_size) size.push(`image_size ${params.image_size}`);
	lines.push(`- size: ${size.join(', ')}`);
	if (job.seed === null) lines.push(`- seed: none (${job.model} takes no seed)`);
	else {
		const kind = entry?.capabilities.seed === 'best_effort' ? 'best effort: similar, not identical' : 'exact';
		lines.push(`- seed: ${job.seed} (${kind})`);
	}
	for (const key of KEPT_SETTINGS)
		if (params[key] !== undefined) lines.push(`- ${key}: ${JSON.stringify(params[key])}`);
	if (params.strength !== undefined) lines.push(`- strength: ${params.strength}`);
	const references = params.reference_images?.length ?? 0;
	if (references) {
		lines.push(
			`- made from ${references} reference image${references > 1 ? 's' : ''}: ${params.reference_images?.map(referenceText).join(', ')}`,
		);
	}
	if (params.mask) lines.push(`- mask_image: ${referenceText(params.mask)}`);
	return lines;
}

/** Step 3 of the instructions: how the image itself is used. */
function referenceStep(
	scope: RequestScope,
	job: JobRow,
	entry: ModelEntry | undefined,
	image: ImageRow | undefined,
	removed: ImageRow | undefined,
): string {
	if (!image) {
		const why = (removed && removalMessage(removed)) ?? 'The job has no stored image.';
		return `The image itself is gone: ${why} It cannot be a reference, so the new image is drawn from the revised prompt${job.seed === null ? '' : ' and the same seed'}; tell the user so.`;
	}
	const caps = entry?.capabilities;
	const uri = imageUri(job.id, image.idx);
	if (caps && caps.maxReferenceImages > 0) {
		const strength = caps.strength
			? ' strength (0 keeps the reference, 1 ignores it) sets how far the new image may move from it.'
			: '';
		return `Use the image as a reference: reference_images ["${uri}"] is in the arguments below, so ${job.model} works from the image itself.${strength} Say in the prompt what to keep from it.`;
	}
	// Not the offline test pattern, which accepts reference images and ignores them.
	const editors = configuredModels(scope.env).filter(
		({ capabilities, notAi }) => capabilities.maxReferenceImages > 0 && capabilities.mask !== 'required' && !notAi,
	);
	return (
		`${job.model} does not take reference images, so the new image is drawn from the revised prompt alone${job.seed === null ? '' : '; keeping the seed keeps it close to the original'}. ` +
		(editors.length
			? `If the change must keep this exact image (an edit rather than a variation), a model that takes reference images can work from "${uri}": ${aliasesOf(editors)}. Ask the user before switching models.`
			: 'No model configured here takes reference images.')
	);
}

async function iterateOnImage(args: PromptArguments, scope: RequestScope): Promise<GetPromptResult> {
	const jobId = args.job_id as string;
	const change = args.change as string;
	const [job] = await readOwnedJobs(scope.db, scope.principal.id, [jobId]);
	// Another user's job reads exactly like an unknown one (src/jobs/queries.ts).
	if (!job) {
		throw invalidParams(
			`job_id: no job "${jobId}" found for you. Use list_jobs or list_generations to see your job ids.`,
		);
	}
	if (job.status !== 'completed') throw invalidParams(notCompletedMessage(job));

	const rows = (await readImagesOfJobs(scope.db, [job.id])).get(job.id) ?? [];
	const live = rows.filter((row) => row.removedAt === null);
	const image = live[0];
	const removed = rows.find((row) => row.removedAt !== null);
	const params = parseJobParams(job);
	const entry = findModel(scope.env, job.model);
	const configured = entry !== undefined && configuredModels(scope.env).includes(entry);
	const view = image ? presentImage(image, job.prompt, scope.urls) : undefined;

	const original = originalSettings(job, params, entry, image);
	if (view && image) original.push(`- image: ${view.url} (attached as ${imageUri(job.id, image.idx)})`);
	const keep = job.seed === null ? 'model, size' : 'model, size, seed';
	const steps = [
		'Revise the original prompt minimally to apply the change: keep its wording, subject, style and composition, and change or add only what the request asks for.',
		`Keep the ${keep} and other settings as they were unless the change asks otherwise (for example, "make it wide" changes the size, "something different" drops the seed).` +
			(configured
				? ''
				: ` ${job.model} is not available in this deployment any more: pick one of ${aliasesOf(configuredModels(scope.env))} (list_models) and adjust the arguments to it.`),
		referenceStep(scope, job, entry, image, removed),
		[
			'Call generate_image_and_wait with the revised prompt in place of the placeholder and these arguments:',
			'',
			'```json',
			JSON.stringify(nextArguments(job, params, entry, image), null, 2),
			'```',
		].join('\n'),
		"Show the user the new image's markdown line and say in one sentence what you changed in the prompt.",
	];
	const text = [
		'Change an image made earlier on this server.',
		'',
		`## The original image (job ${job.id})`,
		'',
		...original,
		'',
		'## The change requested',
		'',
		change,
		'',
		'## What to do',
		'',
		...steps.map((step, index) => `${index + 1}. ${step}`),
	].join('\n');

	const messages: PromptMessage[] = [{ role: 'user', content: { type: 'text', text } }];
	for (const row of live) {
		const url = presentImage(row, job.prompt, scope.urls).url;
		messages.push({
			role: 'user',
			content: {
				type: 'resource_link',
				uri: imageUri(job.id, row.idx),
				name: url.split('/').slice(-2).join('-'),
				title: job.prompt.slice(0, 100),
				description: `The image to change: job ${job.id}, index ${row.idx}, ${row.width}×${row.height}, also at ${url}.`,
				mimeType: row.contentType,
				size: row.bytes,
			},
		});
	}
	return { description: `Change the image of job ${job.id}: ${clip(change)}`, messages };
}

const iteratePrompt: PromptDefinition = {
	name: ITERATE_PROMPT,
	title: 'Iterate on an image',
	description: () =>
		'Change an image you made earlier: gives the original prompt, model, size, seed and settings, the image itself (as a reference where the model takes one), and instructions to revise the prompt minimally and call generate_image_and_wait.',
	args: iterateArguments,
	get: iterateOnImage,
};

const applyStyleArguments = z.strictObject({
	style: textArgument(64).describe('The name of a style you can use (list_styles, or style:// resources).'),
	subject: textArgument(MAX_PROMPT_CHARS).describe("What the image should show, in the user's words."),
});

/** apply_style: a style's brief and defaults, and how to call generate with it for the subject. */
async function applyStyle(args: PromptArguments, scope: RequestScope): Promise<GetPromptResult> {
	const name = args.style!;
	const subject = args.subject!;
	const style = await findStyle(scope.db, scope.principal.id, name);
	if (!style) {
		throw invalidParams(
			`Invalid arguments for prompt ${APPLY_STYLE_PROMPT}: style: no style "${clip(name, 64)}" for you. list_styles shows the styles you can use.`,
		);
	}
	const defaults = Object.entries(style.defaults as Record<string, unknown>)
		.map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
		.join(', ');
	const text = [
		`Make an image of: ${subject}`,
		'',
		`in the style "${style.name}"${style.owner === PUBLISHED_STYLE_OWNER ? ' (published for everyone)' : ''}. Its brief:`,
		'',
		style.brief,
		'',
		defaults ? `Its defaults (used for what the call leaves out): ${defaults}.` : 'It sets no defaults.',
		'',
		`Write a prompt for the subject alone: the server adds the brief itself. Then call generate_image_and_wait with prompt set to it and style: "${style.name}"; leave out what the style's defaults cover unless the user asked for something else. Show the user the image, and say which style was applied.`,
	].join('\n');
	return {
		description: `Make "${clip(subject, 80)}" in the style ${style.name}`,
		messages: [
			{ role: 'user', content: { type: 'text', text } },
			{
				role: 'user',
				content: {
					type: 'resource_link',
					uri: `style://${style.name}`,
					name: style.name,
					title: `Style ${style.name}`,
					mimeType: 'text/markdown',
				},
			},
		],
	};
}

const applyStylePrompt: PromptDefinition = {
	name: APPLY_STYLE_PROMPT,
	title: 'Apply a style',
	description: () =>
		"Make an image of a subject in one of your saved styles (or a published one): gives the style's brief and defaults, and how to call generate_image_and_wait with it.",
	args: applyStyleArguments,
	get: applyStyle,
};

/** Every prompt, in the order prompts/list shows them. */
export const PROMPTS: readonly PromptDefinition[] = [
	...MODEL_FAMILIES.map(guidePrompt),
	iteratePrompt,
	applyStylePrompt,
];

function describePrompt(prompt: PromptDefinition, scope: RequestScope): Prompt {
	const dynamic = prompt.argumentDescriptions?.(scope) ?? {};
	const argumentsList: PromptArgument[] = Object.entries(prompt.args.shape).map(([name, schema]) => ({
		name,
		description: dynamic[name] ?? (schema as z.ZodType).description,
		required: !(schema instanceof z.ZodOptional),
	}));
	return { name: prompt.name, title: prompt.title, description: prompt.description(scope), arguments: argumentsList };
}

const getParamsSchema = z.object({
	name: z.string({ error: 'params.name must be the prompt name, a string' }),
	arguments: z
		.record(z.string(), z.unknown(), { error: 'params.arguments must be an object of named string arguments' })
		.optional(),
});

/** Checks the arguments against the prompt's schema; an optional argument sent empty (as form-based clients do) counts as absent. */
function parsePromptArguments(prompt: PromptDefinition, raw: Record<string, unknown> | undefined): PromptArguments {
	const input: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(raw ?? {})) {
		const field = prompt.args.shape[name];
		if (field instanceof z.ZodOptional && typeof value === 'string' && value.trim() === '') continue;
		input[name] = value;
	}
	const parsed = prompt.args.safeParse(input);
	if (!parsed.success) throw invalidParams(formatValidationError(`prompt ${prompt.name}`, prompt.args, parsed.error));
	return parsed.data as PromptArguments;
}

/** prompts/list and prompts/get on `server`, for the caller and deployment in `scope`. */
export function registerPrompts(server: Server, scope: RequestScope): void {
	server.setRequestHandler(lenientRequestSchema('prompts/list'), async () => ({
		prompts: PROMPTS.map((prompt) => describePrompt(prompt, scope)),
	}));
	server.setRequestHandler(lenientRequestSchema('prompts/get'), async (request) =>
		withInternalErrorsHidden('prompts/get', async () => {
			const params = getParamsSchema.safeParse(request.params ?? {});
			if (!params.success) {
				throw invalidParams(`Invalid params for prompts/get: ${params.error.issues[0]?.message ?? 'bad params'}.`);
			}
			const prompt = PROMPTS.find((candidate) => candidate.name === params.data.name);
			if (!prompt) {
				throw invalidParams(
					`Unknown prompt "${clip(params.data.name, 100)}". Available prompts: ${PROMPTS.map((p) => p.name).join(', ')}.`,
				);
			}
			return prompt.get(parsePromptArguments(prompt, params.data.arguments), scope);
		}),
	);
}
