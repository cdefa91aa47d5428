/** list_models: what this deployment can generate with, and what each model can do and costs. */
import { z } from 'zod';
import { REFERENCE_FORMS } from '../jobs/references';
import {
	catalogFor,
	configuredModels,
	defaultModel,
	estimateImageCost,
	isStandIn,
	type ModelEntry,
	providerFor,
} from '../providers/catalog';
import { describeCost, describeOptions, describeSize, lifecycleWarning } from '../providers/describe';
import { defineTool, type ToolContext, toolResult } from './context';

const rangeSchema = z.object({ min: z.number(), max: z.number(), default: z.number() }).nullable();
const choiceSchema = z.object({ values: z.array(z.string()), default: z.string() }).nullable();

const modelSchema = z.object({
	name: z.string().describe('Pass this as `model`.'),
	aliases: z.array(z.string()),
	label: z.string(),
	provider: z.string(),
	upstream_id: z.string(),
	use_for: z.string(),
	good_at: z.string().describe('What it is best at, in a few words ("photorealism", "text and logos", "fast drafts").'),
	lifecycle: z
		.enum(['current', 'legacy', 'deprecated'])
		.describe(
			'current; legacy: superseded, move when you can; deprecated: its provider retired it or announced when it will. model "auto" never picks a deprecated model.',
		),
	replacement: z.string().nullable().describe('For a legacy or deprecated model: the model to use instead.'),
	lifecycle_note: z.string().nullable().describe("The provider's date or words about its lifecycle, when known."),
	available: z.boolean().describe('False only with include_unavailable: the provider is not configured here.'),
	configure_with: z.string().describe('What an operator sets to enable this model.'),
	is_default: z.boolean(),
	ai_generated: z.boolean().describe('False for the built-in offline test pattern and for local stand-ins.'),
	local_stand_in: z
		.boolean()
		.describe('True in local dev, where Workers AI is out of reach: the offline test pattern draws in its place.'),
	size: z.string().describe('Sizes in words: "fixed 1024×1024", "W×H 256–2048", a list, or ratios at tiers.'),
	size_kind: z.enum(['fixed', 'range', 'list', 'aspect']),
	min_size: z.number().int().nullable(),
	max_size: z.number().int().nullable(),
	sizes: z.array(z.string()).describe('For size_kind "list": the WxH sizes it makes.'),
	aspect_ratios: z.array(z.string()).describe('For size_kind "aspect": the aspect_ratio values.'),
	image_sizes: z.array(z.string()).describe('For size_kind "aspect": the image_size tiers.'),
	default_width: z.number().int(),
	default_height: z.number().int(),
	steps: rangeSchema,
	guidance: rangeSchema,
	seed: z.enum(['exact', 'best_effort', 'none']).describe('exact: same seed, same image. none: no seed.'),
	negative_prompt: z.boolean(),
	reference_images: z.number().int().describe('How many reference_images it takes (0: none).'),
	requires_reference_image: z.boolean(),
	mask: z.enum(['none', 'optional', 'required']),
	strength: z.boolean(),
	quality: choiceSchema,
	style: choiceSchema,
	background: choiceSchema,
	output_format: choiceSchema,
	sampler: z.boolean(),
	good_at_text: z.boolean().describe('Renders legible text (signs, logos, posters).'),
	options: z.string().describe('The options above in words.'),
	estimated_cost_usd_per_image: z.number().describe('At the default size and quality.'),
	cost: z.string().describe('Price range per image in words.'),
	typical_latency_seconds: z.number(),
});

export type ModelView = z.infer<typeof modelSchema>;

