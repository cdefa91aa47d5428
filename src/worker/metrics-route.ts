/**
 * GET /metrics: Prometheus metrics (docs/metrics.md) for whoever may see the whole service: the
 * METRICS_TOKEN bearer (a token that opens this and nothing else), an admin's bearer token
 * (AUTH_TOKEN or an AUTH_TOKENS entry with role admin), or, as for the MCP endpoint, a loopback
 * client of a local server with no credentials at all. Anyone else gets a JSON refusal that says
 * what is needed. A scrape reads D1 once: one batch of two SELECTs.
 */
import { getDb } from '../db/client';
import type { AppConfig } from '../env';
import { collectMetrics } from '../metrics/collect';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from '../metrics/exposition';
import { err, ok, type Result } from '../result';
import { authenticate, authSetup, bearerToken, hasCredentials } from './auth';
import { sha256 } from './tokens';

interface MetricsRefusal {
	status: 401 | 403 | 503;
	message: string;
}

const NEEDED =
	'send "Authorization: Bearer <token>" with the METRICS_TOKEN or the bearer token of an admin (AUTH_TOKEN, or an AUTH_TOKENS entry with role admin)';

/** Whether `token` is `expected`, compared in constant time on their SHA-256 digests. */
async function sameToken(token: string, expected: string): Promise<boolean> {
	const [given, wanted] = await Promise.all([sha256(token), sha256(expected)]);
	return crypto.subtle.timingSafeEqual(given, wanted);
}

/** Who may scrape: the METRICS_TOKEN, an admin, or token-less local dev's loopback clients. */
export async function metricsAccess(
	request: Request,
	env: Env,
	config: AppConfig,
): Promise<Result<undefined, MetricsRefusal>> {
	const token = bearerToken(request);
	if (config.metricsToken && token !== undefined && (await sameToken(token, config.metricsToken))) return ok();
	const setup = authSetup(env);
	if (hasCredentials(setup) || setup.errors.length) {
		if (token === undefined) return err({ status: 401, message: `Unauthorized: ${NEEDED}.` });
		// OAuth access tokens are not taken here: a scraper holds a fixed token, not a login.
		const auth = await authenticate(request, setup, config);
		if (!auth.ok) {
			return err(
				auth.error.status === 401
					? { status: 401, message: `Unauthorized: the bearer token is not valid here; ${NEEDED}.` }
					: auth.error,
			);
		}
		if (auth.value.role !== 'admin') {
			return err({
				status: 403,
				message: `Forbidden: /metrics shows the whole service, so it needs the admin role or the METRICS_TOKEN, and "${auth.value.id}" is a user.`,
			});
		}
		return ok();
	}
	if (config.metricsToken) {
		return err({
			status: 401,
			message: token ? `Unauthorized: the bearer token is not valid here; ${NEEDED}.` : `Unauthorized: ${NEEDED}.`,
		});
	}
	// Nothing configured: the MCP endpoint's rule (loopback clients of local dev only).
	const local = await authenticate(request, setup, config);
	if (local.ok) return ok();
	if (config.localDev) return err(local.error);
	return err({
		status: 401,
		message:
			'Unauthorized: this server has no METRICS_TOKEN and no admin token, so /metrics is closed. The operator sets one (wrangler secret put METRICS_TOKEN) and scrapes with "Authorization: Bearer <it>"; see docs/metrics.md.',
	});
}

/** GET /metrics: the exposition, or the refusal as JSON (`WWW-Authenticate: Bearer` with a 401). */
export async function serveMetrics(request: Request, env: Env, config: AppConfig): Promise<Response> {
	const access = await metricsAccess(request, env, config);
	if (!access.ok) {
		const headers: Record<string, string> = { 'cache-control': 'no-store' };
		if (access.error.status === 401) headers['www-authenticate'] = 'Bearer realm="image-mcp-metrics"';
		return Response.json({ error: access.error.message }, { status: access.error.status, headers });
	}
	const body = renderExposition(await collectMetrics(getDb(env)));
	return new Response(body, { headers: { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' } });
}
