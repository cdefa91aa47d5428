/** The HTTP edge: routes, origin checks, auth, and the MCP transport. */
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { getDb } from '../db/client';
import { openSseSession } from '../db/sse-store';
import { type AppConfig, readConfig } from '../env';
import { SERVER_INFO } from '../mcp/server';
import { ok } from '../result';
import type { RequestScope } from '../tools/context';
import { offeredTools } from '../tools/index';
import { MAX_WAIT_SECONDS } from '../tools/wait';
import { ADMIN_BASE, ADMIN_ROUTES } from './api/admin';
import { openApiDocument, openApiJson } from './api/openapi';
import { problemResponse } from './api/problem';
import { API_BASE, REST_ROUTES, registerRoutes } from './api/rest';
import type { AppEnv } from './app-env';
import {
	type AuthResult,
	authenticate,
	authSetup,
	configuredPrincipals,
	hasCredentials,
	isLoopbackHost,
	isLoopbackRequest,
	isOAuthProps,
	oauthPrincipal,
} from './auth';
import { healthReport, SERVER_FACTS, serviceHealth } from './health';
import { HOST_REFUSED, localRequestRefusal } from './host-guard';
import { serveImage } from './images-route';
import { JSON_RPC, jsonRpcError } from './json-rpc';
import { handleSseMessagePost } from './legacy-sse/messages';
import { SESSION_LIVE_WINDOW_MS, SSE_MAX_WAIT_SECONDS } from './legacy-sse/session-limits';
import { openSseStream } from './legacy-sse/stream';
import { handleMcpPost } from './mcp-route';
import { serveMetrics } from './metrics-route';
import { registerOAuthRoutes } from './oauth/routes';
import { OPENAI_ALLOW_HEADERS, OPENAI_EXPOSE_HEADERS, openAiRefuse } from './openai/errors';
import { registerOpenAiRoutes } from './openai/routes';
import { apiReferenceHtml } from './pages/api-reference';
import { landingCsp, landingHtml } from './pages/landing';
import { preAuthenticated } from './principal';
import { registerWebRoutes } from './web/routes';

/**
 * MCP 2025-11-25 transports, "Security Warning": servers MUST validate Origin to stop DNS
 * rebinding. Allowed: no Origin (non-browser clients), our own origin, configured origins,
 * and loopback origins when the server itself is being reached on loopback in local dev.
 */
export function isAllowedOrigin(origin: string | undefined, requestUrl: string, config: AppConfig): boolean {
	if (!origin) return true;
	const self = new URL(requestUrl);
	if (origin === self.origin || config.allowedOrigins.includes(origin)) return true;
	try {
		return config.localDev && isLoopbackHost(self.hostname) && isLoopbackHost(new URL(origin).hostname);
	} catch {
		return false;
	}
}

/**
 * The caller: recognised by the entry point (a configured bearer token), admitted by the
 * OAuth provider (its token's props), or checked here (bearer tokens, local dev).
 */
async function callerOf(c: Context<AppEnv>): Promise<AuthResult> {
	const known = preAuthenticated.get(c.req.raw);
	if (known) return ok(known);
	const setup = authSetup(c.env);
	const props = (c.executionCtx as ExecutionContext & { props?: unknown }).props;
	if (isOAuthProps(props) && !setup.errors.length) return oauthPrincipal(props, setup);
	return authenticate(c.req.raw, setup, c.get('config'));
}

/** What GET / says about auth: what is true for this server and this caller. */
function describeEntryAuth(setup: ReturnType<typeof authSetup>, config: AppConfig, request: Request): string {
	if (setup.oauth) return 'OAuth 2.1 (MCP clients discover it from the 401), or Authorization: Bearer <token>';
	if (hasCredentials(setup)) return 'Authorization: Bearer <token>';
	if (config.localDev) {
		return isLoopbackRequest(request)
			? 'none needed: a local server with no AUTH_TOKEN serves loopback clients without a token'
			: 'none configured: this local server serves loopback clients only (set AUTH_TOKEN in .dev.vars to serve others)';
	}
	return 'none configured: every MCP request is refused until the operator sets AUTH_TOKEN, AUTH_TOKENS or OAuth';
}

