/**
 * GET /metrics end to end (docs/metrics.md): a real `wrangler dev` (its D1 migrated by
 * `wrangler d1 migrations apply`, triggers included) with a METRICS_TOKEN, one generation run by
 * the local queue consumer, then the scrape piped to Prometheus' own checker, `promtool check
 * metrics` (Debian package `prometheus`; .ci/run installs it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server';
import { postMcp, printServerLogsOnFailure, send, toolCallRequest } from './helpers';

const METRICS_TOKEN = 'e2e-metrics-token';

/** promtool from PATH, else Debian's /usr/bin/promtool; a clear failure when neither is there. */
function promtoolPath(): string {
	for (const candidate of ['promtool', '/usr/bin/promtool']) {
		try {
			execFileSync(candidate, ['--version'], { stdio: 'ignore' });
			return candidate;
		} catch {
			// Not this one.
		}
	}
	throw new Error(
		'promtool is missing: this test checks /metrics with it. Install Debian\'s "prometheus" package (apt-get install -y prometheus), which ships /usr/bin/promtool.',
	);
}

/** `promtool check metrics` with `text` on stdin: its exit code and everything it printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(promtoolPath(), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => {
			output += chunk.toString('utf8');
		});
		child.stderr.on('data', (chunk: Buffer) => {
			output += chunk.toString('utf8');
		});
		child.once('error', reject);
		child.once('close', (code) => resolve({ code, output }));
		child.stdin.end(text);
	});
}

let server: DevServer;

beforeAll(async () => {
	promtoolPath();
	server = await startDevServer({ vars: { METRICS_TOKEN } });
});

afterAll(async () => {
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

describe('GET /metrics on a real wrangler dev', () => {
	it('refuses a scrape without the METRICS_TOKEN, with a Bearer challenge', async () => {
		const refused = await send(`${server.url}/metrics`);
		expect(refused.status).toBe(401);
		expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
		expect(refused.json.error).toContain('METRICS_TOKEN');
	});

	it('after one generation, counts it, and promtool check metrics finds nothing wrong', async () => {
		const made = await postMcp(
			server.url,
			toolCallRequest('generate_image_and_wait', { prompt: 'a metered lighthouse', model: 'offline' }),
		);
		expect(made.status).toBe(200);
		expect(made.json.result.isError).toBeFalsy();
		expect(JSON.parse(made.json.result.content[0].text)).toMatchObject({ status: 'completed' });

		const scraped = await send(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
		expect(scraped.status, scraped.text).toBe(200);
		expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
		for (const line of [
			'image_mcp_jobs_created_total{model="offline"} 1',
			'image_mcp_jobs_finished_total{model="offline",status="completed"} 1',
			'image_mcp_job_attempts_total{model="offline"} 1',
			'image_mcp_generation_duration_seconds_count{model="offline"} 1',
			'image_mcp_job_queue_wait_seconds_count 1',
			'image_mcp_jobs_unfinished{model="offline",status="pending"} 0',
			'image_mcp_images_stored 1',
		]) {
			expect(scraped.text.split('\n'), line).toContain(line);
		}

		const checked = await promtoolCheck(scraped.text);
		expect(checked.output.trim(), `promtool check metrics said:\n${checked.output}`).toBe('');
		expect(checked.code).toBe(0);
	});

	it('promtool notices a broken exposition, so the check above can fail', async () => {
		const broken = await promtoolCheck('# TYPE image_mcp_jobs_created counter\nimage_mcp_jobs_created 1\n');
		expect(broken.code).not.toBe(0);
		expect(broken.output).toContain('_total');
	});
});
