/**
 * Argument validation with errors a model can act on: each problem names the field, says
 * what was wrong and, from the field's own description, what is allowed.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../result';

/** The field at `path` (unwrapped from default, optional and nullable) and its description. */
function fieldAt(schema: z.ZodType, path: readonly PropertyKey[]): { field?: z.ZodType; description?: string } {
	let current: z.ZodType | undefined = schema;
	let description: string | undefined;
	for (const key of path) {
		if (current instanceof z.ZodObject) current = current.shape[key as string] as z.ZodType | undefined;
		else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
		else return {};
		// `.describe()` may sit on a wrapper (default, optional) or on the type inside it.
		description = current?.description;
		while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
			current = current.unwrap() as z.ZodType;
			description ??= current.description;
		}
	}
	return { field: current, description };
}

/**
 * A number out of range says the field's real range. Zod checks `.int()` against the safe
 * integers first, so `count: 1e308` would otherwise hear "<= 9007199254740991" for 1–20.
 */
function rangeMessage(issue: z.core.$ZodIssue, field: z.ZodType | undefined): string {
	if ((issue.code === 'too_big' || issue.code === 'too_small') && field instanceof z.ZodNumber) {
		const { minValue, maxValue } = field;
		const min = minValue !== null && Number.isFinite(minValue) && minValue > Number.MIN_SAFE_INTEGER ? minValue : null;
		const max = maxValue !== null && Number.isFinite(maxValue) && maxValue < Number.MAX_SAFE_INTEGER ? maxValue : null;
		const range =
			min !== null && max !== null
				? `${min}–${max}`
				: min !== null
					? `${min} or more`
					: max !== null
						? `at most ${max}`
						: null;
		if (range) return `${issue.code === 'too_big' ? 'Too big' : 'Too small'}; allowed: ${range}`;
	}
	return issue.message;
}

const VALIDATION_PREFIX = /^Invalid arguments for [a-z_]+: /;

/** A failure's message without formatValidationError's "Invalid arguments for <tool>: ", for a face that names no tools (the web pages). */
export function withoutToolName(message: string): string {
	return message.replace(VALIDATION_PREFIX, '');
}

export function formatValidationError(toolName: string, schema: z.ZodType, error: z.ZodError): string {
	const lines = error.issues.map((issue) => {
		if (issue.code === 'unrecognized_keys') {
			const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape).join(', ') : 'see the tool schema';
			return `unknown argument(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}. Allowed arguments: ${allowed}.`;
		}
		const field = issue.path.length ? issue.path.join('.') : 'arguments';
		const { field: fieldSchema, description } = issue.path.length ? fieldAt(schema, issue.path) : {};
		return `${field}: ${rangeMessage(issue, fieldSchema)}.${description ? ` Expected: ${description}` : ''}`;
	});
	return `Invalid arguments for ${toolName}: ${lines.join(' ')}`;
}

/**
 * Form-filling clients (MCP Inspector 0.15) send every optional field, empty: `""` for a string
 * and `[]` for a list. For an optional argument that means "not given", so it is dropped before
 * parsing; a required argument sent empty is still refused.
 */
function withoutEmptyOptionals(schema: z.ZodType, args: unknown): unknown {
	if (!(schema instanceof z.ZodObject) || args === null || typeof args !== 'object' || Array.isArray(args)) return args;
	const shape = schema.shape as Record<string, z.ZodType>;
	const kept: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(args)) {
		const empty = value === '' || (Array.isArray(value) && value.length === 0);
		if (empty && Object.hasOwn(shape, key) && shape[key]!.safeParse(undefined).success) continue;
		kept[key] = value;
	}
	return kept;
}

/** Bad arguments: the message naming each field and what is allowed, and the fields' names. */
export interface InvalidArguments {
	message: string;
	/** Each bad field's path (`count`, `reference_images.0`), or the unknown arguments' names. */
	fields: string[];
}

/** The arguments as the schema's output, or a message naming each bad field and what is allowed. */
export function parseArguments<S extends z.ZodType>(toolName: string, schema: S, args: unknown): Result<z.output<S>> {
	const parsed = parseArgumentFields(toolName, schema, args);
	return parsed.ok ? parsed : err(parsed.error.message);
}

/** parseArguments, also saying which fields were wrong (the HTTP faces name them in the problem). */
export function parseArgumentFields<S extends z.ZodType>(
	toolName: string,
	schema: S,
	args: unknown,
): Result<z.output<S>, InvalidArguments> {
	// JSON.parse makes `"__proto__"` an own key, which zod's unknown-key check never sees.
	if (args !== null && typeof args === 'object' && Object.hasOwn(args, '__proto__')) {
		const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape).join(', ') : 'see the tool schema';
		return err({
			message: `Invalid arguments for ${toolName}: unknown argument(s) "__proto__". Allowed arguments: ${allowed}.`,
			fields: ['__proto__'],
		});
	}
	const result = schema.safeParse(withoutEmptyOptionals(schema, args ?? {}));
	if (result.success) return ok(result.data);
	const fields = result.error.issues.flatMap((issue) =>
		issue.code === 'unrecognized_keys' ? issue.keys : [issue.path.length ? issue.path.join('.') : 'arguments'],
	);
	return err({ message: formatValidationError(toolName, schema, result.error), fields: [...new Set(fields)] });
}

/** Rejects control characters other than tab and newlines, C0 and C1 (they are never meant). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Text with something visible: not only whitespace and format characters (zero-width space, word joiner, BOM, …). */
export const VISIBLE_CHARACTER = /[^\s\p{Cf}]/u;
