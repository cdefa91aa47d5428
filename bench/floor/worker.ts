/**
 * The floor of this stack for bench/request-cost.ts: a Worker that does nothing of its own,
 * served by `wrangler dev` exactly as the real server is, so the difference between the two is
 * the cost of our code. Three floors, by path:
 *
 * - `/mcp`: a constant JSON-RPC reply, as small as can be (the floor the targets are set on);
 * - `/mcp-sized`: the same, padded to REPLY_BYTES, so a large answer's bytes (tools/list is
 *   about 27 KB) cost the floor what they cost us;
 * - `/mcp-durable`: what accepting a job durably needs at the least: one D1 insert and one
 *   queue send, then the constant reply. Its queue consumer acks and does nothing else.
 */
interface FloorEnv {
	DB: D1Database;
	JOBS: Queue<{ jobId: string }>;
	REPLY_BYTES?: string;
}

const REPLY = JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} });
let sized: string | undefined;
let tableReady: Promise<unknown> | undefined;

function json(text: string): Response {
	return new Response(text, { headers: { 'content-type': 'application/json' } });
}

export default {
	async fetch(request, env) {
		const path = new URL(request.url).pathname;
		if (path === '/mcp-sized') {
			sized ??= JSON.stringify({
				jsonrpc: '2.0',
				id: 1,
				result: { padding: 'x'.repeat(Math.max(0, Number(env.REPLY_BYTES ?? 0) - REPLY.length - 14)) },
			});
			return json(sized);
		}
		if (path === '/mcp-durable') {
			tableReady ??= env.DB.prepare('CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, body TEXT NOT NULL)').run();
			await tableReady;
			const id = crypto.randomUUID();
			await env.DB.prepare('INSERT INTO jobs (id, body) VALUES (?, ?)')
				.bind(id, await request.text())
				.run();
			await env.JOBS.send({ jobId: id });
		}
		return json(REPLY);
	},
	async queue(batch) {
		batch.ackAll();
	},
} satisfies ExportedHandler<FloorEnv, { jobId: string }>;
