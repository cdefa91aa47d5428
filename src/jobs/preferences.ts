/**
 * Each user's defaults (issue 21): read with the idempotency lookup of a generate call in one
 * statement (readCallerState), so a job still costs at most 5 D1 statements, and written by
 * set_preferences.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs, preferences } from '../db/schema';

/** A user's defaults; each absent field means "the deployment's default". */
export interface Preferences {
	defaultModel?: string;
	defaultAspectRatio?: string;
	defaultWidth?: number;
	defaultHeight?: number;
	previews?: 'auto' | 'none';
	confirmAboveUsd?: number;
	updatedAt?: number;
}

type PreferencesRow = typeof preferences.$inferSelect;

function fromRow(row: PreferencesRow | undefined): Preferences {
	if (!row) return {};
	return {
		...(row.defaultModel !== null ? { defaultModel: row.defaultModel } : {}),
		...(row.defaultAspectRatio !== null ? { defaultAspectRatio: row.defaultAspectRatio } : {}),
		...(row.defaultWidth !== null ? { defaultWidth: row.defaultWidth } : {}),
		...(row.defaultHeight !== null ? { defaultHeight: row.defaultHeight } : {}),
		...(row.previews === 'auto' || row.previews === 'none' ? { previews: row.previews } : {}),
		...(row.confirmAboveUsd !== null ? { confirmAboveUsd: row.confirmAboveUsd } : {}),
		updatedAt: row.updatedAt,
	};
}

export async function readPreferences(db: Db, owner: string): Promise<Preferences> {
	return fromRow(await db.select().from(preferences).where(eq(preferences.owner, owner)).get());
}

/** What a generate call needs to know before it resolves: the caller's defaults, and a job an idempotency key already made. */
export interface CallerState {
	preferences: Preferences;
	/** The first job the key made, when the call repeats an earlier one. */
	existingJobId?: string;
}

/**
 * The caller's preferences and, with an idempotency key, the job it already made: one
 * statement, a row whatever the tables hold (a LEFT JOIN from a one-row table).
 */
export async function readCallerState(db: Db, owner: string, idempotencyKey: string | undefined): Promise<CallerState> {
	const existing = idempotencyKey
		? sql<
				string | null
			>`(SELECT ${jobs.id} FROM ${jobs} WHERE ${and(eq(jobs.owner, owner), eq(jobs.idempotencyKey, idempotencyKey))} LIMIT 1)`
		: sql<string | null>`NULL`;
	const [row] = await db
		.select({ existing: existing.as('existing'), preferences })
		.from(sql`(SELECT 1) AS one`)
		.leftJoin(preferences, eq(preferences.owner, owner));
	return {
		preferences: fromRow(row?.preferences ?? undefined),
		...(row?.existing ? { existingJobId: row.existing } : {}),
	};
}

/** A change to the preferences: a value sets the field, `null` clears it, absent leaves it. */
export type PreferencesChange = {
	[Key in keyof Omit<Preferences, 'updatedAt'>]?: Preferences[Key] | null;
};

const COLUMNS = {
	defaultModel: preferences.defaultModel,
	defaultAspectRatio: preferences.defaultAspectRatio,
	defaultWidth: preferences.defaultWidth,
	defaultHeight: preferences.defaultHeight,
	previews: preferences.previews,
	confirmAboveUsd: preferences.confirmAboveUsd,
} as const;

/** Applies `change` and answers the preferences as they now are. */
export async function writePreferences(
	db: Db,
	owner: string,
	change: PreferencesChange,
	now: number,
): Promise<Preferences> {
	const set: Record<string, unknown> = { updatedAt: now };
	for (const key of Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]) {
		if (change[key] !== undefined) set[key] = change[key];
	}
	const [row] = await db
		.insert(preferences)
		.values({ owner, updatedAt: now, ...set })
		.onConflictDoUpdate({ target: preferences.owner, set })
		.returning();
	return fromRow(row);
}
