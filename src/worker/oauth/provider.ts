/**
 * OAuth 2.1 for MCP clients that log in, through @cloudflare/workers-oauth-provider: it
 * serves the protected-resource and authorization-server metadata, dynamic client
 * registration, the token endpoint (PKCE required) and checks its access tokens on the MCP
 * paths; our sign-in pages are in routes.ts. The whole origin is the protected resource,
 * so one token serves /mcp, /sse and /messages.
 */
import { OAuthProvider } from '@cloudflare/workers-oauth-provider';
import { SERVER_INFO } from '../../mcp/server';

export const MCP_PATHS = ['/mcp', '/sse', '/messages'];

type Handler = ExportedHandler<Env> & { fetch: NonNullable<ExportedHandler<Env>['fetch']> };

/** Access tokens live an hour; refresh tokens 30 days (the library's defaults, stated). */
const ACCESS_TOKEN_TTL_S = 3600;
const REFRESH_TOKEN_TTL_S = 30 * 24 * 3600;

// One provider per origin it serves (normally one); built once, as the library expects.
const providers = new Map<string, OAuthProvider<Env>>();

export function oauthProviderFor(origin: string, app: Handler): OAuthProvider<Env> {
	let provider = providers.get(origin);
	if (!provider) {
		provider = new OAuthProvider<Env>({
			apiRoute: MCP_PATHS,
			apiHandler: app,
			defaultHandler: app,
			authorizeEndpoint: '/authorize',
			tokenEndpoint: '/token',
			clientRegistrationEndpoint: '/register',
			// Clients that identify by a URL to their metadata (Client ID Metadata Documents,
			// MCP 2025-11-25) need no registration; needs global_fetch_strictly_public.
			clientIdMetadataDocumentEnabled: true,
			accessTokenTTL: ACCESS_TOKEN_TTL_S,
			refreshTokenTTL: REFRESH_TOKEN_TTL_S,
			resourceMetadata: {
				resource: origin,
				authorization_servers: [origin],
				resource_name: SERVER_INFO.title,
			},
		});
		providers.set(origin, provider);
	}
	return provider;
}
