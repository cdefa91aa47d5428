/**
 * The admin endpoints (issue 20): /admin/stats, /admin/cleanup (with dry_run) and /admin/users,
 * for the admin role only, over the admin operations; and the OpenAPI document and reference
 * page that describe them with the REST API.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from '../src/worker/api/admin';
import { PROBLEM_CONTENT_TYPE } from '../src/worker/api/problem';
import { API_BASE, REST_ROUTES } from '../src/worker/api/rest';
import { createApp } from '../src/worker/app';
import { insertJob, insertStoredImage } from './helpers/fixtures';
import { usersEnv } from './helpers/users';

const DAY_MS = 24 * 60 * 60 * 1000;

function unique(name: string): string {
	return `${name}-${crypto.randomUUID().slice(0, 8)}`;
}

async function request(bindings: Partial<Env>, method: string, path: string, user?: string): Promise<Response> {
	return createApp().fetch(
		new Request(`http://localhost${path}`, {
			method,
			headers: user ? { authorization: `Bearer token-${user}` } : {},
		}),
		{ ...env, ...bindings },
		createExecutionContext(),
	);
}

interface Stats {
	jobs: { total: number; by_status: Record<string, number> };
	images: { stored: number; stored_bytes: number; removed: number };
	users: { owner: string; jobs: number; images: number; estimated_cost_usd: number; last_activity: string }[];
}

describe('admin endpoints', () => {
	it('refuse a user (403), and answer 401 without a token', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		for (const [method, path] of [
			['GET', '/admin/stats'],
			['POST', '/admin/cleanup'],
			['GET', '/admin/users'],
		] as const) {
			const refused = await request(bindings, method, path, alice);
			expect(refused.status, path).toBe(403);
			expect(refused.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
			expect(((await refused.json()) as { detail: string }).detail).toContain('needs the admin role');
			expect((await request(bindings, method, path)).status, path).toBe(401);
		}
	});

	it('GET /admin/stats counts jobs by status, stored images and bytes, and each user', async () => {
		const root = unique('root');
		const owner = unique('owner');
		const bindings = await usersEnv([{ id: root, role: 'admin' }]);
		const before = (await (await request(bindings, 'GET', '/admin/stats', root)).json()) as Stats;

		await insertJob({ owner, status: 'pending', estimatedCostUsd: 0.5 });
		await insertJob({ owner, status: 'failed', estimatedCostUsd: 0.25 });
		const { key } = await insertStoredImage(new Uint8Array(1000), { owner });
		const response = await request(bindings, 'GET', '/admin/stats', root);
		expect(response.status).toBe(200);
		const after = (await response.json()) as Stats;

		expect(after.jobs.total - before.jobs.total).toBe(3);
		expect(after.jobs.by_status.pending! - before.jobs.by_status.pending!).toBe(1);
		expect(after.jobs.by_status.failed! - before.jobs.by_status.failed!).toBe(1);
		expect(after.jobs.by_status.completed! - before.jobs.by_status.completed!).toBe(1);
		expect(after.images.stored - before.images.stored).toBe(1);
		expect(after.images.stored_bytes - before.images.stored_bytes).toBe(1000);
		// The failed job is not charged; the pending one is.
		expect(after.users.find((user) => user.owner === owner)).toMatchObject({
			jobs: 3,
			images: 1,
			estimated_cost_usd: 0.5,
		});
		expect(key).toContain('/0');
	});

	it('POST /admin/cleanup counts with dry_run, then expires what retention says is due', async () => {
		const root = unique('root');
		const owner = unique('owner');
		const old = Date.now() - 40 * DAY_MS;
		const bindings = await usersEnv([{ id: root, role: 'admin' }], { IMAGE_RETENTION_DAYS: '30' });
		const { key } = await insertStoredImage(new Uint8Array(500), { owner, createdAt: old });
		const { key: fresh } = await insertStoredImage(new Uint8Array(500), { owner });

		const dry = await request(bindings, 'POST', '/admin/cleanup?dry_run=true', root);
		expect(dry.status).toBe(200);
		const dryBody = (await dry.json()) as { due_images: number; expired_images: number; dry_run: boolean };
		expect(dryBody).toMatchObject({ dry_run: true, expired_images: 0 });
		expect(dryBody.due_images).toBeGreaterThanOrEqual(1);
		expect(await env.IMAGES.head(key)).not.toBeNull();

		const run = (await (await request(bindings, 'POST', '/admin/cleanup', root)).json()) as {
			expired_images: number;
			remaining_images: number;
		};
		expect(run.expired_images).toBeGreaterThanOrEqual(1);
		expect(run.remaining_images).toBe(0);
		expect(await env.IMAGES.head(key)).toBeNull();
		expect(await env.IMAGES.head(fresh)).not.toBeNull();

		const off = await usersEnv([{ id: root, role: 'admin' }]);
		const noRetention = (await (await request(off, 'POST', '/admin/cleanup', root)).json()) as {
			retention_days: null;
			message: string;
		};
		expect(noRetention.retention_days).toBeNull();
		expect(noRetention.message).toContain('IMAGE_RETENTION_DAYS is not set');

		const bad = await request(bindings, 'POST', '/admin/cleanup?dry_run=maybe', root);
		expect(bad.status).toBe(400);
		expect(((await bad.json()) as { field: string }).field).toBe('dry_run');
	});

	it('GET /admin/users lists configured principals and those known by their jobs, with budgets', async () => {
		const root = unique('root');
		const alice = unique('alice');
		const oauthUser = unique('oauth');
		const bindings = await usersEnv([
			{ id: root, role: 'admin' },
			{ id: alice, daily_budget_usd: 2 },
		]);
		await insertJob({ owner: oauthUser, status: 'completed', estimatedCostUsd: 0.1 });
		const body = (await (await request(bindings, 'GET', '/admin/users', root)).json()) as {
			users: {
				id: string;
				configured: boolean;
				role?: string;
				jobs: number;
				daily_budget_usd: number | null;
				last_activity: string | null;
			}[];
		};
		const byId = new Map(body.users.map((user) => [user.id, user]));
		expect(byId.get(alice)).toMatchObject({
			configured: true,
			role: 'user',
			jobs: 0,
			daily_budget_usd: 2,
			last_activity: null,
		});
		expect(byId.get(root)).toMatchObject({ configured: true, role: 'admin' });
		expect(byId.get(oauthUser)).toMatchObject({ configured: false, jobs: 1 });
		expect(byId.get(oauthUser)!.last_activity).not.toBeNull();
	});
});

describe('the OpenAPI document and the reference page', () => {
	it('describes every route with its operation, parameters and problem answers', async () => {
		const response = await request({}, 'GET', '/openapi.json');
		expect(response.status).toBe(200);
		const document = (await response.json()) as {
			openapi: string;
			paths: Record<
				string,
				Record<string, { operationId: string; parameters?: { name: string }[]; responses: Record<string, unknown> }>
			>;
			components: { schemas: Record<string, unknown> };
		};
		expect(document.openapi).toBe('3.1.0');
		const routes = [
			...REST_ROUTES.map((route) => ({ base: API_BASE, route })),
			...ADMIN_ROUTES.map((route) => ({ base: '/admin', route })),
		];
		for (const { base, route } of routes) {
			const operation = document.paths[base + route.path]?.[route.method];
			expect(operation?.operationId, route.operationId).toBe(route.operationId);
			const names = (operation?.parameters ?? []).map((parameter) => parameter.name);
			for (const name of route.query ?? []) expect(names, route.operationId).toContain(name);
			expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(['400', '401', '500']));
		}
		// The create body is generate_image's own schema: its limits come with it.
		const body = document.components.schemas.GenerateImageRequest as {
			properties: Record<string, { maximum?: number }>;
		};
		expect(body.properties.count?.maximum).toBe(20);
		expect(new Set(routes.map(({ route }) => route.operationId)).size).toBe(routes.length);
	});

	it('renders the reference page from the document, with a strict CSP and no script', async () => {
		const response = await request({}, 'GET', '/api/docs');
		expect(response.status).toBe(200);
		expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
		const html = await response.text();
		for (const route of REST_ROUTES) expect(html).toContain(`id="${route.operationId}"`);
		expect(html).not.toContain('<script');
		expect(html).toContain('curl -X POST -H &quot;Authorization: Bearer $TOKEN&quot;');
	});
});
