/**
 * The MCP server factory: a fresh server per request (DESIGN.md §4), nothing request-scoped
 * at module level. Built on the SDK's low-level Server so that tool errors follow MCP
 * 2025-11-25 exactly: an unknown tool is a JSON-RPC error (-32602), bad arguments are an
 * `isError` result that names the field and what is allowed.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
	CallToolRequestSchema,
	type CallToolResult,
	type CreateTaskResult,
	ErrorCode,
	ListToolsRequestSchema,
	type LoggingLevel,
	type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import { z } from 'zod';
import { configuredModels, defaultModel } from '../providers/catalog';
import { registerCompletions } from './completions';
import type { ToolContext, ToolContextFactory, ToolDefinition } from './context';
import { toolError } from './context';
import { generateImageAndWaitTool, generateImageTool } from './generate.tools';
import { getJobStatusTool, listGenerationsTool, listJobsTool, waitForCompletionTool } from './jobs.tools';
import { isLogged, LOGGER, readLogLevel, registerLogging } from './logging';
import { cancelJobTool, deleteImageTool } from './manage.tools';
import { listModelsTool } from './models.tools';
import { registerPrompts } from './prompts';
import { hasErrorCode, protocolError } from './protocol';
import { registerResources } from './resources';
import { toCallToolResult } from './results';
import { JobTaskStore, registerTaskResult, toTask } from './tasks';
import { getUsageTool } from './usage.tools';
import { parseArguments } from './validation';

export const SERVER_INFO = { name: 'image-mcp', title: 'Image generation MCP server', version: '0.1.0' };

/** The seed's six tools first, in its order, then ours. */
export const TOOLS: readonly ToolDefinition[] = [
	generateImageTool,
	getJobStatusTool,
	listGenerationsTool,
	listJobsTool,
	waitForCompletionTool,
	generateImageAndWaitTool,
	listModelsTool,
	cancelJobTool,
	deleteImageTool,
	getUsageTool,
];

const INSTRUCTIONS =
	'Image generation. To make an image in one call, use generate_image_and_wait and show the user the returned markdown line. ' +
	'For several images or slow models, call generate_image, then wait_for_completion with the job ids. ' +
	'list_models tells which models, sizes and costs are available; get_usage tells what you have spent and what budget is left.';

export type RequestScope = Omit<ToolContext, 'signal' | 'reportProgress' | 'log'>;

/** Tools that may be called task-augmented (MCP Tasks): the ones that start jobs. */
const TASK_TOOLS = new Set(TOOLS.filter((tool) => tool.startTask).map((tool) => tool.name));

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
	const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
		string,
		unknown
	>;
	return withoutSafeIntegerBounds(rest) as Tool['inputSchema'];
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

/**
 * The tool list per isolate, keyed by what varies between deployments (the configured models
 * and the default). Converting eighteen zod schemas to JSON Schema took most of a tools/list
 * request's CPU (about 2.5 ms of 2.7 ms measured in workerd); the answer only changes with
 * configuration. Immutable once built: the SDK serialises it, nobody edits it.
 */
const toolListCache = new Map<string, { tools: readonly Tool[]; json: string }>();

/** Lists tools, with the `model` argument describing the models configured here. */
function describeTools(scope: RequestScope): readonly Tool[] {
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
	const key = `${names.join(',')}|${fallback}`;
	const cached = toolListCache.get(key);
	if (cached) return cached;
	const tools = TOOLS.map((tool) => {
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
		};
	});
	const built = { tools, json: JSON.stringify({ tools }) };
	toolListCache.set(key, built);
	return built;
}

export interface ServerOptions {
	/**
	 * The caller's logging level when already known (src/worker/mcp-route.ts reads it to decide
	 * on a streamed response); null when log messages cannot reach the client anyway. Read
	 * from D1 at the first message otherwise.
	 */
	logLevel?: LoggingLevel | null;
}

