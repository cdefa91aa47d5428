/**
 * Typed, validated configuration on top of the bindings `wrangler types` generates
 * (worker-configuration.d.ts). Secrets are declared here because wrangler cannot see them.
 * Every string var and secret is read here, through one schema (`settingsSchema`), into
 * `AppConfig`; the rest of the code asks `readConfig(env)` and never reads a var itself.
 * Bindings (DB, IMAGES, JOBS, AI, OAUTH_KV, …) are not config and stay on `env`.
 */
import { z } from 'zod';

/** Optional settings, not declared in wrangler.jsonc (docs/configuration.md lists them). */
interface OptionalSettings {
	/** Bearer token for /mcp (`wrangler secret put AUTH_TOKEN`); the seed's variable name. */
	AUTH_TOKEN?: string;
	/** Local dev: comma-separated hostnames besides loopback that MCP requests may address (a LAN IP). */
	ALLOWED_HOSTS?: string;
	/** "true": browse-only; the operations that generate, cancel or delete are neither listed nor run. */
	READ_ONLY?: string;
	/** The git commit this Worker was built from: `npm run deploy` and `npm run build` pass it with `--var`. */
	BUILD_COMMIT?: string;
	/** USD: a generate call estimated above it answers a quote to confirm instead of starting (docs/tools.md). */
	CONFIRM_ABOVE_USD?: string;
	/** JSON array of principals, each with the SHA-256 of its bearer token (secret; docs/security.md). */
	AUTH_TOKENS?: string;
	/** Bearer token for GET /metrics only (`wrangler secret put METRICS_TOKEN`; docs/metrics.md). */
	METRICS_TOKEN?: string;
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
	/** Bytes of undelivered messages allowed per legacy SSE session (default 4 MiB). */
	SSE_MAX_OUTBOX_BYTES?: string;
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

/** Parsed view of the string vars and secrets (docs/configuration.md); bindings stay on `env`. */
export interface AppConfig {
	defaultModel: string | undefined;
	publicBaseUrl: string | undefined;
	r2PublicBaseUrl: string | undefined;
	allowedOrigins: string[];
	/** ALLOWED_HOSTS as URL hostnames (lower case, IPv6 in brackets, no port): local dev's extra hosts. */
	allowedHosts: string[];
	/** `wrangler dev` (the top level of wrangler.jsonc): no token means loopback-only access instead of refusal. */
	localDev: boolean;
	sse: SseSettings;
	/** Whether wait tools use same-isolate completion hints (WAIT_IN_MEMORY, default on). */
	waitInMemory: boolean;
	/** IMAGE_RETENTION_DAYS: days an image is kept, or null to keep images forever. */
	imageRetentionDays: number | null;
	/** PREVIEWS: whether results carry inline previews when a call does not say ("auto", the default, or "none"). */
	previews: PreviewMode;
	/** READ_ONLY: browse-only, no operation that changes anything is listed or run. */
	readOnly: boolean;
	/** CONFIRM_ABOVE_USD: calls estimated above it need a confirmation; null: none do (users may set their own). */
	confirmAboveUsd: number | null;
	/** PROVIDER_TIMEOUT_MS when it is a positive number; undefined: the per-model timeouts apply. */
	providerTimeoutMs: number | undefined;
	/** BUILD_COMMIT, trimmed: the git commit of this build; undefined when the build did not record one. */
	buildCommit: string | undefined;
	budgets: DefaultBudgets;
	offline: OfflineSettings;
	/** MODEL_OVERRIDES as given ('' when unset): the catalog parses it and reports its own problems. */
	modelOverrides: string;
	providers: ProviderSettings;
	auth: TokenSettings;
	/** METRICS_TOKEN, trimmed: a bearer token that opens GET /metrics and nothing else. */
	metricsToken: string | undefined;
	oauth: OAuthVars;
}

/** Inline previews in tool results: "auto" adds them (within the caps), "none" gives links only. */
export const PREVIEW_MODES = ['auto', 'none'] as const;
export type PreviewMode = (typeof PREVIEW_MODES)[number];

/** Legacy SSE defaults: streams per principal, and what one session's outbox may hold. */
export const SSE_DEFAULT_MAX_STREAMS = 10;
export const SSE_DEFAULT_MAX_OUTBOX = 1000;
/** 4 MiB: about a dozen results with inline previews (at most 256 KB of base64 each) waiting. */
export const SSE_DEFAULT_MAX_OUTBOX_BYTES = 4 * 1024 * 1024;

export interface SseSettings {
	inMemory: boolean;
	keepaliveMs: number;
	maxStreamsPerPrincipal: number;
	maxOutboxMessages: number;
	maxOutboxBytes: number;
}

/** The deployment's default spend budgets in USD; null is no budget (docs/limits.md). */
export interface DefaultBudgets {
	dailyUsd: number | null;
	monthlyUsd: number | null;
}

export interface OfflineSettings {
	/** OFFLINE_LATENCY_MS: the offline provider's artificial delay, 0 when unset, negative or not a number. */
	latencyMs: number;
	/** OFFLINE_FAILURE_RATE: the share of calls that fail on purpose, 0 when unset, not a number or outside 0–1. */
	failureRate: number;
}

/** What enables and points each external provider; undefined is unset. */
export interface ProviderSettings {
	/** OPENAI_API_KEY is sent exactly as set; OPENAI_BASE_URL is trimmed (openai.ts applies the default). */
	openai: { apiKey: string | undefined; baseUrl: string | undefined };
	/** GEMINI_API_KEY and GEMINI_BASE_URL, trimmed (gemini.ts applies and checks the base URL). */
	gemini: { apiKey: string | undefined; baseUrl: string | undefined };
	/** SD_WEBUI_URL and SD_WEBUI_CHECKPOINT trimmed; SD_WEBUI_AUTH (user:password) as set. */
	sdWebUi: { url: string | undefined; auth: string | undefined; checkpoint: string | undefined };
}

/** The bearer-token settings; src/worker/tokens.ts parses the table. */
export interface TokenSettings {
	/** AUTH_TOKEN, trimmed. */
	token: string | undefined;
	/** AUTH_TOKENS as set: a JSON array of principals, or blank for none. */
	tokens: string | undefined;
}

/** The OAUTH_* settings, trimmed; src/worker/oauth/settings.ts checks them as a whole. */
export interface OAuthVars {
	clientId: string | undefined;
	clientSecret: string | undefined;
	discoveryUrl: string | undefined;
	/** Comma-separated, as set. */
	allowedEmails: string | undefined;
	/** Comma-separated, as set. */
	adminEmails: string | undefined;
	hostedDomain: string | undefined;
}

/** The configuration, and what is wrong with the settings that were given but cannot be used. */
export interface ParsedConfig {
	config: AppConfig;
	/** For the startup log and /health; each names the setting, what it is taken as, and how to fix it. */
	warnings: readonly string[];
}

/** A setting's value, and a warning when the value given could not be used as it is. */
interface Checked<T> {
	value: T;
	warning?: string;
}

/**
 * A var as the runtime hands it over. wrangler.jsonc may give a number or a boolean, taken as
 * written; any other value counts as unset, never as an error.
 */
const given = z
	.preprocess(
		(value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value),
		z.string().optional(),
	)
	.catch(undefined);

/** Trimmed; blank counts as unset. */
const trimmed = given.transform((value) => value?.trim() || undefined);

/** As set, untrimmed (a secret is sent exactly as given); empty counts as unset. */
const exact = given.transform((value) => value || undefined);

const commaList = given.transform((value) =>
	(value ?? '')
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean),
);