export function presentModel(entry: ModelEntry, context: Pick<ToolContext, 'env'>, isDefault: boolean): ModelView {
	const { env } = context;
	const caps = entry.capabilities;
	const { size } = caps;
	const standIn = isStandIn(entry, env);
	return {
		name: entry.alias,
		aliases: [...entry.aliases],
		label: entry.label,
		provider: entry.provider.id,
		upstream_id: entry.upstreamId,
		use_for: entry.useFor,
		good_at: entry.goodAt,
		lifecycle: entry.lifecycle.status,
		replacement: entry.lifecycle.replacement ?? null,
		lifecycle_note: entry.lifecycle.note ?? null,
		available: providerFor(entry, env) !== undefined,
		configure_with: entry.provider.configuredBy,
		is_default: isDefault,
		ai_generated: !entry.notAi && !standIn,
		local_stand_in: standIn,
		size: describeSize(caps),
		size_kind: size.kind,
		min_size: size.kind === 'range' ? size.min : null,
		max_size: size.kind === 'range' ? size.max : null,
		sizes: size.kind === 'list' ? [...size.sizes] : [],
		aspect_ratios: size.kind === 'aspect' ? [...size.ratios] : [],
		image_sizes: size.kind === 'aspect' ? [...size.tiers] : [],
		default_width: caps.defaultSize.width,
		default_height: caps.defaultSize.height,
		steps: caps.steps ?? null,
		guidance: caps.guidance ?? null,
		seed: caps.seed,
		negative_prompt: caps.negativePrompt,
		reference_images: caps.maxReferenceImages,
		requires_reference_image: caps.requiresReferenceImage,
		mask: caps.mask || 'none',
		strength: caps.strength,
		quality: caps.quality ? { values: [...caps.quality.values], default: caps.quality.default } : null,
		style: caps.style ? { values: [...caps.style.values], default: caps.style.default } : null,
		background: caps.background ? { values: [...caps.background.values], default: caps.background.default } : null,
		output_format: caps.outputFormat
			? { values: [...caps.outputFormat.values], default: caps.outputFormat.default }
			: null,
		sampler: caps.sampler,
		good_at_text: caps.goodAtText,
		options: describeOptions(caps),
		estimated_cost_usd_per_image: estimateImageCost(entry, env, {
			...caps.defaultSize,
			quality: caps.quality?.default,
			image_size: size.kind === 'aspect' ? size.tiers[0] : undefined,
		}),
		cost: standIn ? 'free (local stand-in)' : describeCost(entry),
		typical_latency_seconds: entry.typicalLatencyMs / 1000,
	};
}

export const listModelsTool = defineTool({
	name: 'list_models',
	title: 'List image models',
	description:
		'List the image models this server can use right now: sizes, options (steps, negative prompt, quality, reference images…), estimated cost per image, typical time, what each is good at and whether it is current, legacy or deprecated (`warnings` names the ones to move off). Pass a name as `model`, or use model "auto".',
	input: z.strictObject({
		include_unavailable: z
			.boolean()
			.default(false)
			.describe('Also list models whose provider is not configured here (available: false), with what enables them.'),
	}),
	output: z.object({
		success: z.boolean(),
		default_model: z.string(),
		models: z.array(modelSchema),
		warnings: z
			.array(z.string())
			.describe('One line per configured model that is not current (legacy or deprecated): what to use instead.'),
		references: z.string().describe('Forms accepted by reference_images.'),
	}),
	annotations: {
		title: 'List image models',
		readOnlyHint: true,
		destructiveHint: false,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async ({ include_unavailable }, context) => {
		const fallback = defaultModel(context.env, context.config.defaultModel);
		const entries = include_unavailable ? catalogFor(context.env).entries : configuredModels(context.env);
		const models = entries.map((entry) => presentModel(entry, context, entry === fallback));
		// Only models this deployment offers: a retired model nobody can call here needs no warning.
		const warnings = configuredModels(context.env).flatMap((entry) => lifecycleWarning(entry) ?? []);
		return toolResult({
			success: true,
			default_model: fallback.alias,
			models,
			warnings,
			references: `Each of reference_images is ${REFERENCE_FORMS}.`,
		});
	},
});
