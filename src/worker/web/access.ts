/**
 * Who a browser is (issue 18): the principal of its session, re-admitted on every request the
 * way its sign-in was (a token still configured, an email still allowed, local dev still local),
 * so an operator who removes someone ends their sessions too. Local dev on loopback with no
 * credentials needs no sign-in, as the MCP endpoint needs no token there.
 */
import type { AppConfig } from '../../env';
import type { Principal } from '../../tools/context';
import {
	type AuthSetup,
	configuredPrincipals,
	DEFAULT_PRINCIPAL,
	exposedLocalDevRefusal,
	hasCredentials,
	isLoopbackRequest,
	oauthPrincipal,
} from '../auth';
import type { WebSession } from './session';

/** Whether this request is served without sign-in: token-less local dev, reached over loopback. */
export function isLocalAccess(request: Request, setup: AuthSetup, config: AppConfig): boolean {
	return (
		config.localDev &&
		setup.errors.length === 0 &&
		!hasCredentials(setup) &&
		exposedLocalDevRefusal(config) === undefined &&
		isLoopbackRequest(request)
	);
}

/** The local principal, as the MCP endpoint names it. */
export const LOCAL_PRINCIPAL: Principal = { ...DEFAULT_PRINCIPAL, via: 'local' };

/** The session's principal as this deployment admits it now, or undefined when it no longer does. */
export function sessionPrincipal(
	session: WebSession,
	setup: AuthSetup,
	config: AppConfig,
	request: Request,
): Principal | undefined {
	if (setup.errors.length) return undefined;
	switch (session.via) {
		case 'token':
			return configuredPrincipals(setup).find((principal) => principal.id === session.principalId);
		case 'oauth': {
			const admitted = oauthPrincipal(
				{
					via: 'oauth',
					email: session.principalId,
					name: session.principalName,
					...(session.hostedDomain ? { hostedDomain: session.hostedDomain } : {}),
				},
				setup,
			);
			return admitted.ok ? admitted.value : undefined;
		}
		case 'local':
			return isLocalAccess(request, setup, config) ? LOCAL_PRINCIPAL : undefined;
	}
}

/**
 * Whether a state-changing request comes from our own pages: its Origin is ours (or, from a
 * browser that sends none, Sec-Fetch-Site is same-origin). The CSRF token is checked besides.
 */
export function isSameOriginPost(request: Request, config: AppConfig): boolean {
	const own = new Set([new URL(request.url).origin, ...(config.publicBaseUrl ? [config.publicBaseUrl] : [])]);
	const origin = request.headers.get('origin');
	if (origin) return own.has(origin);
	const site = request.headers.get('sec-fetch-site');
	return site === null || site === 'same-origin' || site === 'none';
}
