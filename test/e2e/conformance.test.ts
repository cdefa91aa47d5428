/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) against a real
 * `wrangler dev`: one test per server scenario that applies to this server
 * (scripts/conformance.ts lists them; docs/transports.md#conformance says why the others do
 * not), each asserting that every check the suite wrote is SUCCESS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_SCENARIOS, describeFailures, runConformanceScenario } from '../../scripts/conformance.ts';
import { type DevServer, startDevServer } from './dev-server';

let server: DevServer;

beforeAll(async () => {
	server = await startDevServer();
});

afterAll(async () => {
	await server?.stop();
});

describe('MCP conformance suite, server scenarios', () => {
	for (const scenario of CONFORMANCE_SCENARIOS) {
		it(`passes every check of ${scenario}`, async () => {
			const run = await runConformanceScenario(`${server.url}/mcp`, scenario);
			const serverLogs = `--- wrangler dev, last output ---\n${server.logs().slice(-4000)}`;
			expect(run.checks.length, `${run.output}\n${serverLogs}`).toBeGreaterThan(0);
			expect(run.failures, `${scenario}:\n${describeFailures(run)}\n${serverLogs}`).toEqual([]);
		});
	}
});
