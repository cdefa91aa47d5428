/**
 * Turns a tool outcome into a CallToolResult in the order DESIGN.md §5 fixes:
 * 1. a text block whose text is JSON (`jq '.result.content[0].text | fromjson'` works),
 * 2. `structuredContent` matching the tool's outputSchema (never any base64),
 * 3. an `image` block per inline preview the operation loaded (src/tools/previews.ts: WebP,
 *    capped in count and bytes), then a `resource_link` per finished image, to its `image://`
 *    resource (src/mcp/resources.ts); the HTTPS URL is in the JSON and the markdown line.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { imageResourceName } from '../storage/images';
import type { ToolOutcome } from '../tools/context';

export function toCallToolResult(outcome: ToolOutcome): CallToolResult {
	if (!outcome.ok) {
		// MCP 2025-11-25 tools: execution errors are results with isError, so the model can correct itself.
		return {
			content: [
				{
					type: 'text',
					text: JSON.stringify({ success: false, error: outcome.error.message, ...outcome.error.details }, null, 2),
				},
			],
			isError: true,
		};
	}
	const success = outcome.value;
	const result: CallToolResult = {
		content: [{ type: 'text', text: JSON.stringify(success.structured, null, 2) }],
		structuredContent: success.structured,
	};
	for (const preview of success.previews ?? []) {
		result.content.push({ type: 'image', data: preview.data, mimeType: preview.mimeType });
	}
	for (const image of success.images ?? []) {
		result.content.push({
			type: 'resource_link',
			uri: image.resource_uri,
			name: imageResourceName(image.resource_uri),
			title: success.prompt ? success.prompt.slice(0, 100) : undefined,
			mimeType: image.content_type,
			size: image.bytes,
		});
	}
	if (success.isError) result.isError = true;
	return result;
}
