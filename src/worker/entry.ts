/**
 * The fetch entry point: the Hono app, behind the OAuth provider when OAuth is configured.
 * A configured bearer token (AUTH_TOKEN, AUTH_TOKENS) is recognised first and goes straight
 * to the app, so token users never pay the provider's KV read; every other request on an MCP
 * path must carry one of the provider's access tokens.
 */
import { createApp } from './app';
import { authSetup, bearerToken, principalForToken } from './auth';
import { JSON_RPC, jsonRpcError } from './json-rpc';
import { MCP_PATHS, oauthProviderFor } from './oauth/provider';
import { preAuthenticated } from './principal';

export function createHandler() {
	const app = createApp();
	const handler = { fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx) };
	return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
		const setup = authSetup(env);
		if (!setup.oauth || setup.errors.length) return app.fetch(request, env, ctx);
		const url = new URL(request.url);
		const isMcpPath = MCP_PATHS.includes(url.pathname);
		if (isMcpPath) {
			const token = bearerToken(request);
			const principal = token ? await principalForToken(setup, token) : undefined;
			if (principal) {
				preAuthenticated.set(request, principal);
				return app.fetch(request, env, ctx);
			}
		}
		// The origin the request came in on is the protected resource: the provider checks each
		// token's audience against the request URL, so this, not PUBLIC_BASE_URL (a base for image
		// links), is it. A Worker on two hostnames gets a provider, and tokens, per hostname.
		const provider = oauthProviderFor(url.origin, handler);
		const response = await provider.fetch(await withResourceAsOrigin(request, url), env, ctx);
		return isMcpPath && response.status === 401 ? explainChallenge(request, response) : response;
	};
}

/**
 * The protected resource is the whole origin (one token for /mcp, /sse and /messages). RFC 9728
 * clients ask for the resource our metadata names, but some name the endpoint they were given,
 * `https://host/mcp`, which the provider would refuse as an unknown resource (invalid_target).
 * For our MCP paths that is the same protected resource, so the request is rewritten to the origin
 * on the way in: at /authorize (query) and at /token (form).
 */
async function withResourceAsOrigin(request: Request, url: URL): Promise<Request> {
	const origin = url.origin;
	const rewrite = (params: URLSearchParams) => {
		const aliases = new Set(MCP_PATHS.flatMap((path) => [`${origin}${path}`, `${origin}${path}/`]));
		const resources = params.getAll('resource');
		if (!resources.some((resource) => aliases.has(resource))) return false;
		params.delete('resource');
		for (const resource of new Set(resources.map((value) => (aliases.has(value) ? origin : value)))) {
			params.append('resource', resource);
		}
		return true;
	};
	if (url.pathname === '/authorize' && request.method === 'GET') {
		const rewritten = new URL(url);
		return rewrite(rewritten.searchParams) ? new Request(rewritten, request) : request;
	}
	const form = (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
	if (url.pathname === '/token' && request.method === 'POST' && form) {
		const params = new URLSearchParams(await request.clone().text());
		return rewrite(params) ? new Request(request, { body: params.toString() }) : request;
	}
	return request;
}

/**
 * The provider's 401 carries the challenge MCP clients follow (WWW-Authenticate with
 * resource_metadata) but no body; give people with curl a sentence too.
 */
async function explainChallenge(request: Request, response: Response): Promise<Response> {
	const body = await response.text();
	if (body.trim()) return new Response(body, response);
	const explained = jsonRpcError(
		401,
		JSON_RPC.unauthorized,
		bearerToken(request)
			? 'Unauthorized: the bearer token is not valid or has expired. Sign in again with OAuth (MCP clients do this for you) or send a valid "Authorization: Bearer <token>".'
			: 'Unauthorized: sign in with OAuth (MCP clients that support it do this for you) or send "Authorization: Bearer <token>".',
	);
	const headers = new Headers(response.headers);
	headers.set('content-type', explained.headers.get('content-type') ?? 'application/json');
	return new Response(explained.body, { status: 401, headers });
}
