/**
 * What a generate call becomes before it is resolved against a model (issue 21): the caller's
 * preferences and a library style fill what the call leaves out, in this order: the call, then
 * the style's defaults, then the caller's preferences, then the deployment's default. A style's
 * brief is combined with the prompt the way the model's family is best prompted. The same
 * statement that reads the preferences finds a job an idempotency key already made.
 */
import type { JobRow } from '../db/schema';
import { MAX_PROMPT_CHARS } from '../generation/request';
import { findExistingJobs } from '../jobs/create';
import { type Preferences, readCallerState } from '../jobs/preferences';
import { findStyle, type StyleRow } from '../jobs/styles';
import { defaultModel, findModel, type ModelEntry } from '../providers/catalog';
import { ok, type Result } from '../result';
import { type ToolContext, type ToolFailure, toolError } from './context';
import { type GenerateInput, PROVIDER_STYLE_VALUES } from './generate.schema';
import { familyOfModel } from './prompt-guides';

/** A call ready to resolve: the arguments after style and preferences, and what they came from. */
export interface GenerationPlan {
	input: GenerateInput;
	preferences: Preferences;
	/** The library style the call named, and its brief as plain text. */
	style?: { name: string; brief: string };
	/** The prompt as the call wrote it. */
	promptGiven: string;
}

export type Prepared = Result<{ reused: JobRow[] } | { plan: GenerationPlan }, ToolFailure>;

/** Whether `style` names a model's own style option (dall-e-3's vivid or natural), not a library style. */
export function isProviderStyle(style: string | undefined): boolean {
	return style !== undefined && (PROVIDER_STYLE_VALUES as readonly string[]).includes(style);
}

/** Markdown as one line of plain text: headings, bullets, emphasis and code marks dropped. */
export function plainBrief(markdown: string): string {
	return markdown
		.split('\n')
		.map((line) =>
			line
				.replace(/^\s{0,3}#{1,6}\s+/, '')
				.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '')
				.replace(/[*_`~]+/g, '')
				.trim(),
		)
		.filter(Boolean)
		.join('; ');
}

/**
 * The prompt sent: the caller's prompt with the brief, as the model's family is best prompted.
 * Stable Diffusion reads comma-separated descriptors, so the brief joins the prompt as more of
 * them; the sentence-reading families (FLUX, OpenAI, Gemini) get it as a sentence after the
 * subject. The brief is cut (at a word) so the whole stays within MAX_PROMPT_CHARS.
 */
export function combineWithBrief(prompt: string, brief: string, modelAlias: string): string {
	const tagged = familyOfModel(modelAlias)?.label === 'Stable Diffusion';
	const joiner = tagged ? ', ' : '\n\nStyle: ';
	const text = tagged ? brief.replaceAll('; ', ', ') : brief;
	const room = MAX_PROMPT_CHARS - prompt.length - joiner.length;
	if (room <= 0) return prompt;
	const kept =
		text.length <= room ? text : text.slice(0, text.lastIndexOf(' ', room) > 0 ? text.lastIndexOf(' ', room) : room);
	return `${prompt}${joiner}${kept}`;
}

/** The model the call will most likely use, to know which style defaults it takes. */
function likelyModel(input: GenerateInput, context: ToolContext): ModelEntry {
	const named = input.model && input.model !== 'auto' ? findModel(context.env, input.model) : undefined;
	return named ?? defaultModel(context.env, context.config.defaultModel);
}

function hasSize(input: GenerateInput): boolean {
	return input.width !== undefined || input.height !== undefined || input.aspect_ratio !== undefined;
}

/** Fills what the call leaves out from the style's defaults, each only where the model takes it. */
function withStyleDefaults(input: GenerateInput, style: StyleRow, context: ToolContext): GenerateInput {
	const defaults = style.defaults;
	const filled: GenerateInput = { ...input };
	if (filled.model === undefined && defaults.model) filled.model = defaults.model;
	if (!hasSize(filled)) {
		if (defaults.aspect_ratio) filled.aspect_ratio = defaults.aspect_ratio as GenerateInput['aspect_ratio'];
		else if (defaults.width && defaults.height) {
			filled.width = defaults.width;
			filled.height = defaults.height;
		}
	}
	const caps = likelyModel(filled, context).capabilities;
	if (filled.negative_prompt === undefined && defaults.negative_prompt && caps.negativePrompt) {
		filled.negative_prompt = defaults.negative_prompt;
	}
	if (filled.steps === undefined && defaults.steps !== undefined && caps.steps) filled.steps = defaults.steps;
	return filled;
}

/** Fills what is still left out from the caller's preferences. */
function withPreferences(input: GenerateInput, preferences: Preferences): GenerateInput {
	const filled: GenerateInput = { ...input };
	if (filled.model === undefined && preferences.defaultModel) filled.model = preferences.defaultModel;
	if (!hasSize(filled)) {
		if (preferences.defaultAspectRatio) {
			filled.aspect_ratio = preferences.defaultAspectRatio as GenerateInput['aspect_ratio'];
		} else if (preferences.defaultWidth && preferences.defaultHeight) {
			filled.width = preferences.defaultWidth;
			filled.height = preferences.defaultHeight;
		}
	}
	return filled;
}

/** Reads the caller's state and the style, and answers the plan, the jobs a repeated key made, or a refusal. */
export async function prepareGeneration(input: GenerateInput, context: ToolContext): Promise<Prepared> {
	const owner = context.principal.id;
	const state = await readCallerState(context.db, owner, input.idempotency_key);
	if (state.existingJobId && input.idempotency_key) {
		const reused = await findExistingJobs(context.db, owner, input.idempotency_key);
		if (reused?.length) return ok({ reused });
	}
	let effective = input;
	let style: GenerationPlan['style'];
	if (input.style !== undefined && !isProviderStyle(input.style)) {
		const row = await findStyle(context.db, owner, input.style);
		if (!row) {
			return toolError(
				`style: no style "${input.style}" in your library or the published ones. list_styles shows them; save_style makes one. (${PROVIDER_STYLE_VALUES.join(' and ')} are dall-e-3's own style option.)`,
				undefined,
				'not_found',
			);
		}
		const { style: _library, ...rest } = input;
		effective = withStyleDefaults(rest as GenerateInput, row, context);
		style = { name: row.name, brief: plainBrief(row.brief) };
	}
	effective = withPreferences(effective, state.preferences);
	return ok({
		plan: { input: effective, preferences: state.preferences, promptGiven: input.prompt, ...(style ? { style } : {}) },
	});
}