/**
 * Whether the client asked for HTML over JSON: `text/html` named explicitly with a higher
 * quality than `application/json` (or the same, and first), as browsers send it. curl's `*\/*`
 * and API clients keep the JSON.
 */
function prefersHtml(accept: string | undefined): boolean {
	const ranges = (accept ?? '').split(',').map((part) => {
		const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
		const q = parameters.find((parameter) => parameter.startsWith('q='));
		return { type, q: q ? Number(q.slice(2)) || 0 : 1 };
	});
	const html = ranges.findIndex((range) => range.type === 'text/html' && range.q > 0);
	if (html === -1) return false;
	const json = ranges.findIndex((range) => range.type === 'application/json');
	if (json === -1) return true;
	return ranges[html]!.q > ranges[json]!.q || (ranges[html]!.q === ranges[json]!.q && html < json);
}

/** GET / for a browser: the landing page (src/worker/pages/landing.tsx). */
async function landingPage(c: Context<AppEnv>): Promise<Response> {
	const config = c.get('config');
	const setup = authSetup(c.env);
	const nonce = crypto.randomUUID().replaceAll('-', '');
	const html = await landingHtml({
		title: SERVER_INFO.title,
		version: SERVER_INFO.version,
		origin: config.publicBaseUrl ?? new URL(c.req.url).origin,
		auth: describeEntryAuth(setup, config, c.req.raw),
		needsToken: hasCredentials(setup) || !config.localDev,
		health: await serviceHealth(c.env, config),
		tools: offeredTools(config.readOnly).map((tool) => ({ name: tool.name, title: tool.title })),
		readOnly: config.readOnly,
		nonce,
	});
	return c.html(html, 200, {
		'content-security-policy': landingCsp(nonce),
		'cache-control': 'no-store',
		vary: 'Accept',
		'x-content-type-options': 'nosniff',
	});
}