/** Base URLs are joined with paths, so a trailing slash is dropped. */
const baseUrl = trimmed.transform((url) => url?.replace(/\/+$/, ''));

/** On unless set to exactly "false". */
const onUnlessFalse = given.transform((value) => value !== 'false');

function positiveInteger(fallback: number) {
	return given.transform((value) => {
		const parsed = Number(value);
		return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
	});
}

/**
 * A budget in US dollars (0 allows only free models), or null when empty. A value that is not a
 * number fails closed: it counts as a budget of 0, so a typo never lifts the cap, with a warning.
 */
function budgetUsd(name: string) {
	return trimmed.transform((raw): Checked<number | null> => {
		if (!raw) return { value: null };
		const usd = Number(raw);
		if (Number.isFinite(usd) && usd >= 0) return { value: usd };
		return {
			value: 0,
			warning: `${name} "${raw}" is not a number of US dollars, so it counts as $0: only free models can be used until it is fixed. Use e.g. "5" or "0.50", or leave it empty for no budget.`,
		};
	});
}

/** CONFIRM_ABOVE_USD: a number of dollars, 0 or more; unset: no confirmation. Anything else asks for every priced call. */
const confirmThreshold = trimmed.transform((raw): Checked<number | null> => {
	if (!raw) return { value: null };
	const usd = Number(raw);
	if (Number.isFinite(usd) && usd >= 0) return { value: usd };
	return {
		value: 0,
		warning: `CONFIRM_ABOVE_USD "${raw}" is not a number of US dollars, so every priced call asks for confirmation until it is fixed. Use e.g. "0.50", or leave it empty.`,
	};
});

