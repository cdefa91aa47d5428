/**
 * The admin operations (issue 20): the whole service's figures, retention on demand, and every
 * principal's usage. Admin role only; they are faced by the HTTP API's /admin routes
 * (src/worker/api/admin.ts), not listed as MCP tools, whose list is the same for every caller.
 */
import { z } from 'zod';
import { defaultBudgets } from '../env';
import { budgetsFor, roundUsd } from '../jobs/budget';
import { expireImages, retentionCutoff } from '../jobs/image-removal';
import { countDueImages, readServiceStats } from '../jobs/service-stats';
import { chargedSpendByOwner } from '../jobs/usage';
import { defineTool, type Principal, type ToolContext, type ToolOutcome, toolError, toolResult } from './context';

const adminOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** Refuses anyone but an admin, naming the role needed. */
function requireAdmin(principal: Principal, what: string): ToolOutcome | undefined {
	if (principal.role === 'admin') return undefined;
	return toolError(
		`${what} needs the admin role, and you ("${principal.name}") are a user. Your own figures are at get_usage (GET /api/v1/usage).`,
		undefined,
		'forbidden',
	);
}

const ownerStatsSchema = z.object({
	owner: z.string(),
	jobs: z.number().int(),
	images: z.number().int().describe('Completed jobs: one image each.'),
	estimated_cost_usd: z.number().describe('Charged estimated cost, all time (failed and cancelled jobs excluded).'),
	last_activity: z.string().describe('When the owner last created a job, ISO 8601.'),
});

export const adminStatsTool = defineTool({
	name: 'admin_stats',
	title: 'Service statistics',
	description: 'The whole service: jobs by status, images and bytes stored, and each user’s jobs, images and cost.',
	input: z.strictObject({}),
	output: z.object({
		success: z.boolean(),
		jobs: z.object({
			total: z.number().int(),
			by_status: z.record(z.string(), z.number().int()).describe('Jobs in each state; states with none are 0.'),
		}),
		images: z.object({
			stored: z.number().int().describe('Images whose bytes are stored now.'),
			stored_bytes: z.number().int(),
			removed: z.number().int().describe('Images expired by retention or deleted by their owner.'),
		}),
		users: z.array(ownerStatsSchema),
	}),
	annotations: { title: 'Service statistics', ...adminOnly },
	handler: async (_args, context) => {
		const refused = requireAdmin(context.principal, 'Service statistics');
		if (refused) return refused;
		const stats = await readServiceStats(context.db);
		const byStatus = Object.fromEntries(
			(['pending', 'processing', 'completed', 'failed', 'cancelled'] as const).map((status) => [
				status,
				stats.jobsByStatus[status] ?? 0,
			]),
		);
		return toolResult({
			success: true,
			jobs: { total: Object.values(byStatus).reduce((sum, n) => sum + n, 0), by_status: byStatus },
			images: { stored: stats.storedImages, stored_bytes: stats.storedBytes, removed: stats.removedImages },
			users: stats.owners.map((owner) => ({
				owner: owner.owner,
				jobs: owner.jobs,
				images: owner.images,
				estimated_cost_usd: owner.chargedUsd,
				last_activity: new Date(owner.lastActivity).toISOString(),
			})),
		});
	},
});

