/**
 * Argument completion (MCP 2025-11-25 server/utilities/completion): `completion/complete` for
 * the prompts' arguments and the image resource templates' variables (the image, its view and
 * its metadata). Every value comes from this deployment's catalog, the caller's own jobs or the
 * view's allowed values; another user's job never appears.
 *
 * An unknown prompt, template or argument completes to nothing rather than failing: a client
 * asks as the user types, and an empty list is the honest answer (the conformance suite asks
 * about a prompt this server does not have and expects a values array).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CompleteResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { searchCompletedJobIds } from '../jobs/job-id-search';
import { readImagesOfJobs, readOwnedJobs } from '../jobs/queries';
import { listVisibleStyles } from '../jobs/styles';
import { IMAGE_METADATA_URI_TEMPLATE, IMAGE_URI_TEMPLATE, IMAGE_VIEW_URI_TEMPLATE } from '../storage/images';
import { FITS, OUTPUT_FORMATS } from '../storage/transform';
import type { RequestScope } from '../tools/context';
import { configuredFamilyModels, familyByPrompt } from '../tools/prompt-guides';
import { APPLY_STYLE_PROMPT, ITERATE_PROMPT } from './prompts';
import { invalidParams, lenientRequestSchema, withInternalErrorsHidden } from './protocol';
import { STYLE_URI_TEMPLATE } from './resources';

/** The spec's cap on values per answer. */
export const MAX_COMPLETION_VALUES = 100;

type Completion = CompleteResult['completion'];

const NOTHING: Completion = { values: [] };

const completeParamsSchema = z.object({
	ref: z.object({
		type: z.string({ error: 'must be "ref/prompt" or "ref/resource"' }),
		name: z.string().optional(),
		uri: z.string().optional(),
	}),
	argument: z.object({
		name: z.string({ error: 'must be the name of the argument being completed' }),
		value: z.string({ error: 'must be the text typed so far (a string, possibly empty)' }),
	}),
	context: z.object({ arguments: z.record(z.string(), z.string()).optional() }).optional(),
});

type CompleteParams = z.infer<typeof completeParamsSchema>;

/** One answer: `values` (at most 100), with `total` and `hasMore` saying how many match in all. */
function page(values: string[], total: number): Completion {
	return { values, total, hasMore: total > values.length };
}

/** The configured models of a guide's family whose name starts with what was typed. */
function modelCompletion(scope: RequestScope, promptName: string, typed: string): Completion {
	const family = familyByPrompt(promptName);
	if (!family) return NOTHING;
	const wanted = typed.trim().toLowerCase();
	const matches = configuredFamilyModels(scope.env, family)
		.map((entry) => entry.alias)
		.filter((alias) => alias.startsWith(wanted));
	return page(matches.slice(0, MAX_COMPLETION_VALUES), matches.length);
}

/** The caller's completed jobs whose id starts with what was typed, newest first. */
async function jobIdCompletion(scope: RequestScope, typed: string, withLiveImages: boolean): Promise<Completion> {
	const found = await searchCompletedJobIds(scope.db, scope.principal.id, typed, {
		limit: MAX_COMPLETION_VALUES,
		withLiveImages,
	});
	return page(found.ids, found.total);
}

/** The indices of the images a completed job of the caller still serves. */
async function imageIndexCompletion(
	scope: RequestScope,
	jobId: string | undefined,
	typed: string,
): Promise<Completion> {
	if (!jobId) return NOTHING;
	const [job] = await readOwnedJobs(scope.db, scope.principal.id, [jobId.trim()]);
	if (job?.status !== 'completed') return NOTHING;
	const rows = (await readImagesOfJobs(scope.db, [job.id])).get(job.id) ?? [];
	const indices = rows
		.filter((row) => row.removedAt === null)
		.map((row) => String(row.idx))
		.filter((index) => index.startsWith(typed.trim()));
	return page(indices.slice(0, MAX_COMPLETION_VALUES), indices.length);
}

/** The names of the styles the caller can use that start with what was typed. */
async function styleCompletion(scope: RequestScope, typed: string): Promise<Completion> {
	const wanted = typed.trim().toLowerCase();
	const names = (await listVisibleStyles(scope.db, scope.principal.id))
		.map((style) => style.name)
		.filter((name) => name.startsWith(wanted));
	return page(names.slice(0, MAX_COMPLETION_VALUES), names.length);
}

/** The templates whose `job_id` and `index` name one of the caller's images. */
const IMAGE_TEMPLATES: readonly string[] = [IMAGE_URI_TEMPLATE, IMAGE_VIEW_URI_TEMPLATE, IMAGE_METADATA_URI_TEMPLATE];

/** A view's fixed choices (fit, format) that start with what was typed. */
function choiceCompletion(choices: readonly string[], typed: string): Completion {
	const matches = choices.filter((choice) => choice.startsWith(typed.trim().toLowerCase()));
	return page(matches, matches.length);
}

async function complete(params: CompleteParams, scope: RequestScope): Promise<Completion> {
	const { ref, argument } = params;
	if (ref.type === 'ref/prompt' && ref.name !== undefined) {
		if (ref.name === ITERATE_PROMPT && argument.name === 'job_id') return jobIdCompletion(scope, argument.value, false);
		if (ref.name === APPLY_STYLE_PROMPT && argument.name === 'style') return styleCompletion(scope, argument.value);
		if (argument.name === 'model') return modelCompletion(scope, ref.name, argument.value);
	}
	if (ref.type === 'ref/resource' && ref.uri === STYLE_URI_TEMPLATE && argument.name === 'name') {
		return styleCompletion(scope, argument.value);
	}
	if (ref.type === 'ref/resource' && ref.uri !== undefined && IMAGE_TEMPLATES.includes(ref.uri)) {
		if (argument.name === 'job_id') return jobIdCompletion(scope, argument.value, true);
		if (argument.name === 'index') {
			return imageIndexCompletion(scope, params.context?.arguments?.job_id, argument.value);
		}
		if (ref.uri === IMAGE_VIEW_URI_TEMPLATE) {
			if (argument.name === 'fit') return choiceCompletion(FITS, argument.value);
			if (argument.name === 'format') return choiceCompletion(Object.keys(OUTPUT_FORMATS), argument.value);
		}
	}
	return NOTHING;
}

/** completion/complete on `server`, for the caller and deployment in `scope`. */
export function registerCompletions(server: Server, scope: RequestScope): void {
	server.setRequestHandler(lenientRequestSchema('completion/complete'), async (request) =>
		withInternalErrorsHidden('completion/complete', async () => {
			const params = completeParamsSchema.safeParse(request.params ?? {});
			if (!params.success) {
				const issue = params.error.issues[0];
				const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
				throw invalidParams(`Invalid params for completion/complete: ${field}${issue?.message ?? 'bad params'}.`);
			}
			return { completion: await complete(params.data, scope) };
		}),
	);
}