export function createMcpServer(scope: RequestScope, options: ServerOptions = {}): Server {
	const server = new Server(SERVER_INFO, {
		capabilities: {
			tools: { listChanged: false },
			resources: { listChanged: false },
			prompts: { listChanged: false },
			completions: {},
			logging: {},
			tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
		},
		instructions: INSTRUCTIONS,
		// The default Ajv validator compiles with `new Function`, which Workers forbid.
		jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
		// tasks/get, tasks/list and tasks/cancel are the SDK's, over the jobs table.
		taskStore: new JobTaskStore(scope),
	});
	const byName = new Map(TOOLS.map((tool) => [tool.name, tool]));

	let threshold: Promise<LoggingLevel | null> | undefined =
		options.logLevel === undefined ? undefined : Promise.resolve(options.logLevel);
	const contextFor: ToolContextFactory = ({ signal, sendNotification }, meta) => ({
		...scope,
		signal,
		reportProgress: async (progress, total, message) => {
			const progressToken = (meta as { progressToken?: string | number } | undefined)?.progressToken;
			if (progressToken === undefined) return;
			await sendNotification({
				method: 'notifications/progress',
				params: { progressToken, progress, ...(total === undefined ? {} : { total }), message },
			});
		},
		log: async (level, data) => {
			threshold ??= readLogLevel(scope.db, scope.principal.id);
			if (!isLogged(level, await threshold)) return;
			await sendNotification({ method: 'notifications/message', params: { level, logger: LOGGER, data } });
		},
	});

	server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...describeTools(scope)] }));

	server.setRequestHandler(
		CallToolRequestSchema,
		async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
			const tool = byName.get(request.params.name);
			if (!tool) {
				// MCP 2025-11-25 server/tools "Error Handling": unknown tools are protocol errors.
				throw protocolError(
					ErrorCode.InvalidParams,
					`Unknown tool "${request.params.name.slice(0, 100)}". Available tools: ${TOOLS.map((t) => t.name).join(', ')}.`,
				);
			}
			const asTask = request.params.task !== undefined;
			if (asTask && !tool.startTask) {
				// MCP 2025-11-25 tasks "Tool-Level Negotiation": a tool without taskSupport is not a task.
				throw protocolError(
					ErrorCode.MethodNotFound,
					`${tool.name} does not run as a task; call it without "task". Tools that do: ${[...TASK_TOOLS].join(', ')}.`,
				);
			}
			const parsed = parseArguments(tool.name, tool.input, request.params.arguments);
			if (!parsed.ok) {
				// A task-augmented call must answer with a task; with nothing started, the error is the answer.
				if (asTask) throw protocolError(ErrorCode.InvalidParams, parsed.message);
				return toCallToolResult(toolError(parsed.message));
			}

			const context = contextFor(extra, request.params._meta);
			try {
				if (asTask && tool.startTask) {
					const started = await tool.startTask(parsed.value, context);
					if (!started.ok) {
						throw protocolError(ErrorCode.InvalidParams, started.outcome.message, started.outcome.details);
					}
					return { task: toTask(started.jobs, scope.env) };
				}
				return toCallToolResult(await tool.handler(parsed.value, context));
			} catch (error) {
				if (asTask && hasErrorCode(error)) throw error;
				// The reason is logged, never sent (CONVENTIONS.md "Errors").
				console.error(`tool ${tool.name} failed`, error);
				const message = `${tool.name} failed with an internal error. Try again in a moment; list_jobs shows any job that was created.`;
				if (asTask) throw protocolError(ErrorCode.InternalError, message);
				return toCallToolResult(toolError(message));
			}
		},
	);

	registerTaskResult(server, contextFor);
	registerResources(server, scope.db, scope.env.IMAGES, scope.principal.id);
	registerPrompts(server, scope);
	registerCompletions(server, scope);
	registerLogging(server, scope.db, scope.principal.id);
	return server;
}
