/**
 * The D1 schema: the one source of migrations (`npm run db:generate`).
 * Layout and state transitions are documented in docs/storage-schema.md.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { JobParams } from './job-params';

/** Job states, the seed's names so existing clients and prompts keep working. */
export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** Why an image's bytes are gone: retention expired them, or their owner deleted them. */
export const IMAGE_REMOVED_REASONS = ['expired', 'deleted'] as const;
export type ImageRemovedReason = (typeof IMAGE_REMOVED_REASONS)[number];

export const jobs = sqliteTable(
	'jobs',
	{
		/** Random UUID v4; also the R2 key prefix, so it must stay unguessable. */
		id: text('id').primaryKey(),
		/** Principal that created the job; every read is scoped by it. */
		owner: text('owner').notNull(),
		status: text('status', { enum: JOB_STATUSES }).notNull().default('pending'),
		prompt: text('prompt').notNull(),
		/** Catalog alias the job was created with (not the upstream id, which config may change). */
		model: text('model').notNull(),
		/**
		 * The validated generation parameters (width, height, steps, negative_prompt, …), stored as
		 * JSON text; drizzle encodes and decodes them, so code sees a `JobParams`.
		 */
		params: text('params', { mode: 'json' }).$type<JobParams>().notNull(),
		/** Seed actually used; chosen at creation when the caller gives none, so retries repeat it. */
		seed: integer('seed'),
		/** Jobs created by one `count > 1` call share a batch id. */
		batchId: text('batch_id'),
		/** Client-supplied key: the same key from the same owner returns the existing job. */
		idempotencyKey: text('idempotency_key'),
		/**
		 * The tool whose call created the job (`generate_image` or `generate_image_and_wait`): an
		 * MCP task's result takes that tool's shape. Null for jobs from before it was recorded.
		 */
		tool: text('tool'),
		attempts: integer('attempts').notNull().default(0),
		/**
		 * While a consumer runs the job, the time (ms) until which no other delivery may claim it.
		 * A duplicate delivery waits this out; a crashed consumer's job is claimable after it.
		 */
		leaseUntil: integer('lease_until').notNull().default(0),
		/** Machine-readable error kind (transient, rate_limited, invalid_request, …). */
		errorCode: text('error_code'),
		/** Last error, for a failed job the final one. Safe to show to the caller. */
		error: text('error'),
		estimatedCostUsd: real('estimated_cost_usd').notNull().default(0),
		createdAt: integer('created_at').notNull(),
		updatedAt: integer('updated_at').notNull(),
		startedAt: integer('started_at'),
		completedAt: integer('completed_at'),
	},
	(t) => [
		index('jobs_owner_created_idx').on(t.owner, t.createdAt),
		index('jobs_owner_status_created_idx').on(t.owner, t.status, t.createdAt),
		index('jobs_status_updated_idx').on(t.status, t.updatedAt),
		// A batch's jobs, read together when the batch is one MCP task.
		index('jobs_owner_batch_idx').on(t.owner, t.batchId).where(sql`batch_id IS NOT NULL`),
		uniqueIndex('jobs_owner_idempotency_idx').on(t.owner, t.idempotencyKey).where(sql`idempotency_key IS NOT NULL`),
	],
);

export const images = sqliteTable(
	'images',
	{
		/** `<job_id>/<index>`: deterministic, so a redelivered job cannot add a second row. */
		id: text('id').primaryKey(),
		jobId: text('job_id')
			.notNull()
			.references(() => jobs.id),
		idx: integer('idx').notNull(),
		owner: text('owner').notNull(),
		/** R2 object key (same as `id`). */
		r2Key: text('r2_key').notNull(),
		/** Sniffed from the bytes, never taken from the provider's claim. */
		contentType: text('content_type').notNull(),
		width: integer('width').notNull(),
		height: integer('height').notNull(),
		bytes: integer('bytes').notNull(),
		seed: integer('seed'),
		/** The prompt the provider actually used, when it rewrites prompts (dall-e-3); else null. */
		revisedPrompt: text('revised_prompt'),
		createdAt: integer('created_at').notNull(),
		/**
		 * When the R2 object was deleted (null while it is served). The row stays, so listings
		 * say the image is gone instead of handing out a dead link.
		 */
		removedAt: integer('removed_at'),
		/** Why it was deleted: `expired` (retention) or `deleted` (the owner, with delete_image). */
		removedReason: text('removed_reason', { enum: IMAGE_REMOVED_REASONS }),
		/**
		 * Whether HTTP transforms of it may be kept in R2 (`<key>/t/…`), set before the first is
		 * written. Removal lists that prefix only for these rows; the preview's key is known.
		 */
		hasTransforms: integer('has_transforms', { mode: 'boolean' }).notNull().default(false),
	},
	(t) => [
		index('images_owner_created_idx').on(t.owner, t.createdAt),
		index('images_job_idx').on(t.jobId),
		// The retention sweep's scan: oldest images still stored.
		index('images_live_created_idx').on(t.createdAt).where(sql`removed_at IS NULL`),
	],
);

