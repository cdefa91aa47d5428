/**
 * Makes a bearer token for one user and the AUTH_TOKENS entry that admits it
 * (docs/security.md). The token is printed once; only its SHA-256 goes into the secret.
 *
 *   npm run token -- --id alice@example.com --name Alice [--role admin] [--daily 2] [--monthly 20]
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
	options: {
		id: { type: 'string' },
		name: { type: 'string' },
		role: { type: 'string', default: 'user' },
		daily: { type: 'string' },
		monthly: { type: 'string' },
		json: { type: 'boolean', default: false },
	},
});

function fail(message: string): never {
	console.error(
		`${message}\nUsage: npm run token -- --id <user id or email> [--name <display name>] [--role user|admin] [--daily <usd>] [--monthly <usd>]`,
	);
	process.exit(2);
}

if (!values.id?.trim()) fail('--id is required.');
if (values.role !== 'user' && values.role !== 'admin') fail(`--role must be user or admin, not "${values.role}".`);
const budget = (flag: string, raw: string | undefined) => {
	if (raw === undefined) return undefined;
	const usd = Number(raw);
	if (!Number.isFinite(usd) || usd < 0) fail(`--${flag} must be a number of US dollars, 0 or more.`);
	return usd;
};
const daily = budget('daily', values.daily);
const monthly = budget('monthly', values.monthly);

const token = `imcp_${randomBytes(32).toString('base64url')}`;
const entry = {
	id: values.id.trim(),
	...(values.name ? { name: values.name } : {}),
	role: values.role,
	sha256: createHash('sha256').update(token).digest('hex'),
	...(daily !== undefined ? { daily_budget_usd: daily } : {}),
	...(monthly !== undefined ? { monthly_budget_usd: monthly } : {}),
};

if (values.json) {
	console.log(JSON.stringify({ token, entry }));
} else {
	console.log(`Token for ${entry.id} (give it to them; it is not stored anywhere):\n\n  ${token}\n`);
	console.log(
		`Add this entry to the AUTH_TOKENS array (wrangler secret put AUTH_TOKENS, or .dev.vars locally):\n\n  ${JSON.stringify(entry)}\n`,
	);
}
