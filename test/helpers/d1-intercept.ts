/**
 * A D1 binding that forwards everything to the real one and first shows each call's SQL to a
 * hook: one statement run alone, or all statements of a batch (one round trip). The hook may
 * throw to make that call fail as D1 would. Used by the fault injection (test/helpers/faults.ts)
 * and the D1 cost bench (bench/workerd/counting-d1.ts); nothing here imitates D1 itself.
 */
export interface D1Hooks {
	/** Before a statement runs on its own (`run`, `all`, `first`, `raw`). */
	statement(sql: string): void;
	/** Before a batch runs, with the SQL of each of its statements in order. */
	batch(sqls: string[]): void;
}

export function interceptD1(real: D1Database, hooks: D1Hooks): D1Database {
	const sqlOf = new WeakMap<object, string>();
	const realOf = new WeakMap<object, D1PreparedStatement>();

	function wrap(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
		const proxy = new Proxy(statement, {
			get(target, property) {
				if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
				if (property === 'run' || property === 'all' || property === 'first' || property === 'raw') {
					return async (...args: unknown[]) => {
						hooks.statement(sql);
						return (target[property] as (...forwarded: unknown[]) => unknown).apply(target, args);
					};
				}
				const value = Reflect.get(target, property, target);
				return typeof value === 'function' ? value.bind(target) : value;
			},
		});
		sqlOf.set(proxy, sql);
		realOf.set(proxy, statement);
		return proxy;
	}

	return new Proxy(real, {
		get(target, property) {
			if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
			if (property === 'batch') {
				return async (statements: D1PreparedStatement[]) => {
					hooks.batch(statements.map((statement) => sqlOf.get(statement) ?? ''));
					return target.batch(statements.map((statement) => realOf.get(statement) ?? statement));
				};
			}
			const value = Reflect.get(target, property, target);
			return typeof value === 'function' ? value.bind(target) : value;
		},
	});
}
