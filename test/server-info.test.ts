/**
 * get_server_info (issue 21): the version is package.json's, the protocol versions are the
 * SDK's, the features follow the deployment's settings and the limits are the code's own
 * constants. An admin's /health carries the same object; nobody else's does.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { version } from '../package.json';
import { MAX_COUNT, MAX_PROMPT_CHARS, MAX_REFERENCE_IMAGES } from '../src/generation/request';
import { JOB_RATE_LIMIT } from '../src/jobs/rate-limit';
import { findTool } from '../src/tools/index';
import { MAX_JOBS_PER_CALL, MAX_PAGE_LIMIT } from '../src/tools/jobs.tools';
import { MAX_WAIT_SECONDS } from '../src/tools/wait';
import { createApp } from '../src/worker/app';
import { MAX_BODY_BYTES } from '../src/worker/json-body';
import { callTool, postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';
import { usersEnv } from './helpers/users';

const TOKEN = 'server-info-admin';

/** get_server_info through /mcp on a deployment with these settings, as the admin of AUTH_TOKEN. */
async function serverInfoWith(settings: Partial<Env>): Promise<Record<string, unknown>> {
	const response = await postWithEnv(
		{ LOCAL_DEV: '', AUTH_TOKEN: TOKEN, ...settings },
		rpcBody('tools/call', { name: 'get_server_info', arguments: {} }),
		{ authorization: `Bearer ${TOKEN}` },
	);
	const body = (await response.json()) as { result?: ToolResult };
	if (!body.result) throw new Error(`get_server_info answered ${response.status} ${JSON.stringify(body)}`);
	expect(body.result.isError, body.result.content[0]?.text).toBeUndefined();
	return textJson(body.result);
}

async function health(settings: Partial<Env>, token?: string): Promise<Record<string, unknown>> {
	const response = await createApp().fetch(
		new Request('http://localhost/health', token ? { headers: { authorization: `Bearer ${token}` } } : {}),
		{ ...env, ...settings },
		createExecutionContext(),
	);
	return (await response.json()) as Record<string, unknown>;
}

describe('get_server_info', () => {
	it("answers over MCP with package.json's version, the SDK's protocol versions, and matches its output schema", async () => {
		const result = await callTool('get_server_info');
		expect(result.isError).toBeUndefined();
		const info = textJson(result);
		expect(result.structuredContent).toEqual(info);
		expect(findTool('get_server_info')!.output.parse(info)).toBeTruthy();
		expect(info).toMatchObject({ success: true, name: 'image-mcp', version, commit: 'unknown (local)' });
		expect(info.mcp).toEqual({
			protocol_versions: [...SUPPORTED_PROTOCOL_VERSIONS],
			latest_protocol_version: LATEST_PROTOCOL_VERSION,
		});
		expect((info.mcp as { protocol_versions: string[] }).protocol_versions).toContain('2024-11-05');
	});

	it('gives MCP initialize the same version as serverInfo', async () => {
		const response = await postWithEnv(
			{},
			rpcBody('initialize', {
				protocolVersion: LATEST_PROTOCOL_VERSION,
				capabilities: {},
				clientInfo: { name: 'server-info-test', version: '1.0.0' },
			}),
			{ accept: 'application/json, text/event-stream' },
		);
		const text = await response.text();
		expect(text).toContain(`"version":"${version}"`);
	});

	it('reports the limits the code enforces, from the same constants', async () => {
		const { limits } = textJson(await callTool('get_server_info'));
		expect(limits).toEqual({
			max_count: MAX_COUNT,
			max_prompt_chars: MAX_PROMPT_CHARS,
			max_reference_images: MAX_REFERENCE_IMAGES,
			max_wait_seconds: MAX_WAIT_SECONDS,
			max_jobs_per_call: MAX_JOBS_PER_CALL,
			max_page_size: MAX_PAGE_LIMIT,
			max_body_bytes: MAX_BODY_BYTES,
			rate_limit: {
				limit: JOB_RATE_LIMIT.limit,
				period_seconds: JOB_RATE_LIMIT.periodSeconds,
				applies_to: expect.stringContaining('user'),
			},
			default_budgets: { daily_usd: null, monthly_usd: null },
		});
	});

	it('reports the local defaults: offline only, OAuth off, previews on, nothing read-only', async () => {
		const { features } = textJson(await callTool('get_server_info'));
		expect(features).toEqual({
			providers: ['offline'],
			local_dev: true,
			oauth: false,
			previews: 'auto',
			read_only: false,
			image_retention_days: null,
			confirm_above_usd: null,
			mcp_apps: true,
			tasks: true,
			styles: true,
			preferences: true,
		});
	});

	it('follows a changed deployment: read-only, previews off, retention, budgets, providers and the build commit', async () => {
		const info = await serverInfoWith({
			READ_ONLY: 'true',
			PREVIEWS: 'none',
			IMAGE_RETENTION_DAYS: '30',
			DAILY_BUDGET_USD: '5',
			MONTHLY_BUDGET_USD: '50',
			CONFIRM_ABOVE_USD: '0.5',
			OPENAI_API_KEY: 'sk-test',
			AI: {} as Ai,
			BUILD_COMMIT: 'abc1234',
		});
		expect(info.commit).toBe('abc1234');
		expect(info.features).toMatchObject({
			providers: ['offline', 'workers-ai', 'openai'],
			local_dev: false,
			oauth: false,
			previews: 'none',
			read_only: true,
			image_retention_days: 30,
			confirm_above_usd: 0.5,
		});
		expect((info.limits as Record<string, unknown>).default_budgets).toEqual({ daily_usd: 5, monthly_usd: 50 });
	});

	it('says OAuth is on when it is configured, and that a deployed build without BUILD_COMMIT recorded none', async () => {
		const info = await serverInfoWith({
			OAUTH_CLIENT_ID: 'client-id',
			OAUTH_CLIENT_SECRET: 'client-secret',
			OAUTH_ALLOWED_EMAILS: 'someone@example.com',
		});
		expect((info.features as Record<string, unknown>).oauth).toBe(true);
		expect(info.commit).toBe('unknown (not recorded: deploy with npm run deploy)');
	});

	it('is offered by a read-only deployment, since it changes nothing', async () => {
		const response = await postWithEnv({ READ_ONLY: 'true' }, rpcBody('tools/list', {}));
		const { result } = (await response.json()) as { result: { tools: { name: string; annotations: unknown }[] } };
		const tool = result.tools.find((entry) => entry.name === 'get_server_info');
		expect(tool?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
	});
});

describe('GET /health', () => {
	it('carries get_server_info for an admin bearer token', async () => {
		const settings = { LOCAL_DEV: '', AUTH_TOKEN: TOKEN, BUILD_COMMIT: 'abc1234' };
		const body = await health(settings, TOKEN);
		const { success: _success, ...tool } = await serverInfoWith(settings);
		expect(body.server_info).toEqual(tool);
		expect(body.server_info).toMatchObject({ version, commit: 'abc1234' });
	});

	it('leaves it out for a user, and keeps the public answer as it was for a caller without a token', async () => {
		const users = await usersEnv([{ id: 'alice' }], { AUTH_TOKEN: TOKEN });
		const asUser = await health(users, 'token-alice');
		expect(asUser.models).toBeDefined();
		expect(asUser).not.toHaveProperty('server_info');

		const anonymous = await health(users);
		expect(anonymous).not.toHaveProperty('server_info');
		expect(Object.keys(anonymous).sort()).toEqual(['bindings', 'details', 'status']);
	});
});
