/**
 * The official MCP Inspector's CLI mode (`mcp-inspector --cli`, package
 * @modelcontextprotocol/inspector v2) against a real `wrangler dev` with a bearer
 * token: the tool list and tool calls over the legacy SSE transport (and Streamable HTTP for
 * comparison), the `--header` that carries the token, and the clear failure without it.
 *
 * The Inspector is a devDependency: if it is missing the install is broken, and the tests
 * fail saying so rather than skip. MCP_INSPECTOR_DIR runs another installed copy instead.
 *
 * It runs with `--cli` first (never the web UI, so no browser and no local UI server), with
 * HOME in a temporary directory (it keeps state in ~/.mcp-inspector), with interactive OAuth
 * off, and against loopback only.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sniffImage } from '../../src/storage/sniff';
import { type DevServer, nodeBinary, PROJECT_ROOT, startDevServer } from './dev-server';
import { decodePng, EXPECTED_TOOLS, printServerLogsOnFailure } from './helpers';

const AUTH_TOKEN = 'inspector-secret';
const AUTH_HEADER = `Authorization: Bearer ${AUTH_TOKEN}`;

/** The launcher script behind the package's `mcp-inspector` bin, or why there is none. */
function findInspector(): { launcher: string; version: string } | { missing: string } {
	const dir = process.env.MCP_INSPECTOR_DIR ?? join(PROJECT_ROOT, 'node_modules', '@modelcontextprotocol', 'inspector');
	const manifestPath = join(dir, 'package.json');
	if (!existsSync(manifestPath)) {
		return { missing: `@modelcontextprotocol/inspector is not installed (no ${manifestPath})` };
	}
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; bin?: Record<string, string> };
	const bin = manifest.bin?.['mcp-inspector'];
	if (!bin || Number(manifest.version.split('.')[0]) < 2) {
		return { missing: `@modelcontextprotocol/inspector ${manifest.version} has no v2 mcp-inspector bin` };
	}
	return { launcher: join(dir, bin), version: manifest.version };
}

const inspector = findInspector();
if ('missing' in inspector) throw new Error(`${inspector.missing}: run npm install.`);

interface CliRun {
	code: number;
	stdout: string;
	stderr: string;
	// biome-ignore lint/suspicious/noExplicitAny: the Inspector prints arbitrary JSON.
	json: any;
}

let server: DevServer | undefined;
let home: string | undefined;

/** Runs `mcp-inspector --cli <args> --format json -q` and parses its one JSON object. */
function runInspector(args: string[]): Promise<CliRun> {
	if (!('launcher' in inspector) || !home) throw new Error('Inspector not set up.');
	const { launcher } = inspector;
	return new Promise((resolve) => {
		execFile(
			nodeBinary(),
			[launcher, '--cli', ...args, '--format', 'json', '-q'],
			{
				cwd: home,
				env: {
					...process.env,
					HOME: home,
					// Never open a browser for OAuth, nor wait on a prompt.
					MCP_AUTO_OPEN_ENABLED: 'false',
					CI: 'true',
					NO_COLOR: '1',
				},
				timeout: 30_000,
				maxBuffer: 16 * 1024 * 1024,
			},
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
				let json: unknown;
				try {
					json = JSON.parse(stdout || stderr);
				} catch {
					json = undefined;
				}
				resolve({ code, stdout, stderr, json });
			},
		);
	});
}

function explain(run: CliRun): string {
	return `exit ${run.code}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`;
}

