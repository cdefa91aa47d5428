/**
 * The style library (issue 21): save_style, list_styles, get_style, delete_style. A style is a
 * named markdown brief with optional tags and defaults; `style: "<name>"` on a generate call
 * combines the brief with the prompt and fills what the call leaves out. Each user keeps their
 * own; an admin may publish one (`published: true`) for every user to read.
 */
import { z } from 'zod';
import { PUBLISHED_STYLE_OWNER, type StyleDefaults } from '../db/schema';
import { ASPECT_RATIOS } from '../generation/request';
import {
	deleteStyle,
	findStyle,
	listVisibleStyles,
	MAX_STYLES_PER_OWNER,
	type StyleRow,
	saveStyle,
} from '../jobs/styles';
import { defineTool, notFoundError, type ToolContext, toolError, toolResult } from './context';
import { PROVIDER_STYLE_VALUES } from './generate.schema';
import { readOnly } from './jobs.tools';
import { CONTROL_CHARACTERS } from './validation';

/** Longest brief, in bytes of UTF-8. */
export const MAX_STYLE_BRIEF_BYTES = 8 * 1024;
export const STYLE_NAME_PATTERN = /^[a-z0-9-]{1,64}$/;
const MAX_TAGS = 20;

export const styleNameSchema = z
	.string()
	.trim()
	.regex(STYLE_NAME_PATTERN, 'must be 1–64 characters of a–z, 0–9 and "-" (like "cyberpunk-night")')
	.describe('The style\'s name: 1–64 characters of a–z, 0–9 and "-", such as "cyberpunk-night".');

const defaultsSchema = z
	.strictObject({
		model: z.string().trim().min(1).max(200).optional().describe('Model to use when the call names none.'),
		aspect_ratio: z.enum(ASPECT_RATIOS).optional().describe('Aspect ratio when the call gives no size.'),
		width: z.number().int().min(64).max(4096).optional().describe('Width when the call gives no size (with height).'),
		height: z.number().int().min(64).max(4096).optional().describe('Height when the call gives no size (with width).'),
		negative_prompt: z.string().max(2000).optional().describe('Negative prompt, for models that take one.'),
		steps: z.number().int().min(1).max(150).optional().describe('Steps, for models that take them.'),
	})
	.refine((value) => (value.width === undefined) === (value.height === undefined), 'give width and height together')
	.refine((value) => !(value.aspect_ratio && value.width), 'give aspect_ratio or width and height, not both');

const styleSchema = z.object({
	name: z.string(),
	brief: z.string().describe('Markdown: how images in this style look.'),
	tags: z.array(z.string()),
	defaults: z.record(z.string(), z.unknown()).describe('What the style fills in when a call leaves it out.'),
	published: z.boolean().describe('True for a style an admin published for everyone; false for your own.'),
	resource_uri: z.string().describe('style://<name>: the style as an MCP resource.'),
	created_at: z.string(),
	updated_at: z.string(),
});

export function presentStyle(row: StyleRow) {
	return {
		name: row.name,
		brief: row.brief,
		tags: row.tags,
		defaults: row.defaults as Record<string, unknown>,
		published: row.owner === PUBLISHED_STYLE_OWNER,
		resource_uri: `style://${row.name}`,
		created_at: new Date(row.createdAt).toISOString(),
		updated_at: new Date(row.updatedAt).toISOString(),
	};
}

function ownerFor(context: ToolContext, published: boolean): string {
	return published ? PUBLISHED_STYLE_OWNER : context.principal.id;
}

/** save_style's arguments, also the body of POST /api/v1/styles. */
export const saveStyleInputSchema = z.strictObject({
	name: styleNameSchema,
	brief: z
		.string()
		.trim()
		.min(1, 'must not be empty')
		.refine(
			(text) => new TextEncoder().encode(text).byteLength <= MAX_STYLE_BRIEF_BYTES,
			`is longer than ${MAX_STYLE_BRIEF_BYTES} bytes`,
		)
		.refine((text) => !CONTROL_CHARACTERS.test(text), 'contains control characters')
		.describe(`How images in this style look, in markdown (up to ${MAX_STYLE_BRIEF_BYTES} bytes).`),
	tags: z
		.array(z.string().trim().min(1).max(40))
		.max(MAX_TAGS)
		.default([])
		.describe(`Up to ${MAX_TAGS} tags to find it by.`),
	defaults: defaultsSchema.default({}).describe('What the style fills in when a call leaves it out.'),
	published: z
		.boolean()
		.default(false)
		.describe('Admins only: true publishes the style for every user to read and use.'),
});