function notFound(c: Context<AppEnv>): Response {
	return c.json({ error: `Not found: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404);
}

/** Where OAuth clients look for metadata (RFC 8414, RFC 9728, OpenID discovery). */
const OAUTH_DISCOVERY_PATHS = [
	'/.well-known/oauth-authorization-server',
	'/.well-known/oauth-authorization-server/*',
	'/.well-known/oauth-protected-resource',
	'/.well-known/oauth-protected-resource/*',
	'/.well-known/openid-configuration',
];
/** The OAuth endpoints the MCP SDK's client calls itself (a browser opens /authorize: src/worker/oauth/routes.ts). */
const OAUTH_ENDPOINT_PATHS = ['/register', '/token'];
const NO_OAUTH =
	'This server does not use OAuth: it takes a bearer token. Send the header "Authorization: Bearer <token>" ' +
	'(mcp-remote: --header "Authorization: Bearer <token>"; the operator gives out the token, see docs/security.md).';
/** Why the guard in front of an endpoint refused a request: its Host, its Origin, or its credentials. */
type RefusalReason = 'host' | 'origin' | 'auth';
/** How an endpoint says no, in its own error shape. */
type Refuse = (
	c: Context<AppEnv>,
	status: number,
	message: string,
	headers: Record<string, string>,
	why: RefusalReason,
) => Response;
const RPC_REFUSAL_CODES: Record<RefusalReason, number> = {
	host: HOST_REFUSED,
	origin: JSON_RPC.invalidRequest,
	auth: JSON_RPC.unauthorized,
};

export function createApp() {
	const app = new Hono<AppEnv>();

	app.use('*', async (c, next) => {
		c.set('config', readConfig(c.env));
		await next();
	});

	const guard = (path: string, refuse: Refuse, allowHeaders: string[], exposeHeaders: string[]) => {
		// Local dev only: DNS-rebinding protection by Host (src/worker/host-guard.ts).
		app.use(path, async (c, next) => {
			const config = c.get('config');
			const refusal = config.localDev ? localRequestRefusal(c.req.raw, config) : null;
			if (refusal) return refuse(c, 403, refusal, {}, 'host');
			await next();
		});
		app.use(
			path,
			cors({
				origin: (origin, c) => (isAllowedOrigin(origin, c.req.url, c.get('config')) ? origin : null),
				allowMethods: ['POST', 'GET', 'PATCH', 'DELETE', 'OPTIONS'],
				allowHeaders,
				exposeHeaders,
				maxAge: 86400,
			}),
		);
		app.use(path, async (c, next) => {
			if (!isAllowedOrigin(c.req.header('origin'), c.req.url, c.get('config'))) {
				return refuse(c, 403, 'Forbidden: requests from this Origin are not allowed.', {}, 'origin');
			}
			const auth = await callerOf(c);
			if (!auth.ok) {
				const challenge: Record<string, string> =
					auth.error.status === 401 ? { 'www-authenticate': 'Bearer realm="image-mcp"' } : {};
				return refuse(c, auth.error.status, auth.error.message, challenge, 'auth');
			}
			c.set('principal', auth.value);
			await next();
		});
	};

	for (const path of ['/mcp', '/sse', '/messages']) {
		guard(
			path,
			(_c, status, message, headers, why) => jsonRpcError(status, RPC_REFUSAL_CODES[why], message, headers),
			['Content-Type', 'Accept', 'Authorization', 'Mcp-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID'],
			['Mcp-Session-Id', 'Mcp-Protocol-Version', 'WWW-Authenticate'],
		);
	}
	const problemRefuse: Refuse = (c, status, message, headers) =>
		problemResponse({
			kind: status === 401 ? 'unauthorized' : status === 503 ? 'unavailable' : 'forbidden',
			detail: message,
			instance: new URL(c.req.url).pathname,
			headers,
		});
	for (const path of [`${API_BASE}/*`, `${ADMIN_BASE}/*`]) {
		guard(
			path,
			problemRefuse,
			['Content-Type', 'Accept', 'Authorization', 'Idempotency-Key'],
			['Location', 'Retry-After', 'WWW-Authenticate'],
		);
	}
	guard('/v1/*', openAiRefuse, OPENAI_ALLOW_HEADERS, OPENAI_EXPOSE_HEADERS);

	// Stateless: no server-initiated stream and no session to delete (MCP 2025-11-25 transports).
	const methodNotAllowed = () =>
		jsonRpcError(405, JSON_RPC.invalidRequest, 'Method not allowed: this stateless server only takes POST.', {
			allow: 'POST',
		});
	app.get('/mcp', methodNotAllowed);
	app.delete('/mcp', methodNotAllowed);

	const scopeOf = (c: Context<AppEnv>, maxWaitSeconds = MAX_WAIT_SECONDS): RequestScope => {
		const config = c.get('config');
		return {
			env: c.env,
			config,
			db: getDb(c.env),
			principal: c.get('principal'),
			urls: { workerBase: config.publicBaseUrl ?? new URL(c.req.url).origin, r2Base: config.r2PublicBaseUrl },
			maxWaitSeconds,
			configuredPrincipals: configuredPrincipals(authSetup(c.env)),
			server: SERVER_FACTS,
		};
	};
	app.post('/mcp', (c) => handleMcpPost(c.req.raw, scopeOf(c)));
	registerRoutes(app, API_BASE, REST_ROUTES, (c) => scopeOf(c));
	registerRoutes(app, ADMIN_BASE, ADMIN_ROUTES, (c) => scopeOf(c));
	registerOpenAiRoutes(app, (c) => scopeOf(c));
	// Clients that try Streamable HTTP first on the URL they were given (mcp-remote, Better Chatbot).
	app.post('/sse', (c) => handleMcpPost(c.req.raw, scopeOf(c)));

	// Legacy HTTP+SSE (MCP 2024-11-05): the stream, and the endpoint its first event names.
	app.get('/sse', async (c) => {
		const config = c.get('config');
		const opened = await openSseSession(getDb(c.env), c.get('principal').id, Date.now(), {
			maxOpen: config.sse.maxStreamsPerPrincipal,
			liveWindowMs: SESSION_LIVE_WINDOW_MS,
		});
		if (!opened.ok) {
			return c.json(
				{
					error: `Too many open streams: you have ${opened.error.open}, the limit is ${config.sse.maxStreamsPerPrincipal}. Close one, or use Streamable HTTP at POST /mcp, which needs no stream.`,
				},
				429,
			);
		}
		return openSseStream(getDb(c.env), opened.value, config.sse);
	});
	app.post('/messages', (c) =>
		handleSseMessagePost(c.req.raw, scopeOf(c, SSE_MAX_WAIT_SECONDS), c.get('config').sse, c.executionCtx),
	);

	app.on(['GET', 'HEAD'], '/images/:jobId/:file', (c) =>
		serveImage(c.req.raw, c.env, `${c.req.param('jobId')}/${c.req.param('file')}`),
	);

	registerWebRoutes(app, (c) => scopeOf(c));
	registerOAuthRoutes(app);

	app.get('/health', (c) => healthReport(c.req.raw, c.env, c.get('config')));

	// The API's description: public (it holds nobody's data), readable from any origin.
	const apiOrigin = (c: Context<AppEnv>) => c.get('config').publicBaseUrl ?? new URL(c.req.url).origin;
	app.get('/openapi.json', (c) =>
		c.body(openApiJson(apiOrigin(c)), 200, {
			'content-type': 'application/json; charset=utf-8',
			'access-control-allow-origin': '*',
			'cache-control': 'public, max-age=300',
		}),
	);
	app.get('/api/docs', async (c) => {
		const nonce = crypto.randomUUID().replaceAll('-', '');
		return c.html(await apiReferenceHtml(openApiDocument(apiOrigin(c)), apiOrigin(c), nonce), 200, {
			'content-security-policy': landingCsp(nonce),
			'cache-control': 'no-store',
			'x-content-type-options': 'nosniff',
		});
	});
	app.get('/metrics', (c) => serveMetrics(c.req.raw, c.env, c.get('config')));

	app.get('/', async (c) => {
		if (prefersHtml(c.req.header('accept'))) return landingPage(c);
		return c.json({
			name: SERVER_INFO.name,
			title: SERVER_INFO.title,
			version: SERVER_INFO.version,
			mcp_endpoint: `${new URL(c.req.url).origin}/mcp`,
			transport: 'Streamable HTTP (stateless), POST /mcp; legacy HTTP+SSE, GET /sse then POST /messages',
			auth: describeEntryAuth(authSetup(c.env), c.get('config'), c.req.raw),
			tools: offeredTools(c.get('config').readOnly).map((tool) => tool.name),
			...(c.get('config').readOnly ? { read_only: true } : {}),
			health: '/health',
		});
	});

	// A known path asked with a method it does not take: 405 naming the methods it does, not a 404.
	app.all('/mcp', methodNotAllowed);
	const mcpMethodNotAllowed = (allow: string) => (c: Context<AppEnv>) =>
		jsonRpcError(
			405,
			JSON_RPC.invalidRequest,
			`Method not allowed: ${c.req.method} ${new URL(c.req.url).pathname} takes ${allow}.`,
			{ allow },
		);
	app.all('/sse', mcpMethodNotAllowed('GET, POST'));
	app.all('/messages', mcpMethodNotAllowed('POST'));
	const plainMethodNotAllowed = (allow: string) => (c: Context<AppEnv>) =>
		c.json({ error: `Method not allowed: ${c.req.method} ${new URL(c.req.url).pathname} takes ${allow}.` }, 405, {
			allow,
		});
	app.all('/images/:jobId/:file', plainMethodNotAllowed('GET, HEAD'));
	app.all('/health', plainMethodNotAllowed('GET, HEAD'));
	app.all('/openapi.json', plainMethodNotAllowed('GET, HEAD'));
	app.all('/api/docs', plainMethodNotAllowed('GET, HEAD'));
	app.all('/metrics', plainMethodNotAllowed('GET, HEAD'));
	app.all('/', plainMethodNotAllowed('GET, HEAD'));

	// Without OAuth, clients that try it anyway (mcp-remote after a 401) learn what to do instead
	// of "Dynamic Client Registration rejected (HTTP 404)". With OAuth, the provider answers these.
	for (const path of OAUTH_DISCOVERY_PATHS) {
		app.all(path, (c) =>
			authSetup(c.env).oauth ? notFound(c) : c.json({ error: 'not_found', error_description: NO_OAUTH }, 404),
		);
	}
	for (const path of OAUTH_ENDPOINT_PATHS) {
		app.all(path, (c) =>
			authSetup(c.env).oauth ? notFound(c) : c.json({ error: 'invalid_request', error_description: NO_OAUTH }, 400),
		);
	}

	app.notFound(notFound);
	app.onError((error, c) => {
		console.error('unhandled error', error);
		return c.json({ error: 'Internal error.' }, 500);
	});
	return app;
}