/** Days an image is kept; null (forever) when unset, "0" or not a positive number (with a warning). */
const retentionDays = trimmed.transform((raw): Checked<number | null> => {
	if (!raw) return { value: null };
	const days = Number(raw);
	if (Number.isFinite(days) && days > 0) return { value: days };
	if (raw === '0') return { value: null };
	return {
		value: null,
		warning: `IMAGE_RETENTION_DAYS "${raw}" is not a positive number of days; images are kept forever. Use e.g. "30", or "0" to keep them.`,
	};
});

/** A positive number of milliseconds, else undefined (with a warning when something else was set). */
const providerTimeoutMs = given.transform((raw): Checked<number | undefined> => {
	if (!raw?.trim()) return { value: undefined };
	const ms = Number(raw);
	if (Number.isFinite(ms) && ms > 0) return { value: ms };
	return {
		value: undefined,
		warning: `PROVIDER_TIMEOUT_MS "${raw}" is not a positive number of milliseconds; the per-model timeouts apply.`,
	};
});

/** "auto" unless set to "none" (any other value warns and counts as "auto"). */
const previewMode = trimmed.transform((raw): Checked<PreviewMode> => {
	const value = raw?.toLowerCase();
	if (value === undefined || value === 'auto') return { value: 'auto' };
	if (value === 'none') return { value: 'none' };
	return { value: 'auto', warning: `PREVIEWS "${raw}" is not one of auto, none; previews are on ("auto").` };
});

/** READ_ONLY: "true" or "false" (or empty); anything else means read-only, since that is what was asked for. */
const readOnlyMode = trimmed.transform((raw): Checked<boolean> => {
	const value = raw?.toLowerCase();
	if (value === undefined || value === 'false') return { value: false };
	if (value === 'true') return { value: true };
	return {
		value: true,
		warning: `READ_ONLY "${raw}" is not true or false; the server is read-only until it is fixed.`,
	};
});

const offlineLatency = given.transform((raw) => {
	const ms = Number(raw);
	return Number.isFinite(ms) && ms > 0 ? ms : 0;
});

const offlineFailures = trimmed.transform((raw) => {
	const rate = raw ? Number(raw) : 0;
	return Number.isFinite(rate) && rate >= 0 && rate <= 1 ? rate : 0;
});

/** The names of the string vars and secrets: the keys of `Env` whose values are strings (bindings are objects). */
type VarName = { [K in keyof Env]-?: NonNullable<Env[K]> extends string ? K : never }[keyof Env];

/** What `readConfig` reads: any object with some of the vars (the whole `Env`, or a `Pick` of it in tests). */
export type ConfigEnv = { readonly [K in VarName]?: string | undefined };

/**
 * The one schema for every var and secret. Each field falls back as its comment says instead
 * of failing, so parsing never throws: a bad setting degrades to its default and, where the
 * operator should hear of it, leaves a warning.
 */
