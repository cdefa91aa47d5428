/**
 * Local runs migrate themselves, so plain `wrangler dev` on a fresh checkout works the first
 * time: on an isolate's first request, queue batch or cron run with LOCAL_DEV set, the
 * migrations under migrations/ that the local D1 lacks are applied, each atomically (one D1
 * batch with its bookkeeping row). The bookkeeping is wrangler's own `d1_migrations` table, so
 * `npm run db:migrate:local` and this agree on what is applied. Deployed Workers never do this:
 * their schema changes only by `npm run db:migrate:remote`.
 *
 * The files are bundled as text (wrangler's default rule for `.sql`); test/local-migrations.test.ts
 * fails when this list and the migrations folder differ.
 */
import init0000 from '../../migrations/0000_init.sql';
import sseOutbox0001 from '../../migrations/0001_sse_outbox.sql';
import imageRevisedPrompt0002 from '../../migrations/0002_image_revised_prompt.sql';
import imageRemoval0003 from '../../migrations/0003_image_removal.sql';
import mcpTasks0004 from '../../migrations/0004_mcp_tasks.sql';
import imageHasTransforms0005 from '../../migrations/0005_image_has_transforms.sql';
import backfillHasTransforms0006 from '../../migrations/0006_backfill_has_transforms.sql';
import metrics0007 from '../../migrations/0007_metrics.sql';
import metricsTriggers0008 from '../../migrations/0008_metrics_triggers.sql';
import creative0009 from '../../migrations/0009_creative.sql';
import elicitation0010 from '../../migrations/0010_elicitation.sql';
import webSessions0011 from '../../migrations/0011_web_sessions.sql';

export interface Migration {
	/** The file name, as wrangler records it in `d1_migrations.name`. */
	name: string;
	sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
	{ name: '0000_init.sql', sql: init0000 },
	{ name: '0001_sse_outbox.sql', sql: sseOutbox0001 },
	{ name: '0002_image_revised_prompt.sql', sql: imageRevisedPrompt0002 },
	{ name: '0003_image_removal.sql', sql: imageRemoval0003 },
	{ name: '0004_mcp_tasks.sql', sql: mcpTasks0004 },
	{ name: '0005_image_has_transforms.sql', sql: imageHasTransforms0005 },
	{ name: '0006_backfill_has_transforms.sql', sql: backfillHasTransforms0006 },
	{ name: '0007_metrics.sql', sql: metrics0007 },
	{ name: '0008_metrics_triggers.sql', sql: metricsTriggers0008 },
	{ name: '0009_creative.sql', sql: creative0009 },
	{ name: '0010_elicitation.sql', sql: elicitation0010 },
	{ name: '0011_web_sessions.sql', sql: webSessions0011 },
];

/** wrangler's table, with its DDL, so either side may create it first. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "d1_migrations"(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`;

/** drizzle-kit's separator between the statements of one migration file. */
const STATEMENT_BREAKPOINT = '--> statement-breakpoint';

export function statementsOf(sql: string): string[] {
	return sql
		.split(STATEMENT_BREAKPOINT)
		.map((statement) => statement.trim())
		.filter((statement) => statement.length > 0);
}

/** Applies the migrations `db` lacks, in order; returns the names applied. */
export async function applyMissingMigrations(
	db: D1Database,
	migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
	await db.prepare(CREATE_MIGRATIONS_TABLE).run();
	const { results } = await db.prepare('SELECT name FROM d1_migrations').all<{ name: string }>();
	const done = new Set(results.map((row) => row.name));
	const applied: string[] = [];
	for (const migration of migrations) {
		if (done.has(migration.name)) continue;
		await db.batch([
			...statementsOf(migration.sql).map((statement) => db.prepare(statement)),
			db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(migration.name),
		]);
		applied.push(migration.name);
	}
	return applied;
}

let ready: Promise<void> | undefined;

/**
 * Once per isolate: applies what is missing and logs it. A failure is logged and retried on the
 * next request; the request itself goes on (and fails with the usual clear error if a table it
 * needs is missing).
 */
export function ensureLocalSchema(db: D1Database): Promise<void> {
	ready ??= applyMissingMigrations(db).then(
		(applied) => {
			if (applied.length) {
				console.log(
					`[image-mcp] Applied ${applied.length} migration(s) to the local D1 database: ${applied.join(', ')}.`,
				);
			}
		},
		(error: unknown) => {
			ready = undefined;
			console.error('[image-mcp] Could not migrate the local D1 database; run npm run db:migrate:local.', error);
		},
	);
	return ready;
}
