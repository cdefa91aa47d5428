/**
 * A newcomer's first run (issue 15, item 19): plain `wrangler dev` on a fresh state directory,
 * with no migrations applied, no account, no secrets and no network, serves the health check
 * and makes an image on the first call, as `npm run dev` does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { postMcp, printServerLogsOnFailure, send, toolCallRequest } from './helpers';

let server: DevServer;

beforeAll(async () => {
	server = await startDevServer({ skipMigrations: true });
});

afterAll(async () => {
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

describe('plain `wrangler dev` on a fresh checkout', () => {
	it('makes an image on the first call, migrating its local D1 itself', async () => {
		const response = await postMcp(server.url, toolCallRequest('generate_image_and_wait', { prompt: 'a lighthouse' }));
		expect(response.status, response.text).toBe(200);
		const result = (response.json as { result: { isError?: boolean; structuredContent: { completed: number } } })
			.result;
		expect(result.isError, response.text).toBeFalsy();
		expect(result.structuredContent.completed).toBe(1);
		expect(server.logs()).toMatch(/\[image-mcp\] Applied \d+ migration\(s\) to the local D1 database: 0000_init.sql/);
	});

	it('answers /health as serving loopback clients with the offline provider', async () => {
		const health = await send(`${server.url}/health`);
		expect(health.status).toBe(200);
		expect(health.json).toMatchObject({
			status: 'ok',
			auth: { serving: true },
			default_model: 'offline',
		});
	});
});
