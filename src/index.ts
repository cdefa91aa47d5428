/** One deployable, three entry points (DESIGN.md §1). Handlers stay thin. */
import { env } from 'cloudflare:workers';
import { handleQueueBatch } from './consumer';
import { ensureLocalSchema } from './db/local-migrations';
import { readConfig, settingWarnings } from './env';
import type { JobMessage } from './jobs/types';
import { catalogFor } from './providers/catalog';
import { runMaintenance } from './scheduled';
import { authSetup, describeAuth } from './worker/auth';
import { createHandler } from './worker/entry';

const handle = createHandler();

// Startup log: how callers are authenticated, and any misconfiguration (docs/security.md).
{
	const config = readConfig(env);
	const auth = describeAuth(authSetup(env), config);
	if (!auth.serving) console.error(`[image-mcp] ${auth.reason}`);
	else if (auth.mode.startsWith('none')) {
		console.log(
			'[image-mcp] No AUTH_TOKEN set: serving loopback clients only (local dev). Set AUTH_TOKEN in .dev.vars to require a token.',
		);
	} else console.log(`[image-mcp] Accepting ${auth.mode}.`);
	for (const warning of [...catalogFor(env).warnings, ...settingWarnings(env)]) console.warn(`[image-mcp] ${warning}`);
}

/** Local runs bring their own D1 schema up to date (src/db/local-migrations.ts); deployed ones never. */
async function localSchema(bindings: Env): Promise<void> {
	if (readConfig(bindings).localDev) await ensureLocalSchema(bindings.DB);
}

export default {
	fetch: async (request, bindings, ctx) => {
		await localSchema(bindings);
		return handle(request, bindings, ctx);
	},
	queue: async (batch, bindings) => {
		await localSchema(bindings);
		await handleQueueBatch(batch, bindings);
	},
	scheduled: async (_controller, bindings, ctx) => {
		await localSchema(bindings);
		ctx.waitUntil(runMaintenance(bindings, Date.now()));
	},
} satisfies ExportedHandler<Env, JobMessage>;
