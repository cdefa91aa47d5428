/**
 * The MCP server factory: a fresh server per request (DESIGN.md §4), nothing request-scoped
 * at module level. Built on the SDK's low-level Server; the operations of src/tools/ become
 * tools in ./tools.ts, and tasks, resources, prompts, completion and logging sit beside them.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
	LATEST_PROTOCOL_VERSION,
	type LoggingLevel,
	SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import { SERVER_INFO } from '../server-identity';
import type { RequestScope } from '../tools/context';
import { registerCompletions } from './completions';
import type { ToolContextFactory } from './context';
import { askToConfirm, type ElicitationChannel } from './elicitation';
import { isLogged, LOGGER, readLogLevel, registerLogging } from './logging';
import { registerPrompts } from './prompts';
import { registerResources } from './resources';
import { JobTaskStore, registerTaskResult } from './tasks';
import { registerTools } from './tools';

/** Our `serverInfo` (src/server-identity.ts: the version is package.json's). */
export { SERVER_INFO };

/**
 * The MCP protocol versions this server speaks: the SDK's, which answers `initialize` with the
 * client's version when it is one of them, else the latest. get_server_info reports them.
 */
export const MCP_PROTOCOL_VERSIONS = {
	supported: [...SUPPORTED_PROTOCOL_VERSIONS] as readonly string[],
	latest: LATEST_PROTOCOL_VERSION,
};

const INSTRUCTIONS =
	'Image generation. To make an image in one call, use generate_image_and_wait and show the user the returned markdown line. ' +
	'For several images or slow models, call generate_image, then wait_for_completion with the job ids. ' +
	'list_models tells which models, sizes and costs are available; get_usage tells what you have spent and what budget is left.';

export interface ServerOptions {
	/**
	 * The caller's logging level when already known (src/worker/mcp-route.ts reads it to decide
	 * on a streamed response); null when log messages cannot reach the client anyway. Read
	 * from D1 at the first message otherwise.
	 */
	logLevel?: LoggingLevel | null;
	/**
	 * How to ask the user during a call (./elicitation.ts), when the client declared
	 * elicitation and the transport can carry the request; absent, spends above the
	 * threshold are answered with a quote.
	 */
	elicitation?: ElicitationChannel;
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
	let threshold: Promise<LoggingLevel | null> | undefined =
		options.logLevel === undefined ? undefined : Promise.resolve(options.logLevel);
	const { elicitation } = options;
	const contextFor: ToolContextFactory = ({ signal, requestId, sendNotification }, meta) => ({
		...scope,
		signal,
		...(elicitation
			? {
					confirm: (question) => askToConfirm(scope.db, scope.principal.id, elicitation, requestId, question, signal),
				}
			: {}),
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

	registerTools(server, scope, contextFor);
	registerTaskResult(server, contextFor);
	registerResources(server, scope);
	registerPrompts(server, scope);
	registerCompletions(server, scope);
	registerLogging(server, scope.db, scope.principal.id);
	return server;
}
