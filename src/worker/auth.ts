/**
 * Who is calling (docs/security.md). Three ways in, side by side:
 * - `AUTH_TOKEN`: one shared bearer token, the single admin principal `default`;
 * - `AUTH_TOKENS`: a table of principals, each with the SHA-256 of its token;
 * - OAuth: MCP clients that log in get tokens from us after an upstream OIDC sign-in.
 * Tokens are compared in constant time. With none of them, a deployed Worker refuses MCP
 * requests (fail closed) and a local `wrangler dev` serves only loopback clients; with half
 * an OAuth setup or an unreadable token table, everything is refused and /health says why.
 */
import { type AppConfig, readConfig } from '../env';
import { err, ok, type Result } from '../result';
import type { Principal } from '../tools/context';
import { admit, type OAuthEnv, type OAuthSettings, readOAuthSettings } from './oauth/settings';
import { lookupToken, parseTokenTable, sha256, type TokenTable } from './tokens';

/** The single principal of a one-token (or local, token-less) deployment. */
export const DEFAULT_PRINCIPAL: Principal = { id: 'default', name: 'default', role: 'admin', via: 'token' };

/** Why a caller is refused: the HTTP status and a message that says what to do. */
export interface AuthRefusal {
	status: 401 | 403 | 503;
	message: string;
}

export type AuthResult = Result<Principal, AuthRefusal>;

/** How this deployment authenticates, parsed once per distinct configuration. */
export interface AuthSetup {
	authToken: string | undefined;
	tokens: TokenTable | undefined;
	/**
	 * Every bearer token accepted, as one table: the AUTH_TOKENS entries, then AUTH_TOKEN as the
	 * principal `default`, hashed once here so a request hashes only the token it presents.
	 */
	bearer: Promise<TokenTable> | undefined;
	oauth: OAuthSettings | undefined;
	/** Misconfiguration: while there is any, every MCP request is refused with these. */
	errors: string[];
}

async function bearerTable(listed: TokenTable | undefined, shared: string | undefined): Promise<TokenTable> {
	const entries = [...(listed?.entries ?? [])];
	if (shared) entries.push({ principal: DEFAULT_PRINCIPAL, hash: await sha256(shared) });
	return { entries };
}

type AuthEnv = OAuthEnv & Pick<Env, 'AUTH_TOKEN' | 'AUTH_TOKENS'>;

/** The settings auth depends on, in a fixed order: AUTH_TOKEN, AUTH_TOKENS, the OAUTH_* settings and OAUTH_KV. */
function setupValues(env: AuthEnv): unknown[] {
	const { auth, oauth } = readConfig(env);
	return [auth.token, auth.tokens, ...Object.values(oauth), env.OAUTH_KV];
}

// A few configurations per isolate (one in production; tests and benches switch between some),
// matched by identity of each setting, so a large AUTH_TOKENS is neither copied nor re-parsed.
const setups: { values: unknown[]; setup: AuthSetup }[] = [];
const MAX_SETUPS = 8;

export function authSetup(env: AuthEnv): AuthSetup {
	const values = setupValues(env);
	const known = setups.find((entry) => entry.values.every((value, index) => value === values[index]));
	if (known) return known.setup;
	const { auth } = readConfig(env);
	const tokens = parseTokenTable(auth.tokens);
	const oauth = readOAuthSettings(env);
	const authToken = auth.token;
	const listed = tokens.ok ? tokens.value : undefined;
	const setup: AuthSetup = {
		authToken,
		tokens: listed,
		bearer: authToken || listed ? bearerTable(listed, authToken) : undefined,
		oauth: oauth.ok ? oauth.value : undefined,
		errors: [...(tokens.ok ? [] : [tokens.error]), ...(oauth.ok ? [] : [oauth.error])],
	};
	setups.unshift({ values, setup });
	setups.length = Math.min(setups.length, MAX_SETUPS);
	return setup;
}

/** The principals the bearer tokens name: AUTH_TOKENS' entries, then AUTH_TOKEN's `default`. */
export function configuredPrincipals(setup: AuthSetup): Principal[] {
	return [
		...(setup.tokens?.entries.map((entry) => entry.principal) ?? []),
		...(setup.authToken ? [DEFAULT_PRINCIPAL] : []),
	];
}

/** Whether anything at all can authenticate a caller. */
export function hasCredentials(setup: AuthSetup): boolean {
	return Boolean(setup.authToken || setup.tokens || setup.oauth);
}

/**
 * Why token-less local mode is off although LOCAL_DEV is set: ALLOWED_HOSTS says the server is
 * reached from other machines, and the Worker cannot tell a loopback client from one of those
 * that writes `CF-Connecting-IP: 127.0.0.1` and `Host: localhost` itself (wrangler dev keeps a
 * client's own CF-Connecting-IP). Undefined when token-less local mode applies.
 */
export function exposedLocalDevRefusal(config: Pick<AppConfig, 'localDev' | 'allowedHosts'>): string | undefined {
	if (!config.localDev || config.allowedHosts.length === 0) return undefined;
	return `This local server has no AUTH_TOKEN but ALLOWED_HOSTS (${config.allowedHosts.join(', ')}) opens it to other machines, which could pass for loopback clients (the client IP and Host it sees are theirs to write), so it refuses MCP requests. Set AUTH_TOKEN in .dev.vars, or remove ALLOWED_HOSTS to serve only this machine.`;
}

