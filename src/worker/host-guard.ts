/**
 * DNS-rebinding protection for local dev (docs/security.md, "DNS rebinding").
 *
 * The attack (MCP 2025-11-25 security best practices, "Local MCP server compromise"): a page on
 * evil.example whose DNS name the attacker re-points at 127.0.0.1 reaches a server on the victim's
 * loopback from the victim's browser, as a same-origin request: Host and Origin say
 * evil.example, and no CORS preflight stops it. A token-less `wrangler dev` trusts loopback, so
 * in local dev every request to an MCP or API endpoint must be addressed to a loopback host (or one
 * in ALLOWED_HOSTS), and its Origin, when a browser sends one, must name such a host too
 * (MCP 2025-11-25 transports, "Security Warning": servers MUST validate Origin).
 *
 * Deployed Workers are not guarded here: Cloudflare routes a request to a Worker by the hostname
 * it is addressed to, so a rebound name never reaches ours, and every MCP request needs a token
 * a rebinding page does not have. The Origin check in app.ts applies there.
 */
import type { AppConfig } from '../env';
import { clip } from '../text';
import { isLoopbackHost } from './auth';

/** JSON-RPC "server error", what the MCP SDK's own hostHeaderValidation middleware answers with. */
export const HOST_REFUSED = -32000;

function isLocalHost(hostname: string, config: AppConfig): boolean {
	return isLoopbackHost(hostname) || config.allowedHosts.includes(hostname);
}

function allowedHostsText(config: AppConfig): string {
	const extra = config.allowedHosts.length ? `, or ${config.allowedHosts.join(', ')} (ALLOWED_HOSTS)` : '';
	return `localhost, *.localhost, 127.0.0.1 (any 127.x.x.x) or [::1]${extra}`;
}

/** The hostname of an Origin header, or undefined for "null" and anything else that is no URL. */
function originHostname(origin: string): string | undefined {
	try {
		return new URL(origin).hostname;
	} catch {
		return undefined;
	}
}

/**
 * Why a local-dev request must be refused, or null when its Host and Origin are local. The Host
 * is the request URL's hostname: wrangler dev passes the client's Host header through to it.
 */
export function localRequestRefusal(request: Request, config: AppConfig): string | null {
	const hostname = new URL(request.url).hostname;
	if (!isLocalHost(hostname, config)) {
		return `Forbidden: this local server answers only requests addressed to ${allowedHostsText(config)}, and this one was addressed to host "${clip(hostname, 100)}" (DNS-rebinding protection). If that name or address is this machine's, add it to ALLOWED_HOSTS (comma-separated) in .dev.vars; it still needs an AUTH_TOKEN to be served. If this Worker is deployed, it was deployed with the local configuration (LOCAL_DEV=true): deploy with npm run deploy (wrangler deploy --env production).`;
	}
	const origin = request.headers.get('origin');
	if (origin === null || config.allowedOrigins.includes(origin)) return null;
	const originHost = originHostname(origin);
	if (originHost !== undefined && isLocalHost(originHost, config)) return null;
	return `Forbidden: this local server takes browser requests only from pages on ${allowedHostsText(config)}, or from an origin listed in ALLOWED_ORIGINS, and this one came from Origin "${clip(origin, 100)}" (DNS-rebinding protection).`;
}
