/**
 * The operations of src/tools/ as MCP tools: tools/list from their zod schemas, tools/call
 * through their handlers. MCP 2025-11-25 exactly: an unknown tool is a JSON-RPC error
 * (-32602), bad arguments are an `isError` result that names the field and what is allowed.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
	CallToolRequestSchema,
	type CallToolResult,
	type CreateTaskResult,
	ErrorCode,
	ListToolsRequestSchema,
	type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { configuredModels, defaultModel } from '../providers/catalog';
import type { RequestScope } from '../tools/context';
import { changesState, findTool, offeredTools, readOnlyRefusal, TOOLS } from '../tools/index';
import { toJsonSchema } from '../tools/json-schema';
import { internalFailureMessage, runOperation } from '../tools/run';
import { parseArguments } from '../tools/validation';
import { toolUiMeta } from './apps/views';
import type { ToolContextFactory } from './context';
import { hasErrorCode, protocolError } from './protocol';
import { toCallToolResult } from './results';
import { toTask } from './tasks';

/** Tools that may be called task-augmented (MCP Tasks): the ones that start jobs. */
const TASK_TOOLS = new Set(TOOLS.filter((tool) => tool.startTask).map((tool) => tool.name));

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
	return toJsonSchema(schema, io) as Tool['inputSchema'];
}

/**
 * The tool list per isolate, keyed by what varies between deployments (the configured models
 * and the default). Converting eighteen zod schemas to JSON Schema took most of a tools/list
 * request's CPU (about 2.5 ms of 2.7 ms measured in workerd); the answer only changes with
 * configuration. Immutable once built: the SDK serialises it, nobody edits it.
 */
const toolListCache = new Map<string, { tools: readonly Tool[]; json: string }>();

/** Lists tools, with the `model` argument describing the models configured here. */
export function describeTools(scope: RequestScope): readonly Tool[] {
	return cachedToolList(scope).tools;
}

/**
 * The tools/list result, `{"tools":[…]}`, already serialised: src/worker/mcp-route.ts answers
 * plain tools/list requests with it without building a server.
 */
export function toolListResultJson(scope: RequestScope): string {
	return cachedToolList(scope).json;
}

function cachedToolList(scope: RequestScope): { tools: readonly Tool[]; json: string } {
	const names = configuredModels(scope.env).map((entry) => entry.alias);
	const fallback = defaultModel(scope.env, scope.config.defaultModel).alias;
	const { readOnly } = scope.config;
	const key = `${names.join(',')}|${fallback}|${readOnly ? 'read-only' : ''}`;
	const cached = toolListCache.get(key);
	if (cached) return cached;
	const tools = offeredTools(readOnly).map((tool) => {
		let inputSchema = jsonSchema(tool.input, 'input');
		const properties = inputSchema.properties as Record<string, object> | undefined;
		if (properties?.model) {
			// Per deployment, so patched on a copy of the converted schema.
			const model = {
				...properties.model,
				description: `Model to use: one of ${names.join(', ')}, or "auto" to let the server pick from the request and say why (see list_models). Omit for the default (${fallback}).`,
			};
			inputSchema = { ...inputSchema, properties: { ...properties, model } };
		}
		return {
			name: tool.name,
			title: tool.title,
			description: tool.description,
			inputSchema,
			outputSchema: jsonSchema(tool.output, 'output') as Tool['outputSchema'],
			annotations: tool.annotations,
			...(TASK_TOOLS.has(tool.name) ? { execution: { taskSupport: 'optional' as const } } : {}),
			...withUiMeta(tool.name),
		};
	});
	const built = { tools, json: JSON.stringify({ tools }) };
	toolListCache.set(key, built);
	return built;
}

/** `_meta.ui` for tools with an MCP Apps view (src/mcp/apps/views.ts). */
function withUiMeta(name: string): { _meta?: Record<string, unknown> } {
	const meta = toolUiMeta(name);
	return meta ? { _meta: meta } : {};
}

/** tools/list and tools/call over the operations. */
export function registerTools(server: Server, scope: RequestScope, contextFor: ToolContextFactory): void {
	server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...describeTools(scope)] }));

	server.setRequestHandler(
		CallToolRequestSchema,
		async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
			const tool = findTool(request.params.name);
			if (!tool) {
				// MCP 2025-11-25 server/tools "Error Handling": unknown tools are protocol errors.
				throw protocolError(
					ErrorCode.InvalidParams,
					`Unknown tool "${request.params.name.slice(0, 100)}". Available tools: ${TOOLS.map((t) => t.name).join(', ')}.`,
				);
			}
			if (request.params.task === undefined) {
				return toCallToolResult(
					await runOperation(tool, request.params.arguments, contextFor(extra, request.params._meta)),
				);
			}
			// Task-augmented: a call that starts nothing must answer with an error, never a result.
			if (scope.config.readOnly && changesState(tool)) {
				throw protocolError(ErrorCode.InvalidParams, readOnlyRefusal(tool));
			}
			if (!tool.startTask) {
				// MCP 2025-11-25 tasks "Tool-Level Negotiation": a tool without taskSupport is not a task.
				throw protocolError(
					ErrorCode.MethodNotFound,
					`${tool.name} does not run as a task; call it without "task". Tools that do: ${[...TASK_TOOLS].join(', ')}.`,
				);
			}
			const parsed = parseArguments(tool.name, tool.input, request.params.arguments);
			if (!parsed.ok) throw protocolError(ErrorCode.InvalidParams, parsed.error);
			const context = contextFor(extra, request.params._meta);
			let started: Awaited<ReturnType<typeof tool.startTask>>;
			try {
				started = await tool.startTask(parsed.value, context);
			} catch (error) {
				if (hasErrorCode(error)) throw error;
				// The reason is logged, never sent (CONVENTIONS.md "Errors").
				console.error(`tool ${tool.name} failed`, error);
				throw protocolError(ErrorCode.InternalError, internalFailureMessage(tool));
			}
			if (!started.ok) throw protocolError(ErrorCode.InvalidParams, started.error.message, started.error.details);
			return { task: toTask(started.value, scope.env) };
		},
	);
}