export const saveStyleTool = defineTool({
	name: 'save_style',
	title: 'Save a style',
	description:
		'Save a named style to your library ("save this style as cyberpunk-night"): a markdown brief of how the images should look, with optional tags and defaults (model, aspect ratio or size, negative prompt, steps). ' +
		'Then pass style: "<name>" to generate_image: the brief is combined with the prompt and the defaults fill what the call leaves out. Saving an existing name replaces it.',
	input: saveStyleInputSchema,
	output: styleSchema.extend({ success: z.boolean(), created: z.boolean(), message: z.string() }),
	annotations: {
		title: 'Save a style',
		readOnlyHint: false,
		destructiveHint: false,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async (args, context) => {
		if (args.published && context.principal.role !== 'admin') {
			return toolError(
				`published: publishing a style for everyone needs the admin role, and you ("${context.principal.name}") are a user. Omit published to save it to your own library.`,
				undefined,
				'forbidden',
			);
		}
		if (PROVIDER_STYLE_VALUES.includes(args.name)) {
			return toolError(
				`name: "${args.name}" is taken by dall-e-3's own style option (${PROVIDER_STYLE_VALUES.join(', ')}); choose another name.`,
			);
		}
		const saved = await saveStyle(
			context.db,
			{
				owner: ownerFor(context, args.published),
				name: args.name,
				brief: args.brief,
				tags: args.tags,
				defaults: args.defaults as StyleDefaults,
			},
			Date.now(),
		);
		if (saved.outcome === 'limit') {
			return toolError(
				`name: you already have ${saved.count} styles, the most one library keeps (${MAX_STYLES_PER_OWNER}). Delete one with delete_style, or replace one by saving under its name.`,
				{ limit: 'styles', max_styles: MAX_STYLES_PER_OWNER },
				'conflict',
			);
		}
		const created = saved.outcome === 'created';
		return toolResult({
			success: true,
			created,
			...presentStyle(saved.style),
			message: `${created ? 'Saved' : 'Replaced'} style "${args.name}". Use it with generate_image: style: "${args.name}".`,
		});
	},
});

export const listStylesTool = defineTool({
	name: 'list_styles',
	title: 'List styles',
	description: 'List the styles you can use: your own and those an admin published, by name, with their tags.',
	input: z.strictObject({
		tag: z.string().trim().min(1).max(40).optional().describe('Only styles with this tag.'),
	}),
	output: z.object({
		success: z.boolean(),
		count: z.number().int(),
		max_styles: z.number().int().describe('How many styles your own library may keep.'),
		styles: z.array(styleSchema),
	}),
	annotations: { title: 'List styles', ...readOnly },
	handler: async ({ tag }, context) => {
		const rows = await listVisibleStyles(context.db, context.principal.id);
		const styles = rows.filter((row) => tag === undefined || row.tags.includes(tag)).map(presentStyle);
		return toolResult({ success: true, count: styles.length, max_styles: MAX_STYLES_PER_OWNER, styles });
	},
});

export const getStyleTool = defineTool({
	name: 'get_style',
	title: 'Get a style',
	description: 'One style by name: its brief, tags and defaults (yours first, else a published one).',
	input: z.strictObject({ name: styleNameSchema }),
	output: styleSchema.extend({ success: z.boolean() }),
	annotations: { title: 'Get a style', ...readOnly },
	handler: async ({ name }, context) => {
		const row = await findStyle(context.db, context.principal.id, name);
		if (!row) return notFoundError(`name: no style "${name}" for you. list_styles shows the styles you can use.`);
		return toolResult({ success: true, ...presentStyle(row) });
	},
});

export const deleteStyleTool = defineTool({
	name: 'delete_style',
	title: 'Delete a style',
	description: 'Delete one of your styles (admins: a published one with published: true). Images made with it stay.',
	input: z.strictObject({
		name: styleNameSchema,
		published: z.boolean().default(false).describe('Admins only: delete the published style of this name.'),
	}),
	output: z.object({ success: z.boolean(), name: z.string(), deleted: z.boolean(), message: z.string() }),
	annotations: {
		title: 'Delete a style',
		readOnlyHint: false,
		destructiveHint: true,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async ({ name, published }, context) => {
		if (published && context.principal.role !== 'admin') {
			return toolError(
				`published: deleting a published style needs the admin role, and you ("${context.principal.name}") are a user.`,
				undefined,
				'forbidden',
			);
		}
		const deleted = await deleteStyle(context.db, ownerFor(context, published), name);
		if (!deleted) return notFoundError(`name: no style "${name}" of yours. list_styles shows your styles.`);
		return toolResult({ success: true, name, deleted: true, message: `Deleted style "${name}".` });
	},
});
