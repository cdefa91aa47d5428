/**
 * What every web page handler shares (issue 18): the request's variables (who, which session,
 * the operations' scope), rendering a page with the app's security headers, running an
 * operation of src/tools/ exactly as the MCP tools and the REST API do, and starting a session.
 */
import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { getDb } from '../../db/client';
import type { AppConfig } from '../../env';
import type { Principal, RequestScope, ToolDefinition, ToolOutcome } from '../../tools/context';
import { runOperation } from '../../tools/run';
import { httpToolContext } from '../api/rest';
import type { AppEnv } from '../app-env';
import type { Viewer } from './layout';
import { cookie, createSession, SESSION_TTL_MS, type SessionVia, sessionCookieName, type WebSession } from './session';

export type WebEnv = {
	Bindings: Env;
	Variables: AppEnv['Variables'] & {
		/** The browser's session (every /ui page past sign-in has one). */
		session: WebSession;
		/** The scope the operations run in, as for the MCP and REST faces. */
		scope: RequestScope;
	};
};

/** The CSP of every web page: our own stylesheet, script and images, nothing from elsewhere. */
export function webCsp(config: AppConfig): string {
	const r2 = config.r2PublicBaseUrl ? ` ${new URL(config.r2PublicBaseUrl).origin}` : '';
	return [
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		`img-src 'self' data:${r2}`,
		"connect-src 'self'",
		"form-action 'self'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
	].join('; ');
}

/** Renders a page with the app's headers: CSP, no caching, no sniffing, no framing, no referrer elsewhere. */
export async function htmlPage(
	c: Context<WebEnv>,
	page: JSX.Element,
	status = 200,
	headers: Record<string, string> = {},
): Promise<Response> {
	return new Response(`<!doctype html>${await page.toString()}`, {
		status,
		headers: {
			'content-type': 'text/html; charset=utf-8',
			'content-security-policy': webCsp(c.get('config')),
			'cache-control': 'no-store',
			'x-content-type-options': 'nosniff',
			'referrer-policy': 'same-origin',
			...headers,
		},
	});
}

/** Whether cookies are Secure here: deployed, or served over https. */
export function secureCookies(c: Context<WebEnv>): boolean {
	return !c.get('config').localDev || new URL(c.req.url).protocol === 'https:';
}

/** Where to go after sign-in: a path of the web app only, never another site. */
export function safeNext(next: string | undefined): string {
	// "/ui" then the end, a "/" or a "?": never "/uix…" nor a path that leaves the app.
	return next && /^\/ui(?:[/?]|$)/.test(next) && !/[\\\s]/.test(next) ? next : '/ui/gallery';
}

/** A 303 to a path of ours (after a form post: the browser GETs the result). */
export function seeOther(location: string, headers: Record<string, string> = {}): Response {
	return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', ...headers } });
}

/** Starts a session for `principal`, sets its cookie (and any others) and goes to `next`. */
export async function startSession(
	c: Context<WebEnv>,
	principal: Principal,
	via: SessionVia,
	hostedDomain: string | undefined,
	next: string,
	extraCookies: string[] = [],
): Promise<Response> {
	const secure = secureCookies(c);
	const session = await createSession(getDb(c.env), principal, via, hostedDomain, Date.now());
	const response = seeOther(next);
	response.headers.append(
		'set-cookie',
		cookie(sessionCookieName(secure), session.secret!, secure, SESSION_TTL_MS / 1000),
	);
	for (const value of extraCookies) response.headers.append('set-cookie', value);
	return response;
}

/** What the page shell shows about the signed-in person. */
export function viewerOf(c: Context<WebEnv>): Viewer {
	const principal = c.get('principal');
	const session = c.get('session');
	return {
		name: principal.name,
		role: principal.role,
		csrf: session.csrf,
		canSignOut: session.via !== 'local',
		readOnly: c.get('config').readOnly,
	};
}

/** Runs an operation of src/tools/ for this page, as the MCP tools and the REST API do. */
export function runWebOperation(c: Context<WebEnv>, tool: ToolDefinition, args: unknown): Promise<ToolOutcome> {
	return runOperation(tool, args, httpToolContext(c.get('scope'), c.req.raw));
}

/** The text fields of a posted form (files and repeated fields aside: the last value wins). */
export async function formFields(c: Context<WebEnv>): Promise<Record<string, string>> {
	const body = await c.req.parseBody();
	const fields: Record<string, string> = {};
	for (const [name, value] of Object.entries(body)) if (typeof value === 'string') fields[name] = value;
	return fields;
}
