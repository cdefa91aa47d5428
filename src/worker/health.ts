/** GET /health: open, reports whether each binding answers and how auth is set up. */
import { type AppConfig, imageRetentionDays, settingWarnings } from '../env';
import { catalogFor, configuredModels, defaultModel, MODEL_CATALOG } from '../providers/catalog';
import { probeImageBucket } from '../storage/bucket';
import { authSetup, describeAuth } from './auth';

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'error'> {
	try {
		await check();
		return 'ok';
	} catch {
		return 'error';
	}
}

export async function healthReport(env: Env, config: AppConfig): Promise<Response> {
	const [db, images] = await Promise.all([
		probe(() => env.DB.prepare('SELECT 1').first()),
		probe(() => probeImageBucket(env.IMAGES)),
	]);
	const auth = describeAuth(authSetup(env), config.localDev);
	const warnings = [...catalogFor(env).warnings, ...settingWarnings(env)];
	const healthy = db === 'ok' && images === 'ok' && auth.serving;
	const body = {
		status: healthy ? 'ok' : 'degraded',
		bindings: {
			DB: db,
			IMAGES: images,
			JOBS: env.JOBS ? 'bound' : 'missing',
			AI: env.AI ? 'bound' : 'not bound (Workers AI models unavailable)',
		},
		auth,
		default_model: defaultModel(env, config.defaultModel).alias,
		models: configuredModels(env).map((entry) => entry.alias),
		providers: Object.fromEntries(
			[...new Map(MODEL_CATALOG.map((entry) => [entry.provider.id, entry.provider])).values()].map((provider) => [
				provider.id,
				provider.isConfigured(env) ? 'configured' : `not configured (set ${provider.configuredBy})`,
			]),
		),
		image_retention_days: imageRetentionDays(env),
		...(warnings.length ? { config_warnings: warnings } : {}),
	};
	return Response.json(body, { status: healthy ? 200 : 503, headers: { 'cache-control': 'no-store' } });
}
