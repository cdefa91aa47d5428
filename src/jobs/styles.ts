/**
 * The style library's storage (issue 21): a user's own styles and the admin-published ones
 * (owner `*`). Saving checks the per-user count inside the INSERT, so concurrent saves cannot
 * pass the limit together.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { PUBLISHED_STYLE_OWNER, type StyleDefaults, styles } from '../db/schema';

/** Most styles one owner keeps (the published ones count against the owner `*`). */
export const MAX_STYLES_PER_OWNER = 200;

export type StyleRow = typeof styles.$inferSelect;

export interface NewStyle {
	owner: string;
	name: string;
	brief: string;
	tags: string[];
	defaults: StyleDefaults;
}

export type SaveStyleResult = { outcome: 'created' | 'updated'; style: StyleRow } | { outcome: 'limit'; count: number };

/** Creates or replaces a style; a new one only while the owner has fewer than MAX_STYLES_PER_OWNER. */
export async function saveStyle(db: Db, style: NewStyle, now: number): Promise<SaveStyleResult> {
	const existing = await db
		.select({ createdAt: styles.createdAt })
		.from(styles)
		.where(and(eq(styles.owner, style.owner), eq(styles.name, style.name)))
		.get();
	if (existing) {
		const [row] = await db
			.update(styles)
			.set({ brief: style.brief, tags: style.tags, defaults: style.defaults, updatedAt: now })
			.where(and(eq(styles.owner, style.owner), eq(styles.name, style.name)))
			.returning();
		if (row) return { outcome: 'updated', style: row };
	}
	const inserted = await db.$client
		.prepare(
			`INSERT INTO styles (owner, name, brief, tags, defaults, created_at, updated_at)
			SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
			WHERE (SELECT count(*) FROM styles WHERE owner = ?1) < ?7
			ON CONFLICT (owner, name) DO UPDATE SET brief = excluded.brief, tags = excluded.tags, defaults = excluded.defaults, updated_at = excluded.updated_at
			RETURNING owner`,
		)
		.bind(
			style.owner,
			style.name,
			style.brief,
			JSON.stringify(style.tags),
			JSON.stringify(style.defaults),
			now,
			MAX_STYLES_PER_OWNER,
		)
		.all();
	if (inserted.results.length === 0) {
		const count = await db.select({ n: sql<number>`count(*)` }).from(styles).where(eq(styles.owner, style.owner)).get();
		return { outcome: 'limit', count: count?.n ?? MAX_STYLES_PER_OWNER };
	}
	const row = await readOwnStyle(db, style.owner, style.name);
	return { outcome: 'created', style: row! };
}

export function readOwnStyle(db: Db, owner: string, name: string): Promise<StyleRow | undefined> {
	return db
		.select()
		.from(styles)
		.where(and(eq(styles.owner, owner), eq(styles.name, name)))
		.get();
}

/** The style `name` as `owner` sees it: their own, else the published one of that name. */
export async function findStyle(db: Db, owner: string, name: string): Promise<StyleRow | undefined> {
	const rows = await db
		.select()
		.from(styles)
		.where(and(inArray(styles.owner, [owner, PUBLISHED_STYLE_OWNER]), eq(styles.name, name)));
	return rows.find((row) => row.owner === owner) ?? rows[0];
}

/** Every style `owner` can use, by name: their own, and the published ones they have none of the same name as. */
export async function listVisibleStyles(db: Db, owner: string): Promise<StyleRow[]> {
	const rows = await db
		.select()
		.from(styles)
		.where(inArray(styles.owner, [owner, PUBLISHED_STYLE_OWNER]))
		.orderBy(asc(styles.name));
	const own = new Set(rows.filter((row) => row.owner === owner).map((row) => row.name));
	return rows.filter((row) => row.owner === owner || !own.has(row.name));
}

/** Deletes one of `owner`'s styles; whether there was one. */
export async function deleteStyle(db: Db, owner: string, name: string): Promise<boolean> {
	const deleted = await db
		.delete(styles)
		.where(and(eq(styles.owner, owner), eq(styles.name, name)))
		.returning({ name: styles.name });
	return deleted.length === 1;
}
