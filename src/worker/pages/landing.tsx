/**
 * `GET /` for a browser (`Accept: text/html`): what this server is, its MCP URL with a copy
 * button, how to connect Better Chatbot, the MCP Inspector (HTTP and SSE), Claude Desktop
 * through mcp-remote and curl, with the snippets for this deployment, and whether it is healthy.
 * Server-rendered with Hono's JSX (every value escaped); the CSS and the one small script (copy
 * buttons) are inline, nothing comes from another origin, and the page reads fine without script.
 */
import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';

export interface LandingFacts {
	title: string;
	version: string;
	origin: string;
	/** What a client must send, in words (describeEntryAuth). */
	auth: string;
	/** Whether a client must send a bearer token here. */
	needsToken: boolean;
	/** serviceHealth's answer (src/worker/health.ts). */
	health: { healthy: boolean; db: string; images: string; auth: { serving: boolean; reason?: string } };
	tools: { name: string; title: string }[];
	/** READ_ONLY: browse-only, no generating, cancelling or deleting. */
	readOnly: boolean;
	/** The per-response nonce of the inline script and style. */
	nonce: string;
}

export const PAGE_STYLE = `
:root { color-scheme: light dark; --bg: #fbfbfc; --fg: #1b1b1f; --muted: #5b6068; --line: #d6d9df; --card: #fff; --accent: #2450b3; --ok: #1e7a3a; --bad: #b3261e; --code: #f1f3f6; }
@media (prefers-color-scheme: dark) { :root { --bg: #131417; --fg: #eceef2; --muted: #a7acb5; --line: #33363d; --card: #1b1d22; --accent: #8fb1ff; --ok: #7ddc97; --bad: #ffb4ab; --code: #23262c; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 860px; margin: 0 auto; padding: 28px 20px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; }
p { margin: 6px 0; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.status { display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 999px; border: 1px solid var(--line); background: var(--card); font-weight: 600; }
.status::before { content: ""; width: 10px; height: 10px; border-radius: 50%; background: currentColor; }
.status.ok { color: var(--ok); }
.status.bad { color: var(--bad); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px; margin: 12px 0; }
.card h3 { margin: 0 0 4px; font-size: 17px; }
.snippet pre { padding-right: 76px; }
.snippet { position: relative; }
pre { margin: 8px 0 0; padding: 12px 14px; background: var(--code); border-radius: 8px; overflow-x: auto; font: 14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre; }
.url { display: flex; gap: 8px; align-items: stretch; flex-wrap: wrap; }
.url code { flex: 1; min-width: 240px; padding: 10px 12px; background: var(--code); border-radius: 8px; font: 15px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
button { font: inherit; font-size: 14px; color: var(--fg); background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.snippet button { position: absolute; top: 8px; right: 8px; }
.copy[hidden] { display: none; }
ul.tools { columns: 2; padding-left: 20px; }
@media (max-width: 600px) { ul.tools { columns: 1; } h1 { font-size: 24px; } }
`;

/** Copy buttons, shown only when the script runs (a page without script keeps the text to select). */
const SCRIPT = `
for (const button of document.querySelectorAll('button.copy')) {
	button.hidden = false;
	button.addEventListener('click', async () => {
		const text = document.getElementById(button.dataset.target).textContent;
		try { await navigator.clipboard.writeText(text); button.textContent = 'Copied'; }
		catch { button.textContent = 'Select and copy'; }
		setTimeout(() => { button.textContent = 'Copy'; }, 2000);
	});
}
`;

const CopyButton: FC<{ target: string; label: string }> = ({ target, label }) => (
	<button type="button" class="copy" data-target={target} aria-label={label} hidden>
		Copy
	</button>
);

const Snippet: FC<{ id: string; label: string; text: string }> = ({ id, label, text }) => (
	<div class="snippet">
		<pre id={id}>{text}</pre>
		<CopyButton target={id} label={`Copy: ${label}`} />
	</div>
);

function healthLine(health: LandingFacts['health']): { text: string; ok: boolean } {
	if (health.healthy) return { text: 'Healthy', ok: true };
	if (!health.auth.serving) return { text: 'Not serving MCP requests', ok: false };
	const broken = [health.db !== 'ok' ? 'D1' : '', health.images !== 'ok' ? 'R2' : ''].filter(Boolean).join(' and ');
	return { text: `Degraded: ${broken} not answering`, ok: false };
}

