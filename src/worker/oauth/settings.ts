/**
 * OAuth settings (docs/security.md): an upstream OpenID Connect provider (Google unless
 * `OAUTH_DISCOVERY_URL` names another), who may sign in, and who is an admin. Half a setup
 * is an error that keeps every door shut, never a partly open one.
 */
import { type OAuthVars, readConfig } from '../../env';
import { err, ok, type Result } from '../../result';

export interface OAuthSettings {
	clientId: string;
	clientSecret: string;
	discoveryUrl: string;
	/** Google: the hosted domain is checked on its `hd` claim, which only Workspace accounts carry. */
	isGoogle: boolean;
	providerName: string;
	allowedEmails: ReadonlySet<string>;
	adminEmails: ReadonlySet<string>;
	hostedDomain: string | undefined;
}

/** The settings, undefined when no OAUTH_* setting is given; or why the setup cannot be used. */
export type OAuthSettingsResult = Result<OAuthSettings | undefined>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http to this machine (a provider running next to `wrangler dev`, and the e2e tests). */
export function isSecureOrLoopback(url: URL): boolean {
	return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

export const GOOGLE_DISCOVERY_URL = 'https://accounts.google.com/.well-known/openid-configuration';

/** The OAuth settings (secrets or vars); any of them set means OAuth was meant to be on. */
export const OAUTH_SETTING_NAMES = [
	'OAUTH_CLIENT_ID',
	'OAUTH_CLIENT_SECRET',
	'OAUTH_DISCOVERY_URL',
	'OAUTH_ALLOWED_EMAILS',
	'OAUTH_ADMIN_EMAILS',
	'OAUTH_HOSTED_DOMAIN',
] as const;

export type OAuthEnv = Pick<Env, (typeof OAUTH_SETTING_NAMES)[number] | 'OAUTH_KV'>;

/** Where each setting is in the parsed configuration (`AppConfig.oauth`, trimmed, unset when blank). */
const SETTING_FIELDS: Readonly<Record<(typeof OAUTH_SETTING_NAMES)[number], keyof OAuthVars>> = {
	OAUTH_CLIENT_ID: 'clientId',
	OAUTH_CLIENT_SECRET: 'clientSecret',
	OAUTH_DISCOVERY_URL: 'discoveryUrl',
	OAUTH_ALLOWED_EMAILS: 'allowedEmails',
	OAUTH_ADMIN_EMAILS: 'adminEmails',
	OAUTH_HOSTED_DOMAIN: 'hostedDomain',
};

function emailList(raw: string | undefined): Set<string> {
	return new Set(
		(raw ?? '')
			.split(',')
			.map((email) => email.trim().toLowerCase())
			.filter(Boolean),
	);
}

export function readOAuthSettings(env: OAuthEnv): OAuthSettingsResult {
	const vars = readConfig(env).oauth;
	const present = OAUTH_SETTING_NAMES.filter((name) => vars[SETTING_FIELDS[name]] !== undefined);
	if (present.length === 0) return ok(undefined);
	const { clientId, clientSecret } = vars;
	const missing = [...(clientId ? [] : ['OAUTH_CLIENT_ID']), ...(clientSecret ? [] : ['OAUTH_CLIENT_SECRET'])];
	if (missing.length) {
		return err(
			`OAuth is half configured: ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not. Set both (wrangler secret put …) or remove the OAUTH_* settings.`,
		);
	}
	const allowedEmails = emailList(vars.allowedEmails);
	const adminEmails = emailList(vars.adminEmails);
	const hostedDomain = vars.hostedDomain?.toLowerCase().replace(/^@/, '');
	if (allowedEmails.size === 0 && adminEmails.size === 0 && !hostedDomain) {
		return err(
			'OAuth would admit every account of the provider: set OAUTH_ALLOWED_EMAILS (comma-separated emails), OAUTH_ADMIN_EMAILS or OAUTH_HOSTED_DOMAIN.',
		);
	}
	for (const email of [...allowedEmails, ...adminEmails]) {
		if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
			return err(`OAUTH_ALLOWED_EMAILS / OAUTH_ADMIN_EMAILS: "${email}" is not an email address.`);
		}
	}
	const discoveryUrl = vars.discoveryUrl ?? GOOGLE_DISCOVERY_URL;
	let discovery: URL;
	try {
		discovery = new URL(discoveryUrl);
	} catch {
		return err(`OAUTH_DISCOVERY_URL "${discoveryUrl}" is not a URL.`);
	}
	if (!isSecureOrLoopback(discovery)) {
		return err(
			`OAUTH_DISCOVERY_URL must be https (http only on localhost, for a provider in development), got "${discoveryUrl}".`,
		);
	}
	if (!env.OAUTH_KV) {
		return err(
			'OAuth needs the KV namespace binding OAUTH_KV (wrangler.jsonc "kv_namespaces"), where clients, grants and tokens are kept.',
		);
	}
	const isGoogle = discovery.hostname === 'accounts.google.com';
	return ok({
		clientId: clientId!,
		clientSecret: clientSecret!,
		discoveryUrl,
		isGoogle,
		providerName: isGoogle ? 'Google' : discovery.hostname,
		allowedEmails,
		adminEmails,
		hostedDomain,
	});
}

/** What the upstream provider said about the person, from its ID token and userinfo. */
export interface UpstreamIdentity {
	email: string | undefined;
	emailVerified: boolean;
	hostedDomain: string | undefined;
	name: string | undefined;
}

/** Who was admitted (the email as the principal id, and the role), or why not. */
export type Admission = Result<{ email: string; role: 'user' | 'admin' }>;

/**
 * Whether this person may use the server, checked at sign-in and again on every request
 * (so removing an email takes effect at once): a verified email, in the hosted domain
 * when one is set, and on the allow-list when there is one. Admins are allowed by listing.
 */
export function admit(settings: OAuthSettings, identity: UpstreamIdentity): Admission {
	const email = identity.email?.trim().toLowerCase();
	if (!email) return err(`${settings.providerName} did not share an email address for this account.`);
	if (!identity.emailVerified) {
		return err(`${settings.providerName} says the email ${email} is not verified.`);
	}
	if (settings.hostedDomain) {
		// Google: only a Workspace account of the domain carries `hd`; a personal account that
		// merely uses an address at the domain does not, and must not pass. Other providers:
		// the verified email's domain.
		const domain = settings.isGoogle ? identity.hostedDomain?.toLowerCase() : email.split('@')[1];
		if (domain !== settings.hostedDomain) {
			return err(
				settings.isGoogle
					? `Only ${settings.hostedDomain} Google Workspace accounts may sign in; ${email} is ${identity.hostedDomain ? `in ${identity.hostedDomain}` : 'not a Workspace account'}.`
					: `Only ${settings.hostedDomain} accounts may sign in; ${email} is not one.`,
			);
		}
	}
	const isAdmin = settings.adminEmails.has(email);
	// With no allow-list, the hosted domain (checked above) admits; with neither, only admins.
	const listed = isAdmin || settings.allowedEmails.has(email);
	if (!listed && (settings.allowedEmails.size > 0 || !settings.hostedDomain)) {
		return err(`${email} is not on this server's list of allowed emails. Ask its operator to add it.`);
	}
	return ok({ email, role: isAdmin ? 'admin' : 'user' });
}