/** For /health and the startup log: what is accepted, and whether MCP requests are served. */
export function describeAuth(setup: AuthSetup, config: Pick<AppConfig, 'localDev' | 'allowedHosts'>) {
	const modes = [
		...(setup.authToken ? ['bearer token (AUTH_TOKEN)'] : []),
		...(setup.tokens
			? [
					`bearer tokens (AUTH_TOKENS: ${setup.tokens.entries.length} token${setup.tokens.entries.length === 1 ? '' : 's'})`,
				]
			: []),
		...(setup.oauth ? [`OAuth (sign in with ${setup.oauth.providerName})`] : []),
	];
	if (setup.errors.length) {
		return {
			mode: modes.join(', ') || 'none',
			serving: false,
			reason: `Auth is misconfigured, so MCP requests are refused: ${setup.errors.join(' ')}`,
		};
	}
	if (modes.length) return { mode: modes.join(', '), serving: true };
	const exposed = exposedLocalDevRefusal(config);
	if (exposed) return { mode: 'none', serving: false, reason: exposed };
	if (config.localDev) return { mode: 'none (local dev: loopback clients only)', serving: true };
	return {
		mode: 'none',
		serving: false,
		reason:
			'No AUTH_TOKEN, AUTH_TOKENS or OAuth is configured, so MCP requests are refused. See docs/security.md to set one up.',
	};
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

export function bearerToken(request: Request): string | undefined {
	const match = /^Bearer\s+(.+)$/i.exec((request.headers.get('authorization') ?? '').trim());
	return match ? match[1]!.trim() : undefined;
}

/**
 * The principal of a configured bearer token (AUTH_TOKEN or AUTH_TOKENS): one SHA-256 of the
 * token, compared in constant time with every entry (src/worker/tokens.ts).
 */
export async function principalForToken(setup: AuthSetup, token: string): Promise<Principal | undefined> {
	return setup.bearer ? lookupToken(await setup.bearer, token) : undefined;
}

/**
 * The bearer-token and local-dev paths. OAuth access tokens are checked by the OAuth
 * provider before the request reaches the app (src/worker/oauth/provider.ts).
 */
export async function authenticate(request: Request, setup: AuthSetup, config: AppConfig): Promise<AuthResult> {
	if (setup.errors.length) {
		return err({
			status: 503,
			message: `This server's auth is misconfigured, so it refuses MCP requests until the operator fixes it: ${setup.errors.join(' ')}`,
		});
	}
	const token = bearerToken(request);
	if (hasCredentials(setup)) {
		const principal = token ? await principalForToken(setup, token) : undefined;
		if (principal) return ok(principal);
		const howTo = setup.oauth
			? 'sign in with OAuth (MCP clients that support it do this for you) or send "Authorization: Bearer <token>"'
			: 'send the header "Authorization: Bearer <token>"';
		return err({
			status: 401,
			message: token
				? `Unauthorized: the bearer token is not valid. Check it, or ${howTo}.`
				: `Unauthorized: ${howTo}.`,
		});
	}
	const exposed = exposedLocalDevRefusal(config);
	if (exposed) return err({ status: 503, message: exposed });
	if (config.localDev) {
		if (isLoopbackRequest(request)) return ok({ ...DEFAULT_PRINCIPAL, via: 'local' });
		return err({
			status: 403,
			message:
				'Forbidden: this local server has no AUTH_TOKEN, so it only serves loopback clients. Set AUTH_TOKEN in .dev.vars to serve others.',
		});
	}
	return err({
		status: 503,
		message:
			'This server has no AUTH_TOKEN, AUTH_TOKENS or OAuth configured and refuses all MCP requests. The operator must set one up: see docs/security.md (e.g. wrangler secret put AUTH_TOKEN).',
	});
}

/** What an OAuth grant carries (encrypted in KV by the provider): who signed in, not what they may do. */
export interface OAuthProps {
	via: 'oauth';
	email: string;
	name: string;
	/** Google's `hd` claim at sign-in, so a changed OAUTH_HOSTED_DOMAIN applies to old grants too. */
	hostedDomain?: string;
}

export function isOAuthProps(value: unknown): value is OAuthProps {
	const props = value as Partial<OAuthProps> | undefined;
	return props?.via === 'oauth' && typeof props.email === 'string' && typeof props.name === 'string';
}

/**
 * The principal of an OAuth token, admitted again under today's settings: an email taken off
 * the allow-list is refused at once, and the admin role follows OAUTH_ADMIN_EMAILS.
 */
export function oauthPrincipal(props: OAuthProps, setup: AuthSetup): AuthResult {
	if (!setup.oauth) {
		return err({ status: 401, message: 'Unauthorized: OAuth sign-in is no longer enabled on this server.' });
	}
	const admission = admit(setup.oauth, {
		email: props.email,
		// Verified at sign-in, and a grant is only ever made for a verified email.
		emailVerified: true,
		hostedDomain: props.hostedDomain,
		name: props.name,
	});
	if (!admission.ok) return err({ status: 403, message: `Forbidden: ${admission.error}` });
	const { email, role } = admission.value;
	return ok({ id: email, name: props.name, role, via: 'oauth' });
}
