/**
 * What recognising the caller costs, inside workerd, side by side in one run: the same
 * `tools/list` through the full entry point (src/worker/entry.ts) with
 *   - the shared AUTH_TOKEN (the baseline),
 *   - an AUTH_TOKENS table of 1,000 entries (the token last in it),
 *   - an OAuth access token (the provider's KV read and props decryption), OAuth configured,
 *   - a bearer token on that OAuth deployment (recognised before the provider: no KV),
 * and the table lookup alone, batched, since workerd's clock has 1 ms resolution.
 * `npm run bench:auth` (full) or, small, in `npm test` (bench-smoke project).
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { createHandler } from '../../src/worker/entry';
import { lookupToken, parseTokenTable } from '../../src/worker/tokens';
import { Browser, fakeIdp, ORIGIN, oauthEnv, signIn } from '../../test/helpers/oauth-flow';
import { sha256Hex } from '../../test/helpers/users';
import { formatTable, type Stats, summarise } from '../stats.ts';

const FULL = env.BENCH_MODE === 'full';
const ROUNDS = FULL ? 400 : 10;
const LOOKUP_BATCH = FULL ? 2000 : 20;
const LOOKUP_SAMPLES = FULL ? 20 : 2;
const TABLE_SIZE = 1000;

it('times caller recognition per auth mode, and the token table lookup', async () => {
	const entries = await Promise.all(
		Array.from({ length: TABLE_SIZE }, async (_, i) => ({ id: `user-${i}`, sha256: await sha256Hex(`token-${i}`) })),
	);
	const lastToken = `token-${TABLE_SIZE - 1}`;
	const idp = fakeIdp({ user: { sub: '1', email: 'alice@example.com', email_verified: true, name: 'Alice' } });
	const oauth = oauthEnv(idp, { AUTH_TOKEN: 'shared-token' });
	const signedIn = await signIn(idp, new Browser(oauth));
	if (!signedIn.ok) throw new Error('sign-in failed');

	const modes: Array<[string, Env, string]> = [
		['AUTH_TOKEN', { ...env, LOCAL_DEV: '', AUTH_TOKEN: 'shared-token' }, 'shared-token'],
		[`AUTH_TOKENS (${TABLE_SIZE} entries)`, { ...env, LOCAL_DEV: '', AUTH_TOKENS: JSON.stringify(entries) }, lastToken],
		['OAuth access token', oauth, signedIn.accessToken],
		['AUTH_TOKEN with OAuth on', oauth, 'shared-token'],
	];
	const handler = createHandler();
	const call = async (bindings: Env, token: string) => {
		const started = performance.now();
		const response = await handler(
			new Request(`${ORIGIN}/mcp`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
				body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
			}),
			bindings,
			createExecutionContext(),
		);
		await response.arrayBuffer();
		expect(response.status).toBe(200);
		return performance.now() - started;
	};
	// Warm up every path, then interleave the modes so drift hits them alike.
	for (const [, bindings, token] of modes) for (let i = 0; i < 5; i++) await call(bindings, token);
	const samples = modes.map(() => [] as number[]);
	for (let round = 0; round < ROUNDS; round++) {
		for (const [index, [, bindings, token]] of modes.entries()) samples[index]!.push(await call(bindings, token));
	}

	const parsed = parseTokenTable(JSON.stringify(entries));
	if (!parsed.ok || !parsed.value) throw new Error('table did not parse');
	const lookups: number[] = [];
	for (let sample = 0; sample < LOOKUP_SAMPLES; sample++) {
		const started = performance.now();
		for (let i = 0; i < LOOKUP_BATCH; i++) await lookupToken(parsed.value, lastToken);
		lookups.push(((performance.now() - started) / LOOKUP_BATCH) * 1000);
	}
	expect((await lookupToken(parsed.value, lastToken))?.id).toBe(`user-${TABLE_SIZE - 1}`);

	const stats = samples.map((values) => summarise(values));
	const baseline = stats[0]!.mean;
	const rows: Array<[string, Stats]> = modes.map(([label], index) => [`tools/list, ${label}`, stats[index]!]);
	const lookup = summarise(lookups);
	console.log(
		[
			'',
			`Caller recognition inside workerd (${FULL ? 'full' : 'smoke'} run; ${ROUNDS} interleaved rounds)`,
			'',
			formatTable(rows, ['p50', 'p95', 'min', 'max', 'mean']),
			'',
			...modes.map(
				([label], index) => `${label}: mean ${(stats[index]!.mean / baseline).toFixed(2)}× the AUTH_TOKEN request`,
			),
			`token table lookup, ${TABLE_SIZE} entries: ${lookup.p50} µs p50 per lookup (batches of ${LOOKUP_BATCH})`,
			'',
			JSON.stringify({
				bench: 'auth',
				mode: FULL ? 'full' : 'smoke',
				rounds: ROUNDS,
				modes: Object.fromEntries(modes.map(([label], index) => [label, stats[index]])),
				ratio_to_auth_token: Object.fromEntries(
					modes.map(([label], index) => [label, Math.round((stats[index]!.mean / baseline) * 100) / 100]),
				),
				table_lookup_us: lookup,
			}),
		].join('\n'),
	);
	expect(rows).toHaveLength(4);
});
