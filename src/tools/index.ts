/**
 * Every operation, in the order faces list them: the seed's six tools first, in its order,
 * then ours. MCP registers each as a tool (src/mcp/tools.ts); the HTTP faces call them by name.
 */
import type { ToolDefinition } from './context';
import { browseGalleryTool, galleryPageTool, viewImageTool } from './gallery.tools';
import { generateImageAndWaitTool, generateImageTool } from './generate.tools';
import { getJobStatusTool, listGenerationsTool, listJobsTool, waitForCompletionTool } from './jobs.tools';
import { cancelJobTool, deleteImageTool } from './manage.tools';
import { listModelsTool } from './models.tools';
import { getUsageTool } from './usage.tools';

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
	browseGalleryTool,
	// Called by the MCP Apps views only (src/mcp/apps/views.ts marks them app-only).
	galleryPageTool,
	viewImageTool,
];

const BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

/** The operation of this name, or undefined. */
export function findTool(name: string): ToolDefinition | undefined {
	return BY_NAME.get(name);
}