export const LandingPage: FC<{ facts: LandingFacts }> = ({ facts }) => {
	const mcpUrl = `${facts.origin}/mcp`;
	const sseUrl = `${facts.origin}/sse`;
	const token = facts.needsToken ? '<token>' : undefined;
	const health = healthLine(facts.health);
	const chatbot = JSON.stringify(
		token ? { url: mcpUrl, headers: { Authorization: `Bearer ${token}` } } : { url: mcpUrl },
		null,
		2,
	);
	const claude = JSON.stringify(
		{
			mcpServers: {
				images: {
					command: 'npx',
					args: ['mcp-remote', mcpUrl, ...(token ? ['--header', 'Authorization:${AUTH_HEADER}'] : [])],
					...(token ? { env: { AUTH_HEADER: `Bearer ${token}` } } : {}),
				},
			},
		},
		null,
		2,
	);
	const curl = [
		`curl -s ${mcpUrl} \\`,
		`  -H 'Content-Type: application/json' \\`,
		...(token ? [`  -H 'Authorization: Bearer ${token}' \\`] : []),
		facts.readOnly
			? `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_generations","arguments":{}}}' \\`
			: `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"generate_image_and_wait","arguments":{"prompt":"a lighthouse at dusk"}}}' \\`,
		facts.readOnly
			? `  | jq -r '.result.content[0].text | fromjson | .generations[].image_url'`
			: `  | jq -r '.result.content[0].text | fromjson | .image_url'`,
	].join('\n');
	return (
		<html lang="en">
			<head>
				<meta charset="utf-8" />
				<meta name="viewport" content="width=device-width, initial-scale=1" />
				<title>{facts.title}</title>
				<style nonce={facts.nonce}>{raw(PAGE_STYLE)}</style>
			</head>
			<body>
				<main>
					<h1>{facts.title}</h1>
					<p class="muted">
						An MCP server that makes images for AI assistants: ask in chat, get the picture. Version {facts.version}.
					</p>
					<p>
						<span class={`status ${health.ok ? 'ok' : 'bad'}`} role="status">
							{health.text}
						</span>{' '}
						<a href="/health">/health</a>
					</p>
					{facts.health.auth.reason ? <p class="muted">{facts.health.auth.reason}</p> : null}
					<p>
						<a href="/ui" id="open-web-app">
							Open the web app
						</a>
						: your gallery, {facts.readOnly ? '' : 'generate, '}jobs, usage and settings in the browser.
					</p>
					{facts.readOnly ? (
						<p>
							<b>Read-only:</b> this server shows the images it has; it does not make, cancel or delete any.
						</p>
					) : null}

					<h2 id="endpoint">MCP endpoint</h2>
					<div class="url">
						<code id="mcp-url">{mcpUrl}</code>
						<CopyButton target="mcp-url" label="Copy the MCP URL" />
					</div>
					<p class="muted">
						Streamable HTTP at <code>/mcp</code>; legacy HTTP+SSE at <code>/sse</code>. Authentication: {facts.auth}.
					</p>

					<h2 id="connect">Connect a client</h2>
					<section class="card" aria-labelledby="better-chatbot">
						<h3 id="better-chatbot">Better Chatbot</h3>
						<p>Add an MCP server with this configuration:</p>
						<Snippet id="snippet-chatbot" label="Better Chatbot configuration" text={chatbot} />
					</section>
					<section class="card" aria-labelledby="inspector">
						<h3 id="inspector">MCP Inspector</h3>
						<p>
							Run <code>npx @modelcontextprotocol/inspector</code>, choose <b>Streamable HTTP</b> with the URL below (or{' '}
							<b>SSE</b> with <code>{sseUrl}</code>){token ? ', add the header Authorization: Bearer <token>' : ''}, and
							connect.
						</p>
						<Snippet id="snippet-inspector" label="Inspector URL" text={mcpUrl} />
					</section>
					<section class="card" aria-labelledby="claude-desktop">
						<h3 id="claude-desktop">Claude Desktop (through mcp-remote)</h3>
						<p>
							Add this to <code>claude_desktop_config.json</code>:
						</p>
						<Snippet id="snippet-claude" label="Claude Desktop configuration" text={claude} />
					</section>
					<section class="card" aria-labelledby="curl">
						<h3 id="curl">curl</h3>
						<p>
							{facts.readOnly
								? 'One call lists the images and prints their URLs:'
								: 'One call makes an image and prints its URL:'}
						</p>
						<Snippet id="snippet-curl" label="curl command" text={curl} />
					</section>

					<h2 id="tools">Tools</h2>
					<ul class="tools">
						{facts.tools.map((tool) => (
							<li>
								<code>{tool.name}</code>: {tool.title}
							</li>
						))}
					</ul>
				</main>
				<script nonce={facts.nonce}>{raw(SCRIPT)}</script>
			</body>
		</html>
	);
};

/** The page as HTML text, with its doctype. */
export async function landingHtml(facts: LandingFacts): Promise<string> {
	return `<!doctype html>${await (<LandingPage facts={facts} />).toString()}`;
}

/** Only the page's own inline script and style, by nonce; images only as data: URIs; no framing by others. */
export function landingCsp(nonce: string): string {
	return `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}
