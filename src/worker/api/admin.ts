/**
 * The admin endpoints (issue 20), `/admin`: the service's figures, retention now, and every
 * user. Routes of the same kind as the REST API's (src/worker/api/rest.ts), over the admin
 * operations (src/tools/admin.tools.ts), which refuse anyone but the admin role with a 403.
 */
import { adminCleanupTool, adminStatsTool, adminUsersTool } from '../../tools/admin.tools';
import type { RestRoute } from './rest';

export const ADMIN_BASE = '/admin';

export const ADMIN_ROUTES: readonly RestRoute[] = [
	{
		method: 'get',
		path: '/stats',
		operationId: 'adminStats',
		summary: 'Service statistics',
		description: 'Jobs by status, images and bytes stored, and per-user jobs, images and cost. Admin role only.',
		tags: ['Admin'],
		tool: adminStatsTool,
		query: [],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'The figures.' },
		failures: [],
	},
	{
		method: 'post',
		path: '/cleanup',
		operationId: 'adminCleanup',
		summary: 'Run retention now',
		description:
			'Expires the images older than IMAGE_RETENTION_DAYS now (one run: up to 1,000 images), or with `dry_run=true` counts them. Admin role only.',
		tags: ['Admin'],
		tool: adminCleanupTool,
		query: ['dry_run'],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'What was (or would be) expired.' },
		failures: [],
	},
	{
		method: 'get',
		path: '/users',
		operationId: 'adminUsers',
		summary: 'Every user',
		description:
			'Each principal (configured in AUTH_TOKENS, or known by their jobs): usage, budgets, spending and last activity. Admin role only.',
		tags: ['Admin'],
		tool: adminUsersTool,
		query: [],
		answer: () => ({ status: 200 }),
		statuses: { 200: 'The users.' },
		failures: [],
	},
];