const settingsSchema = z
	.object({
		DEFAULT_MODEL: trimmed,
		PUBLIC_BASE_URL: baseUrl,
		R2_PUBLIC_BASE_URL: baseUrl,
		ALLOWED_ORIGINS: commaList,
		ALLOWED_HOSTS: commaList.transform((entries) => entries.flatMap((entry) => hostnameOf(entry) ?? [])),
		LOCAL_DEV: given.transform((value) => value === 'true'),
		WAIT_IN_MEMORY: onUnlessFalse,
		SSE_IN_MEMORY: onUnlessFalse,
		SSE_KEEPALIVE_MS: positiveInteger(15_000),
		SSE_MAX_STREAMS: positiveInteger(SSE_DEFAULT_MAX_STREAMS),
		SSE_MAX_OUTBOX: positiveInteger(SSE_DEFAULT_MAX_OUTBOX),
		SSE_MAX_OUTBOX_BYTES: positiveInteger(SSE_DEFAULT_MAX_OUTBOX_BYTES),
		IMAGE_RETENTION_DAYS: retentionDays,
		PREVIEWS: previewMode,
		READ_ONLY: readOnlyMode,
		CONFIRM_ABOVE_USD: confirmThreshold,
		PROVIDER_TIMEOUT_MS: providerTimeoutMs,
		BUILD_COMMIT: trimmed,
		DAILY_BUDGET_USD: budgetUsd('DAILY_BUDGET_USD'),
		MONTHLY_BUDGET_USD: budgetUsd('MONTHLY_BUDGET_USD'),
		OFFLINE_LATENCY_MS: offlineLatency,
		OFFLINE_FAILURE_RATE: offlineFailures,
		MODEL_OVERRIDES: given.transform((value) => value ?? ''),
		OPENAI_API_KEY: exact,
		OPENAI_BASE_URL: trimmed,
		GEMINI_API_KEY: trimmed,
		GEMINI_BASE_URL: trimmed,
		SD_WEBUI_URL: trimmed,
		SD_WEBUI_AUTH: exact,
		SD_WEBUI_CHECKPOINT: trimmed,
		AUTH_TOKEN: trimmed,
		AUTH_TOKENS: given,
		METRICS_TOKEN: trimmed,
		OAUTH_CLIENT_ID: trimmed,
		OAUTH_CLIENT_SECRET: trimmed,
		OAUTH_DISCOVERY_URL: trimmed,
		OAUTH_ALLOWED_EMAILS: trimmed,
		OAUTH_ADMIN_EMAILS: trimmed,
		OAUTH_HOSTED_DOMAIN: trimmed,
	} satisfies Record<VarName, z.ZodType>)
	.transform(
		(vars): ParsedConfig => ({
			config: {
				defaultModel: vars.DEFAULT_MODEL,
				publicBaseUrl: vars.PUBLIC_BASE_URL,
				r2PublicBaseUrl: vars.R2_PUBLIC_BASE_URL,
				allowedOrigins: vars.ALLOWED_ORIGINS,
				allowedHosts: vars.ALLOWED_HOSTS,
				localDev: vars.LOCAL_DEV,
				waitInMemory: vars.WAIT_IN_MEMORY,
				sse: {
					inMemory: vars.SSE_IN_MEMORY,
					keepaliveMs: vars.SSE_KEEPALIVE_MS,
					maxStreamsPerPrincipal: vars.SSE_MAX_STREAMS,
					maxOutboxMessages: vars.SSE_MAX_OUTBOX,
					maxOutboxBytes: vars.SSE_MAX_OUTBOX_BYTES,
				},
				imageRetentionDays: vars.IMAGE_RETENTION_DAYS.value,
				previews: vars.PREVIEWS.value,
				readOnly: vars.READ_ONLY.value,
				confirmAboveUsd: vars.CONFIRM_ABOVE_USD.value,
				providerTimeoutMs: vars.PROVIDER_TIMEOUT_MS.value,
				buildCommit: vars.BUILD_COMMIT,
				budgets: { dailyUsd: vars.DAILY_BUDGET_USD.value, monthlyUsd: vars.MONTHLY_BUDGET_USD.value },
				offline: { latencyMs: vars.OFFLINE_LATENCY_MS, failureRate: vars.OFFLINE_FAILURE_RATE },
				modelOverrides: vars.MODEL_OVERRIDES,
				providers: {
					openai: { apiKey: vars.OPENAI_API_KEY, baseUrl: vars.OPENAI_BASE_URL },
					gemini: { apiKey: vars.GEMINI_API_KEY, baseUrl: vars.GEMINI_BASE_URL },
					sdWebUi: { url: vars.SD_WEBUI_URL, auth: vars.SD_WEBUI_AUTH, checkpoint: vars.SD_WEBUI_CHECKPOINT },
				},
				auth: { token: vars.AUTH_TOKEN, tokens: vars.AUTH_TOKENS },
				metricsToken: vars.METRICS_TOKEN,
				oauth: {
					clientId: vars.OAUTH_CLIENT_ID,
					clientSecret: vars.OAUTH_CLIENT_SECRET,
					discoveryUrl: vars.OAUTH_DISCOVERY_URL,
					allowedEmails: vars.OAUTH_ALLOWED_EMAILS,
					adminEmails: vars.OAUTH_ADMIN_EMAILS,
					hostedDomain: vars.OAUTH_HOSTED_DOMAIN,
				},
			},
			warnings: [
				vars.DAILY_BUDGET_USD,
				vars.MONTHLY_BUDGET_USD,
				vars.IMAGE_RETENTION_DAYS,
				vars.PREVIEWS,
				vars.READ_ONLY,
				vars.CONFIRM_ABOVE_USD,
				vars.PROVIDER_TIMEOUT_MS,
			].flatMap((setting) => setting.warning ?? []),
		}),
	);

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

