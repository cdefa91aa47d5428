/**
 * The fetch entry point: the Hono app, behind the OAuth provider when OAuth is configured.
 * A configured bearer token (AUTH_TOKEN, AUTH_TOKENS) is recognised first and goes straight
 * to the app, so token users never pay the provider's KV read; every other request on an MCP
 * path must carry one of the provider's access tokens.
 */
import { createApp } from './app';
import { authSetup, bearerToken, principalForToken } from './auth';
import { JSON_RPC, jsonRpcError } from './json-rpc';
import { MCP_PATHS, oauthProviderFor, resourceOrigin } from './oauth/provider';
import { preAuthenticated } from './principal';

export function createHandler() {
	const app = createApp();
	const handler = { fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx) };
	return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
		const setup = authSetup(env);
		if (!setup.oauth || setup.errors.length) return app.fetch(request, env, ctx);
		const isMcpPath = MCP_PATHS.includes(new URL(request.url).pathname);
		if (isMcpPath) {
			const token = bearerToken(request);
			const principal = token ? await principalForToken(setup, token) : undefined;
			if (principal) {
				preAuthenticated.set(request, principal);
				return app.fetch(request, env, ctx);
			}
		}
		const provider = oauthProviderFor(resourceOrigin(request.url), handler);
		const response = await provider.fetch(request, env, ctx);
		return isMcpPath && response.status === 401 ? explainChallenge(request, response) : response;
	};
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