export type JobRow = typeof jobs.$inferSelect;
export type ImageRow = typeof images.$inferSelect;

/**
 * Legacy HTTP+SSE sessions (MCP 2024-11-05): one row per open `GET /sse` stream, bound to
 * the principal that opened it. The stream refreshes `seen_at`; a session not seen for a
 * while is dead (its stream went away without cleaning up) and is treated as unknown.
 */
export const sseSessions = sqliteTable(
	'sse_sessions',
	{
		id: text('id').primaryKey(),
		owner: text('owner').notNull(),
		createdAt: integer('created_at').notNull(),
		seenAt: integer('seen_at').notNull(),
		/** The client declared `elicitation` in this session's initialize (src/mcp/elicitation.ts). */
		elicitation: integer('elicitation', { mode: 'boolean' }).notNull().default(false),
	},
	(t) => [index('sse_sessions_owner_seen_idx').on(t.owner, t.seenAt), index('sse_sessions_seen_idx').on(t.seenAt)],
);

/**
 * The rendezvous between `POST /messages` and the stream when they run in different
 * isolates: JSON-RPC messages waiting for their session's stream, in `seq` order. The
 * stream deletes what it delivered; undelivered rows expire.
 */
export const sseOutbox = sqliteTable(
	'sse_outbox',
	{
		seq: integer('seq').primaryKey({ autoIncrement: true }),
		sessionId: text('session_id').notNull(),
		/** One serialized JSON-RPC message. */
		payload: text('payload').notNull(),
		expiresAt: integer('expires_at').notNull(),
	},
	(t) => [index('sse_outbox_session_seq_idx').on(t.sessionId, t.seq), index('sse_outbox_expires_idx').on(t.expiresAt)],
);

/** Log level each principal asked for with `logging/setLevel`: the server keeps no session, so it is kept here. */
export const logLevels = sqliteTable('log_levels', {
	owner: text('owner').primaryKey(),
	/** An MCP logging level (debug … emergency): messages below it are not sent. */
	level: text('level').notNull(),
	updatedAt: integer('updated_at').notNull(),
});

/**
 * Whether each principal's client declared `elicitation` at its latest Streamable HTTP
 * `initialize`: the stateless server keeps no session, so it is kept here (src/mcp/elicitation.ts).
 */
export const clientCapabilities = sqliteTable('client_capabilities', {
	owner: text('owner').primaryKey(),
	elicitation: integer('elicitation', { mode: 'boolean' }).notNull(),
	updatedAt: integer('updated_at').notNull(),
});

/**
 * The rendezvous for elicitation: a row per `elicitation/create` the server sent (its JSON-RPC
 * id, random), waiting for the client's response, which arrives as another POST, maybe in
 * another isolate. The waiting call polls `answer` and deletes the row; unanswered rows expire.
 */
export const elicitations = sqliteTable(
	'elicitations',
	{
		id: text('id').primaryKey(),
		owner: text('owner').notNull(),
		expiresAt: integer('expires_at').notNull(),
		/** The client's JSON-RPC response, serialized; null until it comes. */
		answer: text('answer'),
	},
	(t) => [index('elicitations_expires_idx').on(t.expiresAt)],
);

/**
 * The durable values behind GET /metrics (docs/metrics.md): one row per metric and label set.
 * Triggers on `jobs` and `images` (migration 0008_metrics_triggers) add to them inside the very
 * statement that moves a job or stores or removes an image, so they cost no statement of their
 * own and cannot disagree with the rows; the refusals, which move no job, add to theirs with one
 * upsert (src/db/metric-counters.ts). Every value only grows: gauges are differences of two rows.
 */
export const metricCounters = sqliteTable(
	'metric_counters',
	{
		/** The sample's name as exposed (`image_mcp_jobs_created_total`, `…_bucket`), or a gauge's part of it. */
		name: text('name').notNull(),
		/** The labels as a JSON object (SQLite's `json_object`, keys in a fixed order); `{}` for none. */
		labels: text('labels').notNull().default('{}'),
		value: real('value').notNull().default(0),
	},
	(t) => [primaryKey({ columns: [t.name, t.labels] })],
);

