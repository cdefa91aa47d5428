/**
 * Typed, validated configuration on top of the bindings `wrangler types` generates
 * (worker-configuration.d.ts). Secrets are declared here because wrangler cannot see them.
 */

/** Optional settings, not declared in wrangler.jsonc (docs/configuration.md lists them). */
interface OptionalSettings {
	/** Bearer token for /mcp (`wrangler secret put AUTH_TOKEN`); the seed's variable name. */
	AUTH_TOKEN?: string;
	/** Local dev: comma-separated hostnames besides loopback that MCP requests may address (a LAN IP). */
	ALLOWED_HOSTS?: string;
	/** JSON array of principals, each with the SHA-256 of its bearer token (secret; docs/security.md). */
	AUTH_TOKENS?: string;
	/** OAuth client id at the upstream OpenID Connect provider (Google by default). */
	OAUTH_CLIENT_ID?: string;
	/** OAuth client secret at the upstream provider (secret). */
	OAUTH_CLIENT_SECRET?: string;
	/** OpenID Connect discovery URL of the upstream provider; default Google's. */
	OAUTH_DISCOVERY_URL?: string;
	/** Comma-separated emails that may sign in with OAuth. */
	OAUTH_ALLOWED_EMAILS?: string;
	/** Comma-separated emails that sign in as admins (allowed too). */
	OAUTH_ADMIN_EMAILS?: string;
	/** Only accounts of this domain may sign in (Google: its `hd` claim, checked on the server). */
	OAUTH_HOSTED_DOMAIN?: string;
	/** The OAuth helpers @cloudflare/workers-oauth-provider puts in the env of the handlers it calls. */
	OAUTH_PROVIDER?: import('@cloudflare/workers-oauth-provider').OAuthHelpers;
	/** "false" turns off same-isolate delivery on legacy SSE streams (everything via the D1 outbox). */
	SSE_IN_MEMORY?: string;
	/** "false": waiters ignore same-isolate completion hints and only poll D1, as when the consumer runs elsewhere. */
	WAIT_IN_MEMORY?: string;
	/** Milliseconds between `: keepalive` comments on idle legacy SSE streams (default 15000). */
	SSE_KEEPALIVE_MS?: string;
	/** Open legacy SSE streams allowed per principal (default 10). */
	SSE_MAX_STREAMS?: string;
	/** Undelivered messages allowed per legacy SSE session (default 1000). */
	SSE_MAX_OUTBOX?: string;
	/** JSON: per-model upstream id, price, latency or `disabled` (docs/providers.md). */
	MODEL_OVERRIDES?: string;
	/** OpenAI API key (secret): enables dall-e-2, dall-e-3 and the gpt-image models. */
	OPENAI_API_KEY?: string;
	/** OpenAI-compatible base URL (default https://api.openai.com/v1), e.g. a gateway. */
	OPENAI_BASE_URL?: string;
	/** Gemini API key (secret): enables the Gemini image models. */
	GEMINI_API_KEY?: string;
	/** Gemini API base URL (default https://generativelanguage.googleapis.com/v1beta), e.g. a gateway. */
	GEMINI_BASE_URL?: string;
	/** Base URL of a Stable Diffusion WebUI / Forge started with --api: enables model sd-webui. */
	SD_WEBUI_URL?: string;
	/** `user:password` for a WebUI started with --api-auth (secret). */
	SD_WEBUI_AUTH?: string;
	/** Checkpoint the WebUI should load for our jobs (override_settings.sd_model_checkpoint); default: whatever is loaded. */
	SD_WEBUI_CHECKPOINT?: string;
	/** Milliseconds one provider call may take before it is abandoned and retried; default per model (at least 30 s). */
	PROVIDER_TIMEOUT_MS?: string;
	/**
	 * Share of offline-provider calls, 0–1, that fail with a transient error after their latency,
	 * to exercise retries in tests and benchmarks (default 0: none). Never set it in production.
	 */
	OFFLINE_FAILURE_RATE?: string;
}

declare global {
	interface Env extends OptionalSettings {}
	namespace Cloudflare {
		interface Env extends OptionalSettings {}
	}
}

/** Parsed view of the string vars, computed per request (cheap; no module-level state). */
export interface AppConfig {
	defaultModel: string | undefined;
	publicBaseUrl: string | undefined;
	r2PublicBaseUrl: string | undefined;
	allowedOrigins: string[];
	/** ALLOWED_HOSTS as URL hostnames (lower case, IPv6 in brackets, no port): local dev's extra hosts. */
	allowedHosts: string[];
	/** `wrangler dev --env local`: no token means loopback-only access instead of refusal. */
	localDev: boolean;
	sse: SseSettings;
	/** Whether wait tools use same-isolate completion hints (WAIT_IN_MEMORY, default on). */
	waitInMemory: boolean;
}

export interface SseSettings {
	inMemory: boolean;
	keepaliveMs: number;
	maxStreamsPerPrincipal: number;
	maxOutboxMessages: number;
}

/** The offline provider's artificial delay: 0 when unset, negative or not a number. */
export function offlineLatencyMs(env: Pick<Env, 'OFFLINE_LATENCY_MS'>): number {
	const value = Number(env.OFFLINE_LATENCY_MS);
	return Number.isFinite(value) && value > 0 ? value : 0;
}

/** The share of offline-provider calls that fail on purpose: 0 when unset, not a number or outside 0–1. */
export function offlineFailureRate(env: Pick<Env, 'OFFLINE_FAILURE_RATE'>): number {
	const raw = env.OFFLINE_FAILURE_RATE?.trim();
	const value = raw ? Number(raw) : 0;
	return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 0;
}

