/**
 * An operation's zod schema as JSON Schema (draft 2020-12): what MCP's tools/list and the
 * OpenAPI document (an OpenAPI 3.1 schema is JSON Schema 2020-12) both publish, made once here
 * so the two faces describe each argument the same way.
 */
import { z } from 'zod';

/** The schema as JSON Schema, `input` (what callers send) or `output` (what they get back). */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
	const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
		string,
		unknown
	>;
	return withoutSafeIntegerBounds(rest) as Record<string, unknown>;
}

/**
 * zod writes `"minimum": -9007199254740991, "maximum": 9007199254740991` on every `.int()`
 * without bounds of its own: about a fifth of the tool list's bytes, and saying nothing a JSON
 * integer does not. Real bounds (1–20, 64–2048, …) are kept.
 */
function withoutSafeIntegerBounds(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(withoutSafeIntegerBounds);
	if (typeof value !== 'object' || value === null) return value;
	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) {
		if (key === 'minimum' && item === Number.MIN_SAFE_INTEGER) continue;
		if (key === 'maximum' && item === Number.MAX_SAFE_INTEGER) continue;
		out[key] = withoutSafeIntegerBounds(item);
	}
	return out;
}
