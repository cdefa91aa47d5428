declare namespace Cloudflare {
	interface Env {
		TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
		/** bench/workerd: "full" (npm run bench:*) or "smoke" (npm test). */
		BENCH_MODE?: 'full' | 'smoke';
	}
}

declare module '*?raw' {
	const text: string;
	export default text;
}
