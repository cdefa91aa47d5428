/** The two pages a person sees while signing in: whether to let an app in, and what went wrong. */
import type { ConsentDescription } from '@cloudflare/workers-oauth-provider';

/** Everything the client chose (its name, scopes) is escaped: it is attacker-controlled. */
export function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}.note{background:#fff4d6;padding:.6rem .8rem;border-radius:6px}
button{font:inherit;padding:.5rem 1.1rem;margin-right:.5rem;border-radius:6px;border:1px solid #888;cursor:pointer}
button[value=approve]{background:#1a5fd0;color:#fff;border-color:#1a5fd0}`;

function page(title: string, body: string): string {
	return `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style>
<body>${body}</body></html>`;
}

export function consentPage(details: ConsentDescription, handle: string, serverName: string, providerName: string) {
	const client = escapeHtml(details.clientName);
	const publisher = details.clientDomain
		? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
		: 'This app registered itself; its name is not verified.';
	const local = details.redirectIsLoopback
		? '<p class="note"><strong>This sends access to an app on your computer.</strong> Continue only if you just started signing in from it.</p>'
		: '';
	return page(
		`Allow ${details.clientName}?`,
		`<h1>Allow ${client} to use ${escapeHtml(serverName)}?</h1>
<p>${publisher} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>
${local}
<p>It will be able to generate images, list and delete your images and jobs, and spend from your budget, as you.
You will sign in with ${escapeHtml(providerName)} next.</p>
<form method="post">
<input type="hidden" name="handle" value="${escapeHtml(handle)}">
<p><button name="decision" value="approve">Allow and sign in</button><button name="decision" value="deny">Deny</button></p>
</form>`,
	);
}

const NO_STORE = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' };

export function messagePage(status: number, title: string, message: string): Response {
	return new Response(page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`), {
		status,
		headers: NO_STORE,
	});
}
