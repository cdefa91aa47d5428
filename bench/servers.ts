/// <reference types="node" />
/** Shared by the bench scripts: the dev servers a run needs, started together and always stopped. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type DevServer, startDevServer } from '../test/e2e/dev-server.ts';

/**
 * Starts one `wrangler dev` per entry of `varSets` in parallel, runs `bench` with them, then
 * closes every client `bench` registered and stops every server that started (also when a
 * start, the bench or Ctrl-C fails the run).
 */
export async function withDevServers<T>(
	description: string,
	varSets: Array<Record<string, string>>,
	bench: (servers: DevServer[], track: (client: Client) => Client) => Promise<T>,
): Promise<T> {
	process.stderr.write(`Starting ${varSets.length} wrangler dev servers (${description})...\n`);
	const started: DevServer[] = [];
	const clients: Client[] = [];
	const stopAll = () => Promise.allSettled(started.map((server) => server.stop()));
	process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
	try {
		const servers = await Promise.all(
			varSets.map(async (vars) => {
				const server = await startDevServer({ vars });
				started.push(server);
				return server;
			}),
		);
		process.stderr.write(
			`  healthy ${servers.map((server) => `${server.startupMs} ms`).join(' and ')} after spawning (migrations not counted)\n`,
		);
		return await bench(servers, (client) => {
			clients.push(client);
			return client;
		});
	} finally {
		await Promise.allSettled(clients.map((client) => client.close()));
		await stopAll();
	}
}
