/**
 * Per-user defaults (issue 21): set_preferences and get_preferences. Every face uses them when
 * a call is silent: the model and size of a generate call (after a style's defaults), whether
 * results carry inline previews, and the threshold above which a call asks for confirmation.
 */
import { z } from 'zod';
import { ASPECT_RATIOS } from '../generation/request';
import { type Preferences, type PreferencesChange, readPreferences, writePreferences } from '../jobs/preferences';
import { configuredModels, findModel } from '../providers/catalog';
import { defineTool, type ToolContext, toolError, toolResult } from './context';
import { readOnly } from './jobs.tools';

const SIZE_PATTERN = /^(\d{2,4})x(\d{2,4})$/;

const preferencesSchema = z.object({
	default_model: z.string().nullable().describe('Used when a call names no model; null: the deployment default.'),
	default_size: z
		.string()
		.nullable()
		.describe('Used when a call gives no size: an aspect ratio ("16:9") or "WIDTHxHEIGHT"; null: the model default.'),
	previews: z
		.enum(['auto', 'none'])
		.nullable()
		.describe('Whether results carry inline previews; null: the deployment default.'),
	confirm_above_usd: z
		.number()
		.nullable()
		.describe('Calls estimated above this many USD ask for confirmation first; null: only the deployment threshold.'),
	deployment_default_model: z.string().describe('What applies when default_model is null.'),
	deployment_confirm_above_usd: z.number().nullable().describe("The deployment's own threshold (CONFIRM_ABOVE_USD)."),
	updated_at: z.string().nullable(),
});

function present(preferences: Preferences, context: ToolContext) {
	const size = preferences.defaultAspectRatio
		? preferences.defaultAspectRatio
		: preferences.defaultWidth && preferences.defaultHeight
			? `${preferences.defaultWidth}x${preferences.defaultHeight}`
			: null;
	return {
		default_model: preferences.defaultModel ?? null,
		default_size: size,
		previews: preferences.previews ?? null,
		confirm_above_usd: preferences.confirmAboveUsd ?? null,
		deployment_default_model: context.config.defaultModel ?? configuredModels(context.env)[0]?.alias ?? 'offline',
		deployment_confirm_above_usd: context.config.confirmAboveUsd,
		updated_at: preferences.updatedAt ? new Date(preferences.updatedAt).toISOString() : null,
	};
}

export const getPreferencesTool = defineTool({
	name: 'get_preferences',
	title: 'Get my preferences',
	description:
		'Your defaults: the model and size used when a call names none, inline previews, and the confirmation threshold.',
	input: z.strictObject({}),
	output: preferencesSchema.extend({ success: z.boolean() }),
	annotations: { title: 'Get my preferences', ...readOnly },
	handler: async (_args, context) =>
		toolResult({ success: true, ...present(await readPreferences(context.db, context.principal.id), context) }),
});

/** set_preferences' arguments, also the body of PATCH /api/v1/preferences. */
export const setPreferencesInputSchema = z.strictObject({
	default_model: z
		.string()
		.trim()
		.min(1)
		.max(200)
		.nullable()
		.optional()
		.describe('A model from list_models (or "auto"); null clears it.'),
	default_size: z
		.string()
		.trim()
		.max(20)
		.nullable()
		.optional()
		.describe(`An aspect ratio (${ASPECT_RATIOS.join(', ')}) or "WIDTHxHEIGHT" like "1024x768"; null clears it.`),
	previews: z
		.enum(['auto', 'none'])
		.nullable()
		.optional()
		.describe('auto: results carry inline previews; none: they do not.'),
	confirm_above_usd: z
		.number()
		.min(0)
		.max(1000)
		.nullable()
		.optional()
		.describe('Ask before a call estimated above this many USD (0–1000); null clears it.'),
});

export const setPreferencesTool = defineTool({
	name: 'set_preferences',
	title: 'Set my preferences',
	description:
		'Set your defaults, used by every face (MCP, REST, web) whenever a call is silent: default_model, default_size (an aspect ratio or WIDTHxHEIGHT), previews (auto or none) and confirm_above_usd. ' +
		'Give only what you change; null clears a field back to the deployment default.',
	input: setPreferencesInputSchema,
	output: preferencesSchema.extend({ success: z.boolean(), message: z.string() }),
	annotations: {
		title: 'Set my preferences',
		readOnlyHint: false,
		destructiveHint: false,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async (args, context) => {
		const change: PreferencesChange = {};
		if (args.default_model !== undefined) {
			if (args.default_model !== null && args.default_model.toLowerCase() !== 'auto') {
				const entry = findModel(context.env, args.default_model);
				const names = configuredModels(context.env).map((model) => model.alias);
				if (!entry || !names.includes(entry.alias)) {
					return toolError(
						`default_model: "${args.default_model}" is not a model configured here. Allowed: ${names.join(', ')}, or "auto".`,
					);
				}
				change.defaultModel = entry.alias;
			} else {
				change.defaultModel = args.default_model === null ? null : 'auto';
			}
		}
		if (args.default_size !== undefined) {
			change.defaultAspectRatio = null;
			change.defaultWidth = null;
			change.defaultHeight = null;
			if (args.default_size !== null) {
				const sized = SIZE_PATTERN.exec(args.default_size);
				if ((ASPECT_RATIOS as readonly string[]).includes(args.default_size)) {
					change.defaultAspectRatio = args.default_size;
				} else if (sized) {
					change.defaultWidth = Number(sized[1]);
					change.defaultHeight = Number(sized[2]);
				} else {
					return toolError(
						`default_size: "${args.default_size}" is neither an aspect ratio (${ASPECT_RATIOS.join(', ')}) nor "WIDTHxHEIGHT" like "1024x768".`,
					);
				}
			}
		}
		if (args.previews !== undefined) change.previews = args.previews;
		if (args.confirm_above_usd !== undefined) change.confirmAboveUsd = args.confirm_above_usd;
		const saved = await writePreferences(context.db, context.principal.id, change, Date.now());
		return toolResult({
			success: true,
			...present(saved, context),
			message: 'Saved. Calls that leave these out use them from now on, in every client.',
		});
	},
});
