/**
 * Browser sessions of the web app (issue 18): server-side rows in D1 (src/db/schema.ts
 * `web_sessions`), a random secret in an `HttpOnly`, `SameSite=Lax` cookie (`Secure`, and
 * `__Host-` prefixed, when deployed), a per-session CSRF token, and the upstream sign-ins in
 * flight (`web_logins`). Only SHA-256 digests of the secrets are stored.
 */
import type { Db } from '../../db/client';
import {
	deleteWebSession,
	findWebSession,
	insertWebLogin,
	insertWebSession,
	takeWebLogin,
} from '../../db/web-sessions';
import type { Principal } from '../../tools/context';
import { randomSecret } from '../oauth/upstream';
import { sha256 } from '../tokens';

/** A session lasts this long from sign-in; then the person signs in again. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** An upstream sign-in must come back within this. */
export const LOGIN_TTL_MS = 10 * 60 * 1000;

export type SessionVia = 'token' | 'oauth' | 'local';

export interface WebSession {
	/** The cookie's secret, only while the response that sets it is built. */
	secret?: string;
	idHash: string;
	principalId: string;
	principalName: string;
	via: SessionVia;
	hostedDomain: string | null;
	csrf: string;
	expiresAt: number;
}

async function digest(secret: string): Promise<string> {
	return Array.from(await sha256(secret), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The session cookie's name: `__Host-` (no Domain, Path=/, Secure) where it can be Secure. */
export function sessionCookieName(secure: boolean): string {
	return secure ? '__Host-image_mcp_session' : 'image_mcp_session';
}

/** The cookie of the upstream sign-in in flight: it holds the `state`, binding the callback to this browser. */
export function loginCookieName(secure: boolean): string {
	return secure ? '__Host-image_mcp_login' : 'image_mcp_login';
}

/** A `Set-Cookie` value; `maxAgeSeconds` 0 clears it. */
export function cookie(name: string, value: string, secure: boolean, maxAgeSeconds: number): string {
	return [
		`${name}=${value}`,
		'Path=/',
		'HttpOnly',
		'SameSite=Lax',
		`Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
		...(secure ? ['Secure'] : []),
	].join('; ');
}

/** The value of cookie `name` in a request's Cookie header. */
export function readCookie(request: Request, name: string): string | undefined {
	for (const part of (request.headers.get('cookie') ?? '').split(';')) {
		const [key, ...rest] = part.trim().split('=');
		if (key === name) return rest.join('=');
	}
	return undefined;
}

export async function createSession(
	db: Db,
	principal: Principal,
	via: SessionVia,
	hostedDomain: string | undefined,
	now: number,
): Promise<WebSession> {
	const secret = randomSecret();
	const session: WebSession = {
		idHash: await digest(secret),
		principalId: principal.id,
		principalName: principal.name,
		via,
		hostedDomain: hostedDomain ?? null,
		csrf: randomSecret(),
		expiresAt: now + SESSION_TTL_MS,
	};
	await insertWebSession(db, { ...session, createdAt: now });
	return { ...session, secret };
}

/** The live session of a cookie's secret, or undefined (unknown, expired or signed out). */
export async function readSession(db: Db, secret: string, now: number): Promise<WebSession | undefined> {
	const row = await findWebSession(db, await digest(secret));
	if (!row || row.expiresAt <= now) return undefined;
	return {
		idHash: row.idHash,
		principalId: row.principalId,
		principalName: row.principalName,
		via: row.via as SessionVia,
		hostedDomain: row.hostedDomain,
		csrf: row.csrf,
		expiresAt: row.expiresAt,
	};
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
	await deleteWebSession(db, idHash);
}

/** Starts an upstream sign-in: its `state` (sent upstream and kept in the login cookie) and PKCE secrets. */
export async function beginLogin(db: Db, now: number): Promise<{ state: string; verifier: string; nonce: string }> {
	const login = { state: randomSecret(), verifier: randomSecret(), nonce: randomSecret() };
	await insertWebLogin(db, {
		stateHash: await digest(login.state),
		verifier: login.verifier,
		nonce: login.nonce,
		expiresAt: now + LOGIN_TTL_MS,
	});
	return login;
}

/** Takes (once) the sign-in whose `state` came back, if it is live. */
export async function takeLogin(
	db: Db,
	state: string,
	now: number,
): Promise<{ verifier: string; nonce: string } | undefined> {
	const row = await takeWebLogin(db, await digest(state));
	if (!row || row.expiresAt <= now) return undefined;
	return { verifier: row.verifier, nonce: row.nonce };
}

/** Constant-time comparison of two strings (the CSRF token). */
export function sameSecret(given: string, expected: string): boolean {
	const a = new TextEncoder().encode(given);
	const b = new TextEncoder().encode(expected);
	if (a.length !== b.length) return false;
	let difference = 0;
	for (let index = 0; index < a.length; index++) difference |= a[index]! ^ b[index]!;
	return difference === 0;
}
