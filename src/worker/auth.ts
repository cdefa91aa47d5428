/**
 * Who is calling. `AUTH_TOKEN` is a bearer token compared in constant time; without one a
 * deployed Worker refuses MCP requests (fail closed) and a local `wrangler dev` serves only
 * loopback clients.
 */
import type { AppConfig } from '../env';
import type { Principal } from '../tools/context';

/** The single principal of a one-token (or local, token-less) deployment. */
export const DEFAULT_PRINCIPAL: Principal = { id: 'default', name: 'default', role: 'admin', via: 'token' };

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401 | 403 | 503; message: string };

const encoder = new TextEncoder();

/**
 * Constant-time comparison: both sides are hashed to 32 bytes first, so neither the
 * contents nor the length of the token leak through timing.
 */
export async function tokensMatch(given: string, expected: string): Promise<boolean> {
	const [a, b] = await Promise.all([
		crypto.subtle.digest('SHA-256', encoder.encode(given)),
		crypto.subtle.digest('SHA-256', encoder.encode(expected)),
	]);
	return crypto.subtle.timingSafeEqual(a, b);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
	return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** A request reached us over loopback: the Host it addressed and, when known, the peer IP. */
export function isLoopbackRequest(request: Request): boolean {
	const peer = request.headers.get('cf-connecting-ip');
	if (peer && !isLoopbackHost(peer) && peer !== '::ffff:127.0.0.1') return false;
	return isLoopbackHost(new URL(request.url).hostname);
}

export async function authenticate(request: Request, config: AppConfig): Promise<AuthResult> {
	if (config.authToken) {
		const header = request.headers.get('authorization') ?? '';
		const match = /^Bearer\s+(.+)$/i.exec(header.trim());
		if (match && (await tokensMatch(match[1]!.trim(), config.authToken))) {
			return { ok: true, principal: DEFAULT_PRINCIPAL };
		}
		return {
			ok: false,
			status: 401,
			message: match
				? 'Unauthorized: the bearer token is not valid.'
				: 'Unauthorized: send the header "Authorization: Bearer <AUTH_TOKEN>".',
		};
	}
	if (config.localDev) {
		if (isLoopbackRequest(request)) return { ok: true, principal: { ...DEFAULT_PRINCIPAL, via: 'local' } };
		return {
			ok: false,
			status: 403,
			message:
				'Forbidden: this local server has no AUTH_TOKEN, so it only serves loopback clients. Set AUTH_TOKEN in .dev.vars to serve others.',
		};
	}
	return {
		ok: false,
		status: 503,
		message:
			'This server has no AUTH_TOKEN configured and refuses all MCP requests. The operator must run: wrangler secret put AUTH_TOKEN',
	};
}
