/** How MCP handlers build an operation's ToolContext from the SDK's per-request `extra`. */
import type { RequestId, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext } from '../tools/context';

/** Builds a request's ToolContext from the SDK handler's `extra` and the request's `_meta` (its progress token). */
export type ToolContextFactory = (
	extra: {
		signal: AbortSignal;
		/** The request being handled: an elicitation is sent on its stream. */
		requestId: RequestId;
		sendNotification: (notification: ServerNotification) => Promise<void>;
	},
	meta: unknown,
) => ToolContext;
