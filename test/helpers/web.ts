/**
 * A browser as the web app's workers tests drive it (src/worker/web/): requests through the
 * real app with a session cookie, form posts from this origin, and reading values back out of
 * the rendered HTML.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { createApp } from '../../src/worker/app';

export const BASE = 'http://localhost';

export function fetchWith(bindings: Partial<Env>, path: string, init: RequestInit = {}) {
	return createApp().fetch(
		new Request(`${BASE}${path}`, { redirect: 'manual', ...init }),
		{ ...env, ...bindings },
		createExecutionContext(),
	);
}

/** A form post; `fields` as pairs, so a field may be given twice (the reference checkboxes). */
export function post(
	fields: Record<string, string> | [string, string][],
	headers: Record<string, string> = {},
): RequestInit {
	return {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...headers },
		body: new URLSearchParams(fields).toString(),
	};
}

export function unescapeHtml(text: string): string {
	return text
		.replaceAll('&quot;', '"')
		.replaceAll('&#39;', "'")
		.replaceAll('&lt;', '<')
		.replaceAll('&gt;', '>')
		.replaceAll('&amp;', '&');
}

export function escapeHtml(text: string): string {
	return text
		.replaceAll('&', '&amp;')
		.replaceAll('<', '&lt;')
		.replaceAll('>', '&gt;')
		.replaceAll('"', '&quot;')
		.replaceAll("'", '&#39;');
}

/** The value of the hidden input `name` (the first one) in `html`. */
export function hiddenValue(html: string, name: string): string {
	const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
	expect(match, `a hidden ${name} field`).not.toBeNull();
	return unescapeHtml(match![1]!);
}

/** A browser signed in with `user`'s token (`token-<user>`, as usersEnv makes them): its cookie and page readers. */
export async function signedInBrowser(bindings: Partial<Env>, user: string) {
	const signedIn = await fetchWith(bindings, '/ui/signin', post({ token: `token-${user}` }));
	const set = signedIn.headers.getSetCookie().find((value) => /^(__Host-)?image_mcp_session=/.test(value));
	expect(set, 'a session cookie').toBeDefined();
	const cookie = set!.split(';')[0]!;
	const get = (path: string) => fetchWith(bindings, path, { headers: { cookie } });
	const page = async (path: string) => {
		const response = await get(path);
		return { status: response.status, html: await response.text() };
	};
	return {
		cookie,
		get,
		page,
		send: (path: string, fields: Record<string, string> | [string, string][]) =>
			fetchWith(bindings, path, post(fields, { cookie })),
	};
}

/** A name no other test uses, for a user or a prompt. */
export function unique(name: string): string {
	return `${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A request through the real app, as `user` (a `token-<id>` bearer) or with the headers given, JSON body if any. */
export async function requestAs(
	bindings: Partial<Env>,
	method: string,
	path: string,
	options: { user?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<Response> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.user) headers.authorization = `Bearer token-${options.user}`;
	let body: string | undefined = options.rawBody;
	if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		headers['content-type'] ??= 'application/json';
	}
	return createApp().fetch(
		new Request(`${BASE}${path}`, { method, headers, body }),
		{ ...env, ...bindings },
		createExecutionContext(),
	);
}
