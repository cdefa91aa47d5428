/**
 * Typed, validated configuration on top of the bindings `wrangler types` generates
 * (worker-configuration.d.ts). Secrets are declared here because wrangler cannot see them.
 */

declare global {
	interface Env {
		/** Bearer token for /mcp (`wrangler secret put AUTH_TOKEN`); the seed's variable name. */
		AUTH_TOKEN?: string;
	}
	namespace Cloudflare {
		interface Env {
			AUTH_TOKEN?: string;
		}
	}
}

/** Parsed view of the string vars, computed per request (cheap; no module-level state). */
export interface AppConfig {
	defaultModel: string | undefined;
	publicBaseUrl: string | undefined;
	r2PublicBaseUrl: string | undefined;
	allowedOrigins: string[];
	offlineLatencyMs: number;
	/** `wrangler dev --env local`: no token means loopback-only access instead of refusal. */
	localDev: boolean;
	authToken: string | undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
	const trimmed = value?.trim();
	return trimmed ? trimmed : undefined;
}

function withoutTrailingSlash(url: string | undefined): string | undefined {
	return url?.replace(/\/+$/, '');
}

export function readConfig(env: Env): AppConfig {
	const latency = Number(env.OFFLINE_LATENCY_MS);
	return {
		defaultModel: nonEmpty(env.DEFAULT_MODEL),
		publicBaseUrl: withoutTrailingSlash(nonEmpty(env.PUBLIC_BASE_URL)),
		r2PublicBaseUrl: withoutTrailingSlash(nonEmpty(env.R2_PUBLIC_BASE_URL)),
		allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
			.split(',')
			.map((origin) => origin.trim())
			.filter(Boolean),
		offlineLatencyMs: Number.isFinite(latency) && latency > 0 ? latency : 0,
		localDev: env.LOCAL_DEV === 'true',
		authToken: nonEmpty(env.AUTH_TOKEN),
	};
}
