/**
 * Plain `wrangler dev` on a fresh checkout works the first time (issue 15, item 19): local runs
 * apply the migrations their D1 lacks (src/db/local-migrations.ts), recorded where wrangler's
 * own `d1_migrations apply` records them.
 */
import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { applyMissingMigrations, MIGRATIONS, statementsOf } from '../src/db/local-migrations';
import { rpcBody } from './helpers/mcp';

async function tableNames(): Promise<string[]> {
	const { results } = await env.DB.prepare(
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_cf_KV' ORDER BY name",
	).all<{ name: string }>();
	return results.map((row) => row.name);
}

/** The triggers (the metrics counters' of migration 0008): statements with semicolons inside BEGIN … END. */
async function triggerNames(): Promise<string[]> {
	const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all<{
		name: string;
	}>();
	return results.map((row) => row.name);
}

describe('the migrations bundled for local runs', () => {
	it('are exactly the files in migrations/, in order, with the same text', () => {
		expect(MIGRATIONS.map((migration) => migration.name)).toEqual(
			env.TEST_MIGRATIONS.map((migration) => migration.name),
		);
		// Compared as SQL text without separators, semicolons or layout: wrangler splits at semicolons.
		const normalized = (sql: string) =>
			sql
				.replaceAll('--> statement-breakpoint', ' ')
				.replace(/[;\s]+/g, ' ')
				.trim();
		for (const [index, migration] of MIGRATIONS.entries()) {
			expect(normalized(statementsOf(migration.sql).join(' ')), migration.name).toBe(
				normalized(env.TEST_MIGRATIONS[index]!.queries.join(' ')),
			);
		}
	});

	it('bring an empty database to the schema wrangler’s migrations give, once', async () => {
		const migrated = await tableNames();
		const triggers = await triggerNames();
		expect(triggers.length).toBeGreaterThan(0);
		await reset();
		expect(await tableNames()).toEqual([]);

		expect(await applyMissingMigrations(env.DB)).toEqual(MIGRATIONS.map((migration) => migration.name));
		expect(await tableNames()).toEqual(migrated);
		expect(await triggerNames()).toEqual(triggers);
		// Recorded as wrangler records them, so `npm run db:migrate:local` finds nothing to do.
		const { results } = await env.DB.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>();
		expect(results.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
		expect(await applyMissingMigrations(env.DB)).toEqual([]);
	});

	it('apply only what is missing, and a failing one leaves nothing half-applied', async () => {
		await reset();
		const [first, second] = MIGRATIONS;
		expect(await applyMissingMigrations(env.DB, [first!])).toEqual([first!.name]);
		const broken = {
			name: '9999_broken.sql',
			sql: `CREATE TABLE half (id integer);\n--> statement-breakpoint\nNOT SQL;`,
		};
		await expect(applyMissingMigrations(env.DB, [first!, second!, broken])).rejects.toThrow();
		const tables = await tableNames();
		expect(tables).toContain('sse_outbox');
		expect(tables).not.toContain('half');
		const { results } = await env.DB.prepare('SELECT name FROM d1_migrations').all<{ name: string }>();
		expect(results.map((row) => row.name)).toEqual([first!.name, second!.name]);
	});

	it('serve the first request of a local run on an empty database', async () => {
		await reset();
		const response = await exports.default.fetch(
			new Request('http://localhost/mcp', {
				method: 'POST',
				headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
				body: rpcBody('tools/call', { name: 'list_jobs', arguments: {} }),
			}),
		);
		expect(response.status).toBe(200);
		const body = (await response.json()) as { result: { isError?: boolean; content: { text: string }[] } };
		expect(body.result.isError, body.result.content[0]?.text).toBeFalsy();
	});
});
