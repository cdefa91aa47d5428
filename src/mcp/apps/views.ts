/**
 * MCP Apps (extension `io.modelcontextprotocol/ui`, spec 2026-01-26): two views a host renders
 * inside the chat, the viewer (what a generate or status call made) and the gallery. Each is a
 * `ui://` resource of MIME type `text/html;profile=mcp-app`: one self-contained HTML file
 * (src/mcp/apps/app.html, bundled as text) with the view's mode set in. It speaks the bridge's
 * JSON-RPC over postMessage itself and fetches nothing, so it needs no CSP beyond the hosts'
 * default (inline script and style, `img-src data:`) and declares none.
 *
 * The server is stateless and never sees a client's capabilities after `initialize`, so the
 * `_meta.ui` links are always published; hosts without Apps ignore them and keep the text,
 * `structuredContent`, previews and links every result has.
 */
import appHtml from './app.html';

/** The MIME type of an MCP Apps view (`RESOURCE_MIME_TYPE` in @modelcontextprotocol/ext-apps). */
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';

export const VIEWER_URI = 'ui://image-mcp/viewer.html';
export const GALLERY_URI = 'ui://image-mcp/gallery.html';

/** Largest a view's HTML may be (issue 19): views stay small enough to load at once. */
export const MAX_VIEW_BYTES = 200 * 1024;

type ViewMode = 'viewer' | 'gallery';

export interface AppView {
	uri: string;
	name: string;
	title: string;
	description: string;
	mode: ViewMode;
}

export const APP_VIEWS: readonly AppView[] = [
	{
		uri: VIEWER_URI,
		name: 'viewer.html',
		title: 'Image viewer',
		description:
			'MCP Apps view: the images a generate or status call made, with prompt, model, seed, size and cost, and buttons to open, download, vary or re-prompt them.',
		mode: 'viewer',
	},
	{
		uri: GALLERY_URI,
		name: 'gallery.html',
		title: 'Image gallery',
		description: 'MCP Apps view: your images as a paged grid of thumbnails, newest first, with search in prompts.',
		mode: 'gallery',
	},
];

const MODE_PLACEHOLDER = '"__VIEW_MODE__"';

/** The view's HTML, with its mode set. */
export function viewHtml(view: AppView): string {
	return appHtml.replace(MODE_PLACEHOLDER, JSON.stringify(view.mode));
}

export function findView(uri: string): AppView | undefined {
	return APP_VIEWS.find((view) => view.uri === uri);
}

/** Which view a tool's result opens in, and whether only views may call it. */
const TOOL_VIEWS: Readonly<Record<string, { resourceUri: string; appOnly?: true }>> = {
	generate_image: { resourceUri: VIEWER_URI },
	generate_image_and_wait: { resourceUri: VIEWER_URI },
	get_job_status: { resourceUri: VIEWER_URI },
	wait_for_completion: { resourceUri: VIEWER_URI },
	browse_gallery: { resourceUri: GALLERY_URI },
	gallery_page: { resourceUri: GALLERY_URI, appOnly: true },
	view_image: { resourceUri: VIEWER_URI, appOnly: true },
};

/** Tools that hosts hide from the model: only the views call them. */
export const APP_ONLY_TOOLS: readonly string[] = Object.entries(TOOL_VIEWS)
	.filter(([, link]) => link.appOnly)
	.map(([name]) => name);

/**
 * A tool's `_meta`: `ui.resourceUri` (and the flat `ui/resourceUri` that older hosts read), and
 * for app-only tools `ui.visibility: ["app"]`. Undefined for tools without a view.
 */
export function toolUiMeta(toolName: string): Record<string, unknown> | undefined {
	const link = TOOL_VIEWS[toolName];
	if (!link) return undefined;
	return {
		ui: { resourceUri: link.resourceUri, ...(link.appOnly ? { visibility: ['app'] } : {}) },
		'ui/resourceUri': link.resourceUri,
	};
}