export const adminCleanupTool = defineTool({
	name: 'admin_cleanup',
	title: 'Run retention now',
	description:
		'Expires the images older than IMAGE_RETENTION_DAYS now, as the cron does every 5 minutes (up to one run’s worth). With dry_run, only counts what would go.',
	input: z.strictObject({
		dry_run: z.boolean().default(false).describe('true: count the images due and their bytes, delete nothing.'),
	}),
	output: z.object({
		success: z.boolean(),
		dry_run: z.boolean(),
		retention_days: z.number().nullable().describe('IMAGE_RETENTION_DAYS; null when retention is off.'),
		due_images: z.number().int().describe('Images due before this run.'),
		due_bytes: z.number().int(),
		expired_images: z.number().int().describe('Images this run expired (0 for a dry run).'),
		remaining_images: z.number().int().describe('Still due after this run: the next run (or the cron) takes them.'),
		message: z.string(),
	}),
	annotations: {
		title: 'Run retention now',
		readOnlyHint: false,
		destructiveHint: true,
		idempotentHint: true,
		openWorldHint: false,
	},
	handler: async ({ dry_run }, context) => {
		const refused = requireAdmin(context.principal, 'Running retention');
		if (refused) return refused;
		const days = context.config.imageRetentionDays;
		const now = Date.now();
		if (days === null) {
			return toolResult({
				success: true,
				dry_run,
				retention_days: null,
				due_images: 0,
				due_bytes: 0,
				expired_images: 0,
				remaining_images: 0,
				message: 'Retention is off (IMAGE_RETENTION_DAYS is not set): images are kept until their owner deletes them.',
			});
		}
		const cutoff = retentionCutoff(days, now);
		const due = await countDueImages(context.db, cutoff);
		const expired = dry_run ? 0 : await expireImages(context.env, context.db, days, now);
		const remaining = dry_run ? due.images : (await countDueImages(context.db, cutoff)).images;
		return toolResult({
			success: true,
			dry_run,
			retention_days: days,
			due_images: due.images,
			due_bytes: due.bytes,
			expired_images: expired,
			remaining_images: remaining,
			message: dry_run
				? `${due.images} image(s) (${due.bytes} bytes) are older than ${days} day(s) and would be expired. Nothing was deleted.`
				: `Expired ${expired} image(s) older than ${days} day(s).${remaining ? ` ${remaining} more are due: run again, or let the cron take them.` : ''}`,
		});
	},
});

const budgetSchema = z.number().nullable().describe('USD; null: no budget.');

export const adminUsersTool = defineTool({
	name: 'admin_users',
	title: 'Every user',
	description:
		'Each principal: the configured ones (AUTH_TOKENS) and everyone who has made a job (OAuth users), with their usage, budgets, spending and last activity.',
	input: z.strictObject({}),
	output: z.object({
		success: z.boolean(),
		users: z.array(
			z.object({
				id: z.string(),
				name: z.string().optional(),
				role: z
					.enum(['user', 'admin'])
					.optional()
					.describe('From AUTH_TOKENS; absent for principals known only by their jobs.'),
				configured: z.boolean().describe('True when the principal is in AUTH_TOKENS.'),
				jobs: z.number().int(),
				images: z.number().int(),
				estimated_cost_usd: z.number(),
				spent_today_usd: z.number(),
				spent_this_month_usd: z.number(),
				daily_budget_usd: budgetSchema,
				monthly_budget_usd: budgetSchema,
				last_activity: z.string().nullable().describe('When they last created a job; null: never.'),
			}),
		),
	}),
	annotations: { title: 'Every user', ...adminOnly },
	handler: async (_args, context) => {
		const refused = requireAdmin(context.principal, 'Listing users');
		if (refused) return refused;
		return toolResult({ success: true, users: await usersReport(context) });
	},
});

async function usersReport(context: ToolContext) {
	const now = Date.now();
	const [stats, spend] = await Promise.all([readServiceStats(context.db), chargedSpendByOwner(context.db, now)]);
	const configured = new Map((context.configuredPrincipals ?? []).map((principal) => [principal.id, principal]));
	const activity = new Map(stats.owners.map((owner) => [owner.owner, owner]));
	const ids = [...new Set([...configured.keys(), ...activity.keys()])].sort();
	const defaults = defaultBudgets(context.env);
	return ids.map((id) => {
		const principal = configured.get(id);
		const seen = activity.get(id);
		const budgets = budgetsFor(defaults, principal?.limits);
		return {
			id,
			...(principal ? { name: principal.name, role: principal.role } : {}),
			configured: principal !== undefined,
			jobs: seen?.jobs ?? 0,
			images: seen?.images ?? 0,
			estimated_cost_usd: roundUsd(seen?.chargedUsd ?? 0),
			spent_today_usd: spend.get(id)?.daily ?? 0,
			spent_this_month_usd: spend.get(id)?.monthly ?? 0,
			daily_budget_usd: budgets.daily,
			monthly_budget_usd: budgets.monthly,
			last_activity: seen ? new Date(seen.lastActivity).toISOString() : null,
		};
	});
}

/** The admin operations, in the order the HTTP API lists them. */
export const ADMIN_TOOLS = [adminStatsTool, adminCleanupTool, adminUsersTool] as const;
