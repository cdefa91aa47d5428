/** One deployable, three entry points (DESIGN.md §1). Handlers stay thin. */
import { env } from 'cloudflare:workers';
import { handleQueueBatch } from './consumer';
import { readConfig, settingWarnings } from './env';
import type { JobMessage } from './jobs/types';
import { catalogFor } from './providers/catalog';
import { runMaintenance } from './scheduled';
import { createApp } from './worker/app';

const app = createApp();

// Startup log: say how a token-less server behaves (docs/configuration.md, AUTH_TOKEN).
{
	const config = readConfig(env);
	if (!config.authToken) {
		console.log(
			config.localDev
				? '[image-mcp] No AUTH_TOKEN set: serving loopback clients only (local dev). Set AUTH_TOKEN in .dev.vars to require a token.'
				: '[image-mcp] No AUTH_TOKEN set: refusing every MCP request. Run `wrangler secret put AUTH_TOKEN`.',
		);
	}
	for (const warning of [...catalogFor(env).warnings, ...settingWarnings(env)]) console.warn(`[image-mcp] ${warning}`);
}

export default {
	fetch: (request, bindings, ctx) => app.fetch(request, bindings, ctx),
	queue: (batch, bindings) => handleQueueBatch(batch, bindings),
	scheduled: (_controller, bindings, ctx) => ctx.waitUntil(runMaintenance(bindings, Date.now())),
} satisfies ExportedHandler<Env, JobMessage>;
