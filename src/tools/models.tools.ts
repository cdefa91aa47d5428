/** list_models: what this deployment can generate with, and what each model can do. */
import { z } from 'zod';
import { configuredModels, defaultModel, estimateImageCost, isStandIn } from '../providers/catalog';
import { defineTool } from './context';

const modelSchema = z.object({
	name: z.string().describe('Pass this as `model`.'),
	aliases: z.array(z.string()),
	label: z.string(),
	provider: z.string(),
	upstream_id: z.string(),
	use_for: z.string(),
	is_default: z.boolean(),
	ai_generated: z.boolean().describe('False for the built-in offline test pattern.'),
	local_stand_in: z
		.boolean()
		.describe('True in local dev, where Workers AI is out of reach: the offline test pattern draws in its place.'),
	size: z.string().describe('"fixed W×H" or "W×H from MIN to MAX pixels per side".'),
	min_size: z.number().int().nullable(),
	max_size: z.number().int().nullable(),
	default_width: z.number().int(),
	default_height: z.number().int(),
	steps_min: z.number().int(),
	steps_max: z.number().int(),
	steps_default: z.number().int(),
	negative_prompt: z.boolean(),
	seed: z.boolean(),
	estimated_cost_usd_per_image: z.number().describe('At the default size.'),
	typical_latency_seconds: z.number(),
});

export const listModelsTool = defineTool({
	name: 'list_models',
	title: 'List image models',
	description:
		'List the image models this server can use right now, with sizes, steps, negative-prompt support, estimated cost per image, typical time and what each is good for.',
	input: z.strictObject({}),
	output: z.object({ success: z.boolean(), default_model: z.string(), models: z.array(modelSchema) }),
	annotations: {
		title: 'List image models',
		readOnlyHint: true,
		destructiveHint: false,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async (_args, context) => {
		const fallback = defaultModel(context.env, context.config.defaultModel);
		const models = configuredModels(context.env).map((entry) => ({
			name: entry.alias,
			aliases: [...entry.aliases],
			label: entry.label,
			provider: entry.provider.id,
			upstream_id: entry.upstreamId,
			use_for: entry.useFor,
			is_default: entry === fallback,
			ai_generated: !entry.notAi && !isStandIn(entry, context.env),
			local_stand_in: isStandIn(entry, context.env),
			size: entry.sizeRange
				? `W×H from ${entry.sizeRange.min} to ${entry.sizeRange.max} pixels per side`
				: `fixed ${entry.defaultSize.width}×${entry.defaultSize.height}`,
			min_size: entry.sizeRange?.min ?? null,
			max_size: entry.sizeRange?.max ?? null,
			default_width: entry.defaultSize.width,
			default_height: entry.defaultSize.height,
			steps_min: entry.steps.min,
			steps_max: entry.steps.max,
			steps_default: entry.steps.default,
			negative_prompt: entry.supportsNegativePrompt,
			seed: true,
			estimated_cost_usd_per_image: estimateImageCost(
				entry,
				context.env,
				entry.defaultSize.width,
				entry.defaultSize.height,
			),
			typical_latency_seconds: entry.typicalLatencyMs / 1000,
		}));
		return { ok: true, structured: { success: true, default_model: fallback.alias, models } };
	},
});
