/**
 * get_server_info (issue 21, "Catalog honesty and server info"): which build this is, which
 * MCP protocol versions it speaks, what is turned on and the limits in force. `/health` shows
 * the same object to admins (src/worker/health.ts).
 */
import { z } from 'zod';
import { type AppConfig, readConfig } from '../env';
import { MAX_COUNT, MAX_PROMPT_CHARS, MAX_REFERENCE_IMAGES } from '../generation/request';
import { JOB_RATE_LIMIT } from '../jobs/rate-limit';
import { MODEL_CATALOG } from '../providers/catalog';
import { SERVER_INFO } from '../server-identity';
import { defineTool, type RequestScope, toolResult } from './context';
import { MAX_JOBS_PER_CALL, MAX_PAGE_LIMIT, readOnly } from './jobs.tools';

/** What get_server_info and an admin's /health say about the commit when the build recorded none. */
export function describeCommit(config: Pick<AppConfig, 'buildCommit' | 'localDev'>): string {
	if (config.buildCommit) return config.buildCommit;
	return config.localDev ? 'unknown (local)' : 'unknown (not recorded: deploy with npm run deploy)';
}

const usdOrNull = z.number().nullable();

export const serverInfoSchema = z.object({
	name: z.string().describe("The MCP server's name (serverInfo.name)."),
	version: z.string().describe("This build's version: package.json's, also MCP serverInfo.version."),
	commit: z
		.string()
		.describe(
			'The git commit the Worker was built from (BUILD_COMMIT), or "unknown (…)" when the build recorded none.',
		),
	mcp: z
		.object({
			protocol_versions: z.array(z.string()).describe('MCP protocol versions this server speaks, newest first.'),
			latest_protocol_version: z.string().describe('The newest; answered to a client that asks for another.'),
		})
		.nullable()
		.describe('Null when the caller reached the operation without the HTTP edge (it cannot tell).'),
	features: z.object({
		providers: z
			.array(z.string())
			.describe('Image providers configured here (offline is always there); list_models shows their models.'),
		local_dev: z.boolean().describe('A local `wrangler dev` run: Workers AI models are drawn by the offline stand-in.'),
		oauth: z.boolean().describe('OAuth sign-in is on (OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are set).'),
		previews: z.enum(['auto', 'none']).describe('PREVIEWS: inline previews in results by default, or links only.'),
		read_only: z.boolean().describe('READ_ONLY: only the operations that change nothing are offered.'),
		image_retention_days: z.number().nullable().describe('IMAGE_RETENTION_DAYS; null keeps images forever.'),
		confirm_above_usd: usdOrNull.describe(
			'CONFIRM_ABOVE_USD: calls estimated above it need a confirmation; null: none (users may set their own).',
		),
		mcp_apps: z.boolean().describe('MCP Apps views (image viewer, gallery) for hosts that show them.'),
		tasks: z.boolean().describe('MCP tasks for the generating tools.'),
		styles: z.boolean().describe('The style library (save_style, list_styles, style://).'),
		preferences: z.boolean().describe('Per-user defaults (set_preferences, get_preferences).'),
	}),
	limits: z.object({
		max_count: z.number().int().describe('Most images one generate call makes.'),
		max_prompt_chars: z.number().int().describe('Longest prompt, in characters.'),
		max_reference_images: z.number().int().describe('Most reference_images any model takes (per model: list_models).'),
		max_wait_seconds: z.number().int().describe('Longest a wait tool waits on this transport.'),
		max_jobs_per_call: z.number().int().describe('Most job ids one wait_for_completion or cancel_job call takes.'),
		max_page_size: z.number().int().describe('Most rows one page of a listing returns (`limit`).'),
		max_body_bytes: z
			.number()
			.int()
			.nullable()
			.describe('Largest JSON request body, in bytes; null when not known here.'),
		rate_limit: z.object({
			limit: z.number().int().describe('Generate calls allowed per period (a call with count n is one call).'),
			period_seconds: z.number().int(),
			applies_to: z.string(),
		}),
		default_budgets: z.object({
			daily_usd: usdOrNull.describe('DAILY_BUDGET_USD per principal, or null for none.'),
			monthly_usd: usdOrNull.describe('MONTHLY_BUDGET_USD per principal, or null for none.'),
		}),
	}),
});

export type ServerInfo = z.infer<typeof serverInfoSchema>;

/** The server info of this deployment, as the scope's face sees it. */
export function describeServer(scope: Pick<RequestScope, 'env' | 'maxWaitSeconds' | 'server'>): ServerInfo {
	const { env, server } = scope;
	const config = readConfig(env);
	const providers = [...new Map(MODEL_CATALOG.map((entry) => [entry.provider.id, entry.provider])).values()];
	return {
		name: SERVER_INFO.name,
		version: SERVER_INFO.version,
		commit: describeCommit(config),
		mcp: server
			? { protocol_versions: [...server.protocolVersions], latest_protocol_version: server.latestProtocolVersion }
			: null,
		features: {
			providers: providers.filter((provider) => provider.isConfigured(env)).map((provider) => provider.id),
			local_dev: config.localDev,
			// A half-configured OAuth refuses every request (src/worker/auth.ts), so a caller who got
			// here sees OAuth on exactly when both halves are set.
			oauth: config.oauth.clientId !== undefined && config.oauth.clientSecret !== undefined,
			previews: config.previews,
			read_only: config.readOnly,
			image_retention_days: config.imageRetentionDays,
			confirm_above_usd: config.confirmAboveUsd,
			mcp_apps: true,
			tasks: true,
			styles: true,
			preferences: true,
		},
		limits: {
			max_count: MAX_COUNT,
			max_prompt_chars: MAX_PROMPT_CHARS,
			max_reference_images: MAX_REFERENCE_IMAGES,
			max_wait_seconds: scope.maxWaitSeconds,
			max_jobs_per_call: MAX_JOBS_PER_CALL,
			max_page_size: MAX_PAGE_LIMIT,
			max_body_bytes: server?.maxBodyBytes ?? null,
			rate_limit: {
				limit: JOB_RATE_LIMIT.limit,
				period_seconds: JOB_RATE_LIMIT.periodSeconds,
				applies_to: 'principals of role user; admins are not limited',
			},
			default_budgets: { daily_usd: config.budgets.dailyUsd, monthly_usd: config.budgets.monthlyUsd },
		},
	};
}

export const getServerInfoTool = defineTool({
	name: 'get_server_info',
	title: 'Server info',
	description:
		'What this server is: its version and build commit, the MCP protocol versions it speaks, the features turned on (providers, OAuth, previews, read-only, retention, MCP Apps, tasks, styles, preferences) and the limits in force (images per call, prompt length, wait, page size, body size, rate limit, default budgets).',
	input: z.strictObject({}),
	output: serverInfoSchema.extend({ success: z.boolean() }),
	annotations: { title: 'Server info', ...readOnly },
	handler: async (_args, context) => toolResult({ success: true, ...describeServer(context) }),
});
