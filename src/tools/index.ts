/**
 * Every operation, in the order faces list them: the seed's six tools first, in its order,
 * then ours. MCP registers each as a tool (src/mcp/tools.ts); the HTTP faces call them by name.
 */
import type { ToolDefinition } from './context';
import { browseGalleryTool, galleryPageTool, getImageTool, viewImageTool } from './gallery.tools';
import { generateImageAndWaitTool, generateImageTool } from './generate.tools';
import { getJobStatusTool, listGenerationsTool, listJobsTool, waitForCompletionTool } from './jobs.tools';
import { cancelJobTool, deleteImageTool } from './manage.tools';
import { listModelsTool } from './models.tools';
import { getPreferencesTool, setPreferencesTool } from './preferences.tools';
import { getServerInfoTool } from './server-info.tools';
import { deleteStyleTool, getStyleTool, listStylesTool, saveStyleTool } from './styles.tools';
import { getUsageTool } from './usage.tools';
import { generateVariationsTool } from './variations.tools';

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
	generateVariationsTool,
	saveStyleTool,
	listStylesTool,
	getStyleTool,
	deleteStyleTool,
	setPreferencesTool,
	getPreferencesTool,
	browseGalleryTool,
	getImageTool,
	// Called by the MCP Apps views only (src/mcp/apps/views.ts marks them app-only).
	galleryPageTool,
	viewImageTool,
	// For everyone again: which build, protocol versions, features and limits.
	getServerInfoTool,
];

const BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

/** The operation of this name, or undefined. */
export function findTool(name: string): ToolDefinition | undefined {
	return BY_NAME.get(name);
}

/** Whether an operation changes anything (generates, cancels, deletes): what READ_ONLY turns off. */
export function changesState(tool: ToolDefinition): boolean {
	return tool.annotations.readOnlyHint !== true;
}

const BROWSING = TOOLS.filter((tool) => !changesState(tool));

/** The operations a deployment offers: every one, or in read-only mode those that change nothing. */
export function offeredTools(readOnly: boolean): readonly ToolDefinition[] {
	return readOnly ? BROWSING : TOOLS;
}

/** What a face answers when a read-only deployment is asked to run an operation that changes something. */
export function readOnlyRefusal(tool: ToolDefinition): string {
	return `This server is read-only (READ_ONLY=true): ${tool.name} is turned off. You can browse with ${BROWSING.map((entry) => entry.name).join(', ')}.`;
}
