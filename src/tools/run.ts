/**
 * Running one operation for a face: the deployment's read-only switch, argument validation and
 * the last-resort catch, once. MCP (src/mcp/tools.ts) and the HTTP faces (src/worker/api/) call
 * this, so a refusal reads the same on every face.
 */
import { err } from '../result';
import { type ToolContext, type ToolDefinition, type ToolOutcome, toolError } from './context';
import { changesState, readOnlyRefusal } from './index';
import { parseArgumentFields } from './validation';

/** Runs `tool` with raw (unvalidated) arguments; every failure is a handled ToolFailure. */
export async function runOperation(tool: ToolDefinition, args: unknown, context: ToolContext): Promise<ToolOutcome> {
	if (context.config.readOnly && changesState(tool)) return toolError(readOnlyRefusal(tool), undefined, 'read_only');
	const parsed = parseArgumentFields(tool.name, tool.input, args);
	if (!parsed.ok) return err({ message: parsed.error.message, fields: parsed.error.fields });
	try {
		return await tool.handler(parsed.value, context);
	} catch (error) {
		// The reason is logged, never sent (CONVENTIONS.md "Errors").
		console.error(`tool ${tool.name} failed`, error);
		return toolError(internalFailureMessage(tool), undefined, 'internal');
	}
}

/** What a caller hears when an operation broke: no detail, and where to look for what it made. */
export function internalFailureMessage(tool: ToolDefinition): string {
	return `${tool.name} failed with an internal error. Try again in a moment; list_jobs shows any job that was created.`;
}