// The parse is pure in the env object, which the runtime never changes, and the catalog asks
// for it once per model: remembering it per env object keeps that at a lookup. A WeakMap holds
// no request state and lets each env go with its isolate.
const parsed = new WeakMap<ConfigEnv, ParsedConfig>();

/** The configuration and its warnings, parsed once per env object. */
export function parseConfig(env: ConfigEnv): ParsedConfig {
	let result = parsed.get(env);
	if (!result) {
		result = settingsSchema.parse(env);
		parsed.set(env, result);
	}
	return result;
}

/** This deployment's configuration: the one reader of vars and secrets. */
export function readConfig(env: ConfigEnv): AppConfig {
	return parseConfig(env).config;
}

/** Settings that were given but cannot be used, for the startup log and /health. */
export function settingWarnings(env: ConfigEnv): string[] {
	return [...parseConfig(env).warnings];
}

/** `IMAGE_RETENTION_DAYS`: days an image is kept, or null to keep images forever (unset, empty or 0). */
export function imageRetentionDays(env: Pick<Env, 'IMAGE_RETENTION_DAYS'>): number | null {
	return readConfig(env).imageRetentionDays;
}

/** `PROVIDER_TIMEOUT_MS` when set to a positive number, else undefined (the per-model default applies). */
export function providerTimeoutOverride(env: Pick<Env, 'PROVIDER_TIMEOUT_MS'>): number | undefined {
	return readConfig(env).providerTimeoutMs;
}

/**
 * `DAILY_BUDGET_USD` and `MONTHLY_BUDGET_USD`: a number of dollars (0 allows only free models),
 * or null when empty. A value that is not a number fails closed: it counts as a budget of 0, so
 * a typo never lifts the cap, and settingWarnings says so.
 */
export function defaultBudgets(env: Pick<Env, 'DAILY_BUDGET_USD' | 'MONTHLY_BUDGET_USD'>): DefaultBudgets {
	return readConfig(env).budgets;
}

/** The offline provider's artificial delay: 0 when unset, negative or not a number. */
export function offlineLatencyMs(env: Pick<Env, 'OFFLINE_LATENCY_MS'>): number {
	return readConfig(env).offline.latencyMs;
}

/** The share of offline-provider calls that fail on purpose: 0 when unset, not a number or outside 0–1. */
export function offlineFailureRate(env: Pick<Env, 'OFFLINE_FAILURE_RATE'>): number {
	return readConfig(env).offline.failureRate;
}
