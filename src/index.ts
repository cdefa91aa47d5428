/** One deployable, three entry points (DESIGN.md §1). Handlers stay thin. */
import { env } from 'cloudflare:workers';
import { handleQueueBatch } from './consumer';
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

export default {
	fetch: (request, bindings, ctx) => handle(request, bindings, ctx),
	queue: (batch, bindings) => handleQueueBatch(batch, bindings),
	scheduled: (_controller, bindings, ctx) => ctx.waitUntil(runMaintenance(bindings, Date.now())),
} satisfies ExportedHandler<Env, JobMessage>;
