/**
 * Argument validation with errors a model can act on: each problem names the field, says
 * what was wrong and, from the field's own description, what is allowed.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../result';

function describeField(schema: z.ZodType, path: readonly PropertyKey[]): string | undefined {
	let current: z.ZodType | undefined = schema;
	let description: string | undefined;
	for (const key of path) {
		if (current instanceof z.ZodObject) current = current.shape[key as string] as z.ZodType | undefined;
		else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
		else return undefined;
		// `.describe()` may sit on a wrapper (default, optional) or on the type inside it.
		description = current?.description;
		while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
			current = current.unwrap() as z.ZodType;
			description ??= current.description;
		}
	}
	return description;
}

export function formatValidationError(toolName: string, schema: z.ZodType, error: z.ZodError): string {
	const lines = error.issues.map((issue) => {
		if (issue.code === 'unrecognized_keys') {
			const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape).join(', ') : 'see the tool schema';
			return `unknown argument(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}. Allowed arguments: ${allowed}.`;
		}
		const field = issue.path.length ? issue.path.join('.') : 'arguments';
		const description = issue.path.length ? describeField(schema, issue.path) : undefined;
		return `${field}: ${issue.message}.${description ? ` Expected: ${description}` : ''}`;
	});
	return `Invalid arguments for ${toolName}: ${lines.join(' ')}`;
}

/** The arguments as the schema's output, or a message naming each bad field and what is allowed. */
export function parseArguments<S extends z.ZodType>(toolName: string, schema: S, args: unknown): Result<z.output<S>> {
	const result = schema.safeParse(args ?? {});
	if (result.success) return ok(result.data);
	return err(formatValidationError(toolName, schema, result.error));
}

/** Rejects ASCII control characters other than tab and newlines (they are never meant). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
