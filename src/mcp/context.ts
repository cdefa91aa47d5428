/** How MCP handlers build an operation's ToolContext from the SDK's per-request `extra`. */
import type { ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext } from '../tools/context';

/** Builds a request's ToolContext from the SDK handler's `extra` and the request's `_meta` (its progress token). */
export type ToolContextFactory = (
	extra: { signal: AbortSignal; sendNotification: (notification: ServerNotification) => Promise<void> },
	meta: unknown,
) => ToolContext;