/** Who a style belongs to when an admin publishes it for every user to read. */
export const PUBLISHED_STYLE_OWNER = '*';

/**
 * The style library (issue 21, docs/tools.md#styles): a named brief to combine with prompts and
 * defaults for what a call leaves out. One row per owner and name; an admin's published styles
 * have the owner `*` and every user reads them (a user's own style of the same name wins).
 */
export const styles = sqliteTable(
	'styles',
	{
		owner: text('owner').notNull(),
		/** `[a-z0-9-]{1,64}`: what `style` names in a generate call and `style://<name>`. */
		name: text('name').notNull(),
		/** Markdown, up to 8 KB: combined with the prompt the way the model's family is best prompted. */
		brief: text('brief').notNull(),
		tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
		/** What the style fills in when a call leaves it out: model, size or aspect ratio, negative prompt, steps. */
		defaults: text('defaults', { mode: 'json' }).$type<StyleDefaults>().notNull(),
		createdAt: integer('created_at').notNull(),
		updatedAt: integer('updated_at').notNull(),
	},
	(t) => [primaryKey({ columns: [t.owner, t.name] })],
);

/** A style's defaults: each fills the generate argument of the same name when the call gives none. */
export interface StyleDefaults {
	model?: string;
	aspect_ratio?: string;
	width?: number;
	height?: number;
	negative_prompt?: string;
	steps?: number;
}

/**
 * Each user's defaults (issue 21, set_preferences): used by every face when a call is silent.
 * A column left null means "the deployment's default".
 */
export const preferences = sqliteTable('preferences', {
	owner: text('owner').primaryKey(),
	defaultModel: text('default_model'),
	defaultAspectRatio: text('default_aspect_ratio'),
	defaultWidth: integer('default_width'),
	defaultHeight: integer('default_height'),
	/** `auto` or `none`: whether results carry inline previews when a call does not say. */
	previews: text('previews'),
	/** Ask before a generate call estimated above this many USD (the lower of this and CONFIRM_ABOVE_USD). */
	confirmAboveUsd: real('confirm_above_usd'),
	updatedAt: integer('updated_at').notNull(),
});

/**
 * Quotes waiting for confirmation (issue 21): a generate call estimated above the threshold is
 * not queued; it answers a quote with a short-lived token, and the same call with that token
 * proceeds. The token is kept as its SHA-256; each is used once.
 */
export const confirmations = sqliteTable(
	'confirmations',
	{
		tokenHash: text('token_hash').primaryKey(),
		owner: text('owner').notNull(),
		/** SHA-256 of the call's arguments (without `confirmation`): the token confirms exactly that call. */
		requestHash: text('request_hash').notNull(),
		estimatedCostUsd: real('estimated_cost_usd').notNull(),
		expiresAt: integer('expires_at').notNull(),
		usedAt: integer('used_at'),
	},
	(t) => [index('confirmations_expires_idx').on(t.expiresAt)],
);

/**
 * Browser sessions of the web app at /ui (issue 18; src/worker/web/session.ts). The cookie holds
 * a random secret; only its SHA-256 is kept here, so a read of this table cannot sign anyone in.
 * How the person signed in is kept (`via`), and each request checks the principal is still
 * admitted (a removed token or email ends its sessions). Sign-out deletes the row.
 */
export const webSessions = sqliteTable(
	'web_sessions',
	{
		idHash: text('id_hash').primaryKey(),
		principalId: text('principal_id').notNull(),
		principalName: text('principal_name').notNull(),
		/** `token`, `oauth` or `local`. */
		via: text('via').notNull(),
		/** OAuth: Google's `hd` claim at sign-in, re-checked against OAUTH_HOSTED_DOMAIN. */
		hostedDomain: text('hosted_domain'),
		/** The per-session CSRF token every state-changing form carries. */
		csrf: text('csrf').notNull(),
		createdAt: integer('created_at').notNull(),
		expiresAt: integer('expires_at').notNull(),
	},
	(t) => [index('web_sessions_principal_idx').on(t.principalId), index('web_sessions_expires_idx').on(t.expiresAt)],
);

/**
 * Web sign-ins in flight with the upstream OpenID Connect provider: the `state` sent upstream
 * (its SHA-256, bound to this browser by a cookie holding the state), the PKCE verifier and the
 * nonce. Single use, expiring after 10 minutes.
 */
export const webLogins = sqliteTable(
	'web_logins',
	{
		stateHash: text('state_hash').primaryKey(),
		verifier: text('verifier').notNull(),
		nonce: text('nonce').notNull(),
		expiresAt: integer('expires_at').notNull(),
	},
	(t) => [index('web_logins_expires_idx').on(t.expiresAt)],
);