function positiveInteger(value: string | undefined, fallback: number): number {
	const parsed = Number(value);
	return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

function nonEmpty(value: string | undefined): string | undefined {
	const trimmed = value?.trim();
	return trimmed ? trimmed : undefined;
}

function commaList(value: string | undefined): string[] {
	return (value ?? '')
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean);
}

/**
 * An ALLOWED_HOSTS entry as the hostname a request URL would carry: "192.168.1.5:8787" →
 * "192.168.1.5", "MyBox.local" → "mybox.local", "::1" → "[::1]"; undefined when it is no hostname.
 */
export function hostnameOf(entry: string): string | undefined {
	const bareIpv6 = !entry.includes('[') && entry.split(':').length > 2;
	try {
		return new URL(entry.includes('://') ? entry : `http://${bareIpv6 ? `[${entry}]` : entry}`).hostname || undefined;
	} catch {
		return undefined;
	}
}

function withoutTrailingSlash(url: string | undefined): string | undefined {
	return url?.replace(/\/+$/, '');
}

export function readConfig(env: Env): AppConfig {
	return {
		defaultModel: nonEmpty(env.DEFAULT_MODEL),
		publicBaseUrl: withoutTrailingSlash(nonEmpty(env.PUBLIC_BASE_URL)),
		r2PublicBaseUrl: withoutTrailingSlash(nonEmpty(env.R2_PUBLIC_BASE_URL)),
		allowedOrigins: commaList(env.ALLOWED_ORIGINS),
		allowedHosts: commaList(env.ALLOWED_HOSTS).flatMap((entry) => hostnameOf(entry) ?? []),
		localDev: env.LOCAL_DEV === 'true',
		waitInMemory: env.WAIT_IN_MEMORY !== 'false',
		sse: {
			inMemory: env.SSE_IN_MEMORY !== 'false',
			keepaliveMs: positiveInteger(env.SSE_KEEPALIVE_MS, 15_000),
			maxStreamsPerPrincipal: positiveInteger(env.SSE_MAX_STREAMS, 10),
			maxOutboxMessages: positiveInteger(env.SSE_MAX_OUTBOX, 1000),
		},
	};
}

/** `IMAGE_RETENTION_DAYS`: days an image is kept, or null to keep images forever (unset, empty or 0). */
export function imageRetentionDays(env: Pick<Env, 'IMAGE_RETENTION_DAYS'>): number | null {
	const raw = env.IMAGE_RETENTION_DAYS?.trim();
	if (!raw) return null;
	const days = Number(raw);
	return Number.isFinite(days) && days > 0 ? days : null;
}

/** `PROVIDER_TIMEOUT_MS` when set to a positive number, else undefined (the per-model default applies). */
export function providerTimeoutOverride(env: Pick<Env, 'PROVIDER_TIMEOUT_MS'>): number | undefined {
	const value = Number(env.PROVIDER_TIMEOUT_MS);
	return env.PROVIDER_TIMEOUT_MS?.trim() && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The deployment's default spend budgets in USD; null is no budget (docs/limits.md). */
export interface DefaultBudgets {
	dailyUsd: number | null;
	monthlyUsd: number | null;
}

function budgetUsd(raw: string | undefined): number | null {
	const trimmed = raw?.trim();
	if (!trimmed) return null;
	const usd = Number(trimmed);
	return Number.isFinite(usd) && usd >= 0 ? usd : Number.NaN;
}

/**
 * `DAILY_BUDGET_USD` and `MONTHLY_BUDGET_USD`: a number of dollars (0 allows only free models),
 * or null when empty. A value that is not a number fails closed: it counts as a budget of 0, so
 * a typo never lifts the cap, and settingWarnings says so.
 */
export function defaultBudgets(env: Pick<Env, 'DAILY_BUDGET_USD' | 'MONTHLY_BUDGET_USD'>): DefaultBudgets {
	const usd = (raw: string | undefined) => {
		const value = budgetUsd(raw);
		return Number.isNaN(value) ? 0 : value;
	};
	return { dailyUsd: usd(env.DAILY_BUDGET_USD), monthlyUsd: usd(env.MONTHLY_BUDGET_USD) };
}

/** Settings that were given but cannot be used, for the startup log and /health. */
export function settingWarnings(env: Env): string[] {
	const warnings: string[] = [];
	for (const name of ['DAILY_BUDGET_USD', 'MONTHLY_BUDGET_USD'] as const) {
		const raw = env[name]?.trim();
		if (raw && Number.isNaN(budgetUsd(raw))) {
			warnings.push(
				`${name} "${raw}" is not a number of US dollars, so it counts as $0: only free models can be used until it is fixed. Use e.g. "5" or "0.50", or leave it empty for no budget.`,
			);
		}
	}
	const retention = env.IMAGE_RETENTION_DAYS?.trim();
	if (retention && retention !== '0' && imageRetentionDays(env) === null) {
		warnings.push(
			`IMAGE_RETENTION_DAYS "${retention}" is not a positive number of days; images are kept forever. Use e.g. "30", or "0" to keep them.`,
		);
	}
	if (env.PROVIDER_TIMEOUT_MS?.trim() && providerTimeoutOverride(env) === undefined) {
		warnings.push(
			`PROVIDER_TIMEOUT_MS "${env.PROVIDER_TIMEOUT_MS}" is not a positive number of milliseconds; the per-model timeouts apply.`,
		);
	}
	return warnings;
}
