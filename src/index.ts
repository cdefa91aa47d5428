/** One deployable, three entry points (DESIGN.md §1). Handlers stay thin. */
import { env } from 'cloudflare:workers';
import { handleQueueBatch } from './consumer';
import { getDb } from './db/client';
import { purgeSseState } from './db/sse-store';
import { readConfig } from './env';
import { sweepJobs } from './jobs/sweep';
import type { JobMessage } from './jobs/types';
import { catalogFor } from './providers/catalog';
import { createApp } from './worker/app';
import { SESSION_LIVE_WINDOW_MS } from './worker/legacy-sse/session-limits';

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
	for (const warning of catalogFor(env).warnings) console.warn(`[image-mcp] ${warning}`);
}

export default {
	fetch: (request, bindings, ctx) => app.fetch(request, bindings, ctx),
	queue: (batch, bindings) => handleQueueBatch(batch, bindings),
	scheduled: (_controller, bindings, ctx) => {
		const now = Date.now();
		ctx.waitUntil(sweepJobs(bindings, now));
		ctx.waitUntil(purgeSseState(getDb(bindings), now, now - SESSION_LIVE_WINDOW_MS));
	},
} satisfies ExportedHandler<Env, JobMessage>;
