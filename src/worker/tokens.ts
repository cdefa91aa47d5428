/**
 * The bearer-token table: `AUTH_TOKENS`, a secret holding a JSON array of principals, each
 * with the SHA-256 of its token (never the token). A presented token is hashed once and
 * compared with every entry in constant time, so neither which entry matched nor how much
 * of a hash agreed shows in the timing. docs/security.md shows how to make an entry.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../result';
import type { Principal } from '../tools/context';

const budget = z.number().nonnegative().nullable().optional();

const tokenEntrySchema = z
	.object({
		id: z
			.string()
			.trim()
			.min(1)
			.max(200)
			.describe('Owner id of the jobs and images; use the email to share them with an OAuth login.'),
		name: z.string().trim().min(1).max(200).optional(),
		role: z.enum(['user', 'admin']).default('user'),
		sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex digits of the SHA-256 of the token'),
		daily_budget_usd: budget,
		monthly_budget_usd: budget,
	})
	.strict();

export type TokenEntry = z.output<typeof tokenEntrySchema>;

export interface TokenTable {
	entries: { principal: Principal; hash: Uint8Array }[];
}

/** The table, undefined when AUTH_TOKENS is unset or blank; or why it cannot be used. */
export type TokenTableResult = Result<TokenTable | undefined>;

const EXAMPLE = '[{"id":"alice@example.com","name":"Alice","role":"user","sha256":"<64 hex digits>"}]';

function hexToBytes(hex: string): Uint8Array {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return bytes;
}

function toPrincipal(entry: TokenEntry): Principal {
	const limits = {
		...(entry.daily_budget_usd !== undefined ? { dailyBudgetUsd: entry.daily_budget_usd } : {}),
		...(entry.monthly_budget_usd !== undefined ? { monthlyBudgetUsd: entry.monthly_budget_usd } : {}),
	};
	return {
		id: entry.id,
		name: entry.name ?? entry.id,
		role: entry.role,
		via: 'token',
		...(Object.keys(limits).length ? { limits } : {}),
	};
}

/** Parses `AUTH_TOKENS`; an invalid table is an error that refuses every token, never a partial table. */
export function parseTokenTable(raw: string | undefined): TokenTableResult {
	if (raw === undefined || raw.trim() === '') return ok(undefined);
	let json: unknown;
	try {
		json = JSON.parse(raw);
	} catch {
		return err(`AUTH_TOKENS is not JSON. Expected an array like ${EXAMPLE}.`);
	}
	const parsed = z.array(tokenEntrySchema).min(1).safeParse(json);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		const where = issue.path.length ? ` at ${issue.path.map((part) => `[${String(part)}]`).join('')}` : '';
		return err(`AUTH_TOKENS is invalid${where}: ${issue.message}. Expected an array like ${EXAMPLE}.`);
	}
	const seenIds = new Map<string, string>();
	const seenHashes = new Set<string>();
	for (const [index, entry] of parsed.data.entries()) {
		const hash = entry.sha256.toLowerCase();
		if (seenHashes.has(hash)) return err(`AUTH_TOKENS[${index}] repeats the sha256 of an earlier entry.`);
		seenHashes.add(hash);
		const role = seenIds.get(entry.id);
		if (role !== undefined && role !== entry.role) {
			return err(`AUTH_TOKENS gives id "${entry.id}" two roles; one principal has one role.`);
		}
		seenIds.set(entry.id, entry.role);
	}
	return ok({
		entries: parsed.data.map((entry) => ({
			principal: toPrincipal(entry),
			hash: hexToBytes(entry.sha256.toLowerCase()),
		})),
	});
}

const encoder = new TextEncoder();

export async function sha256(text: string): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/**
 * The principal whose token this is, or undefined. Every entry is compared, whatever
 * matched first, and each comparison is `timingSafeEqual` on 32-byte digests.
 */
export async function lookupToken(table: TokenTable, token: string): Promise<Principal | undefined> {
	const digest = await sha256(token);
	let found: Principal | undefined;
	for (const entry of table.entries) {
		if (crypto.subtle.timingSafeEqual(digest, entry.hash) && !found) found = entry.principal;
	}
	return found;
}
