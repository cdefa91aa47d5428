/**
 * GET /health: open, reports whether each binding answers. Details (how auth is set up, token
 * counts, providers, models, setting values in warnings) only to a caller who could use the
 * server: a valid credential, or a loopback client of token-less local dev. An admin principal
 * also gets `server_info`, get_server_info's object. Anyone else gets the status, the
 * bindings' states and the names of the settings that need fixing.
 */
import { type AppConfig, imageRetentionDays, settingWarnings } from '../env';
import { MCP_PROTOCOL_VERSIONS } from '../mcp/server';
import { catalogFor, configuredModels, defaultModel, isStandIn, MODEL_CATALOG } from '../providers/catalog';
import { probeImageBucket } from '../storage/bucket';
import type { ServerFacts } from '../tools/context';
import { describeServer } from '../tools/server-info.tools';
import { MAX_WAIT_SECONDS } from '../tools/wait';
import { authenticate, authSetup, describeAuth } from './auth';
import { MAX_BODY_BYTES } from './json-body';

/** What only the edge knows of the server, handed to operations in their scope (get_server_info). */
export const SERVER_FACTS: ServerFacts = {
	protocolVersions: MCP_PROTOCOL_VERSIONS.supported,
	latestProtocolVersion: MCP_PROTOCOL_VERSIONS.latest,
	maxBodyBytes: MAX_BODY_BYTES,
};

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'error'> {
	try {
		await check();
		return 'ok';
	} catch {
		return 'error';
	}
}

/** The setting a warning is about: the upper-case name it starts with. */
function settingName(warning: string): string {
	return /^[A-Z][A-Z0-9_]+/.exec(warning)?.[0] ?? 'configuration';
}

/** Whether D1 and R2 answer and MCP requests are served: what /health and the landing page report. */
export async function serviceHealth(env: Env, config: AppConfig) {
	const [db, images] = await Promise.all([
		probe(() => env.DB.prepare('SELECT 1').first()),
		probe(() => probeImageBucket(env.IMAGES)),
	]);
	const auth = describeAuth(authSetup(env), config);
	return { db, images, auth, healthy: db === 'ok' && images === 'ok' && auth.serving };
}

export async function healthReport(request: Request, env: Env, config: AppConfig): Promise<Response> {
	const { db, images, auth, healthy } = await serviceHealth(env, config);
	const setup = authSetup(env);
	const warnings = [...catalogFor(env).warnings, ...settingWarnings(env)];
	const status = healthy ? 200 : 503;
	const headers = { 'cache-control': 'no-store' };
	const caller = await authenticate(request, setup, config);
	if (!caller.ok) {
		return Response.json(
			{
				status: healthy ? 'ok' : 'degraded',
				bindings: { DB: db, IMAGES: images, JOBS: env.JOBS ? 'bound' : 'missing' },
				// A server that refuses everyone says why to anyone: there is nothing to protect yet.
				...(auth.serving ? {} : { auth: { serving: false, reason: auth.reason } }),
				...(warnings.length ? { settings_to_fix: [...new Set(warnings.map(settingName))] } : {}),
				details: 'Send "Authorization: Bearer <token>" for auth, models, providers and the warnings in full.',
			},
			{ status, headers },
		);
	}
	// Models offered here but drawn by the offline provider (no AI binding locally): say so.
	const standIns = configuredModels(env)
		.filter((entry) => isStandIn(entry, env))
		.map((entry) => entry.alias);
	const body = {
		status: healthy ? 'ok' : 'degraded',
		bindings: {
			DB: db,
			IMAGES: images,
			JOBS: env.JOBS ? 'bound' : 'missing',
			AI: env.AI
				? 'bound'
				: config.localDev
					? 'not bound (local: the Workers AI models are drawn by the offline provider, see local_stand_ins)'
					: 'not bound (Workers AI models unavailable)',
		},
		auth,
		default_model: defaultModel(env, config.defaultModel).alias,
		models: configuredModels(env).map((entry) => entry.alias),
		...(standIns.length ? { local_stand_ins: standIns } : {}),
		providers: Object.fromEntries(
			[...new Map(MODEL_CATALOG.map((entry) => [entry.provider.id, entry.provider])).values()].map((provider) => [
				provider.id,
				provider.isConfigured(env) ? 'configured' : `not configured (set ${provider.configuredBy})`,
			]),
		),
		image_retention_days: imageRetentionDays(env),
		...(warnings.length ? { config_warnings: warnings } : {}),
		// The same object as get_server_info, as /mcp would answer it (its longest wait).
		...(caller.value.role === 'admin'
			? { server_info: describeServer({ env, maxWaitSeconds: MAX_WAIT_SECONDS, server: SERVER_FACTS }) }
			: {}),
	};
	return Response.json(body, { status, headers });
}