describe(`MCP Inspector CLI ${inspector.version}`, () => {
	beforeAll(async () => {
		[server, home] = await Promise.all([
			// Each CLI run leaves its stream's slot taken until the server notices it is gone (at a
			// keepalive write, up to ~30 s under wrangler dev): room for more runs than the default 10.
			startDevServer({ vars: { AUTH_TOKEN, SSE_MAX_STREAMS: '50' } }),
			mkdtemp(join(tmpdir(), 'image-mcp-inspector-')),
		]);
	});

	afterAll(async () => {
		await server?.stop();
		if (home) await rm(home, { recursive: true, force: true });
	});

	printServerLogsOnFailure(() => [server]);

	const sse = () => [`${server!.url}/sse`, '--transport', 'sse', '--header', AUTH_HEADER];
	const generateOverSse = (prompt: string, width: number, height: number) =>
		runInspector([
			...sse(),
			'--method',
			'tools/call',
			'--tool-name',
			'generate_image_and_wait',
			'--tool-arg',
			`prompt=${prompt}`,
			`width=${width}`,
			`height=${height}`,
		]);

	it('--transport sse --method tools/list lists every tool', async () => {
		const run = await runInspector([...sse(), '--method', 'tools/list']);
		expect(run.code, explain(run)).toBe(0);
		const names = run.json.result.tools.map((tool: { name: string }) => tool.name);
		expect(names).toEqual([...EXPECTED_TOOLS]);
	});

	it('--transport sse --method tools/call --tool-name list_models returns the models as JSON', async () => {
		const run = await runInspector([...sse(), '--method', 'tools/call', '--tool-name', 'list_models']);
		expect(run.code, explain(run)).toBe(0);
		const { result } = run.json;
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent).toMatchObject({ success: true, default_model: 'offline' });
		expect(result.structuredContent.models.map((model: { name: string }) => model.name)).toContain('offline');
		expect(JSON.parse(result.content[0].text)).toEqual(result.structuredContent);
	});

	it('--transport sse tools/call generate_image_and_wait with --tool-arg gives a fetchable 320×240 PNG', async () => {
		const prompt = 'a kite over the dunes';
		const run = await generateOverSse(prompt, 320, 240);
		expect(run.code, explain(run)).toBe(0);
		const content = run.json.result.structuredContent;
		expect(content).toMatchObject({ success: true, status: 'completed', done: true, prompt });
		expect(content.results[0]).toMatchObject({ width: 320, height: 240 });
		expect(run.json.result.content).toContainEqual(
			expect.objectContaining({ type: 'resource_link', uri: `image://${content.job_id}/0`, mimeType: 'image/png' }),
		);
		const image = await fetch(content.image_url);
		expect(image.status).toBe(200);
		const png = decodePng(new Uint8Array(await image.arrayBuffer()));
		expect({ width: png.width, height: png.height }).toEqual({ width: 320, height: 240 });
	});

	it('--transport sse tools/call generate_image_and_wait has an image block: a WebP preview of longest edge ≤ 512', async () => {
		const run = await generateOverSse('a harbour crane at noon', 1024, 768);
		expect(run.code, explain(run)).toBe(0);
		const { content } = run.json.result;
		expect(content.map((block: { type: string }) => block.type)).toEqual(['text', 'image', 'resource_link']);
		const [, image] = content;
		expect(image.mimeType).toBe('image/webp');
		const preview = sniffImage(new Uint8Array(Buffer.from(image.data, 'base64')));
		expect(preview?.contentType).toBe('image/webp');
		expect(Math.max(preview!.width, preview!.height)).toBeLessThanOrEqual(512);
		expect({ width: preview!.width, height: preview!.height }).toEqual({ width: 512, height: 384 });
		expect(JSON.stringify(run.json.result.structuredContent)).not.toContain(image.data.slice(0, 64));
	});

	it('--transport sse reads an image:// resource byte for byte, lists it, and fills iterate_on_image for its job', async () => {
		const made = await generateOverSse('a lantern on a jetty', 128, 96);
		expect(made.code, explain(made)).toBe(0);
		const { job_id: jobId, image_url: imageUrl } = made.json.result.structuredContent;
		const uri = `image://${jobId}/0`;

		const read = await runInspector([...sse(), '--method', 'resources/read', '--uri', uri]);
		expect(read.code, explain(read)).toBe(0);
		const [content] = read.json.result.contents;
		expect(content).toMatchObject({ uri, mimeType: 'image/png' });
		const served = new Uint8Array(await (await fetch(imageUrl)).arrayBuffer());
		expect(new Uint8Array(Buffer.from(content.blob, 'base64'))).toEqual(served);

		const listed = await runInspector([...sse(), '--method', 'resources/list']);
		expect(listed.code, explain(listed)).toBe(0);
		expect(listed.json.result.resources.map((resource: { uri: string }) => resource.uri)).toContain(uri);

		const prompt = await runInspector([
			...sse(),
			'--method',
			'prompts/get',
			'--prompt-name',
			'iterate_on_image',
			'--prompt-args',
			`job_id=${jobId}`,
			'change=make it night',
		]);
		expect(prompt.code, explain(prompt)).toBe(0);
		const messages = prompt.json.result.messages as { content: { type: string; text?: string; uri?: string } }[];
		expect(messages.map((message) => message.content.text ?? '').join('\n')).toContain('make it night');
		expect(messages.some((message) => message.content.uri === uri)).toBe(true);
	});

	it('an unknown tool exits non-zero with a JSON error envelope', async () => {
		const run = await runInspector([...sse(), '--method', 'tools/call', '--tool-name', 'no_such_tool']);
		expect(run.code, explain(run)).not.toBe(0);
		expect(run.json?.error, explain(run)).toMatchObject({ code: expect.any(String) });
	});

	it('without the bearer header the SSE connection is refused (401) and nothing interactive starts', async () => {
		const run = await runInspector([
			`${server!.url}/sse`,
			'--transport',
			'sse',
			'--stored-auth-only',
			'--method',
			'tools/list',
		]);
		expect(run.code, explain(run)).not.toBe(0);
		expect(run.json?.error, explain(run)).toMatchObject({ code: 'auth_required' });
		expect(run.json.error.message).toContain('401');
	});

	it('--transport http on /mcp (Streamable HTTP) lists the same tools', async () => {
		const run = await runInspector([
			`${server!.url}/mcp`,
			'--transport',
			'http',
			'--header',
			AUTH_HEADER,
			'--method',
			'tools/list',
		]);
		expect(run.code, explain(run)).toBe(0);
		expect(run.json.result.tools.map((tool: { name: string }) => tool.name)).toEqual([...EXPECTED_TOOLS]);
	});
});
