/** `npm run token` makes a token and an AUTH_TOKENS entry the Worker accepts for exactly that token. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTokenTable } from '../../src/worker/tokens';

function newToken(...args: string[]) {
	const out = execFileSync(
		process.execPath,
		['--experimental-strip-types', 'scripts/new-token.ts', '--json', ...args],
		{
			encoding: 'utf8',
		},
	);
	return JSON.parse(out) as { token: string; entry: Record<string, unknown> };
}

describe('npm run token', () => {
	it('prints a fresh token whose entry admits it, with the role and budgets asked for', async () => {
		const first = newToken('--id', 'alice@example.com', '--name', 'Alice', '--role', 'admin', '--daily', '2.5');
		const second = newToken('--id', 'bob');
		expect(first.token).toMatch(/^imcp_[\w-]{43}$/);
		expect(first.token).not.toBe(second.token);
		expect(JSON.stringify(first.entry)).not.toContain(first.token);

		const parsed = parseTokenTable(JSON.stringify([first.entry, second.entry]));
		if (!parsed.ok || !parsed.value) throw new Error(`the entries do not parse: ${JSON.stringify(parsed)}`);
		// The Worker hashes the presented token the same way (test/users.test.ts checks the lookup).
		expect(first.entry.sha256).toBe(createHash('sha256').update(first.token).digest('hex'));
		expect(parsed.value.entries.map((entry) => entry.principal)).toEqual([
			{ id: 'alice@example.com', name: 'Alice', role: 'admin', via: 'token', limits: { dailyBudgetUsd: 2.5 } },
			{ id: 'bob', name: 'bob', role: 'user', via: 'token' },
		]);
	});

	it('refuses a missing id or an unknown role, saying what is allowed', () => {
		expect(() => newToken('--role', 'user')).toThrow(/--id is required/);
		expect(() => newToken('--id', 'x', '--role', 'owner')).toThrow(/--role must be user or admin/);
	});
});
