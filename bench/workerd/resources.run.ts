/**
 * What reading an image as an MCP resource costs next to fetching its HTTPS URL, inside workerd,
 * side by side in one run: `resources/read image://<job>/0` (a JSON-RPC answer with the bytes in
 * base64) against `GET /images/<job>/0.png` (the bytes as they are), for three image sizes, and
 * the size of the tools/list answer. `npm run bench:resources` (full) or, small, in `npm test`.
 */
import { env, exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { getDb } from '../../src/db/client';
import { images, jobs } from '../../src/db/schema';
import { formatTable, type Stats, summarise } from '../stats.ts';

const FULL = env.BENCH_MODE === 'full';
const ROUNDS = FULL ? 60 : 3;
const SIZES = [30_000, 300_000, 1_500_000];
const OWNER = 'default';

async function storeImage(size: number): Promise<string> {
	const jobId = crypto.randomUUID();
	const key = `${jobId}/0`;
	const now = Date.now();
	const bytes = new Uint8Array(size);
	for (let offset = 0; offset < size; offset += 65_536) {
		crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)));
	}
	bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	await env.IMAGES.put(key, bytes);
	const db = getDb(env);
	await db.insert(jobs).values({
		id: jobId,
		owner: OWNER,
		status: 'completed',
		prompt: 'bench',
		model: 'offline',
		params: { width: 64, height: 64 },
		createdAt: now,
		updatedAt: now,
	});
	await db.insert(images).values({
		id: key,
		jobId,
		idx: 0,
		owner: OWNER,
		r2Key: key,
		contentType: 'image/png',
		width: 64,
		height: 64,
		bytes: size,
		createdAt: now,
	});
	return key;
}

async function timed(request: () => Request): Promise<{ ms: number; bytes: number }> {
	const started = performance.now();
	const response = await exports.default.fetch(request());
	const body = await response.arrayBuffer();
	expect(response.status).toBe(200);
	return { ms: performance.now() - started, bytes: body.byteLength };
}

it('times resources/read against GET /images for three sizes', async () => {
	const rows: Array<[string, Stats]> = [];
	const ratios: Record<string, number> = {};
	const answerBytes: Record<string, number> = {};
	for (const size of SIZES) {
		const key = await storeImage(size);
		const read = () =>
			new Request('http://localhost/mcp', {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: `image://${key}` } }),
			});
		const get = () => new Request(`http://localhost/images/${key}.png`);
		for (let i = 0; i < 3; i++) await Promise.all([timed(read), timed(get)]);
		const readMs: number[] = [];
		const getMs: number[] = [];
		let readBytes = 0;
		for (let round = 0; round < ROUNDS; round++) {
			const r = await timed(read);
			readMs.push(r.ms);
			readBytes = r.bytes;
			getMs.push((await timed(get)).ms);
		}
		const label = `${Math.round(size / 1000)} KB`;
		const readStats = summarise(readMs);
		const getStats = summarise(getMs);
		rows.push([`resources/read, ${label}`, readStats], [`GET /images, ${label}`, getStats]);
		ratios[label] = Math.round((readStats.mean / getStats.mean) * 100) / 100;
		answerBytes[label] = readBytes;
	}
	const list = await exports.default.fetch(
		new Request('http://localhost/mcp', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
		}),
	);
	const toolsListBytes = (await list.arrayBuffer()).byteLength;
	console.log(
		[
			'',
			`Image as a resource vs its URL, inside workerd (${FULL ? 'full' : 'smoke'} run; ${ROUNDS} interleaved rounds per size)`,
			'',
			formatTable(rows, ['p50', 'p95', 'min', 'max', 'mean']),
			'',
			...Object.entries(ratios).map(
				([label, ratio]) =>
					`${label}: resources/read takes ${ratio}× the GET; its answer is ${answerBytes[label]} bytes`,
			),
			`tools/list answer: ${toolsListBytes} bytes`,
			'',
			JSON.stringify({
				bench: 'resources',
				mode: FULL ? 'full' : 'smoke',
				rounds: ROUNDS,
				rows: Object.fromEntries(rows),
				read_vs_get_mean: ratios,
				answer_bytes: answerBytes,
				tools_list_bytes: toolsListBytes,
			}),
		].join('\n'),
	);
	expect(Object.keys(ratios)).toHaveLength(SIZES.length);
});
