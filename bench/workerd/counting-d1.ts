/**
 * Instruments the database layer for bench/workerd/d1-cost.run.ts: a Proxy over the real D1
 * binding that counts every statement the code sends (alone or inside a batch) and every
 * round trip, and keeps the SQL. Everything goes on to the real local D1 unchanged.
 */
export interface D1Counts {
	/** Statements sent, each statement of a batch counted. */
	statements: number;
	reads: number;
	writes: number;
	/** Calls that reach D1: a single statement or a whole batch. */
	roundTrips: number;
	sql: string[];
	/** When each read was sent (ms, Date.now()). */
	readTimes: number[];
}

const READ = /^\s*(select|with)\b/i;

export function countingD1(real: D1Database) {
	let counts: D1Counts = empty();
	const sqlOf = new WeakMap<object, string>();
	const realOf = new WeakMap<object, D1PreparedStatement>();

	function empty(): D1Counts {
		return { statements: 0, reads: 0, writes: 0, roundTrips: 0, sql: [], readTimes: [] };
	}

	function record(sql: string): void {
		counts.statements++;
		if (READ.test(sql)) {
			counts.reads++;
			counts.readTimes.push(Date.now());
		} else counts.writes++;
		counts.sql.push(sql.replace(/\s+/g, ' ').slice(0, 160));
	}

	function wrap(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
		const proxy = new Proxy(statement, {
			get(target, property) {
				if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
				if (property === 'run' || property === 'all' || property === 'first' || property === 'raw') {
					return (...args: unknown[]) => {
						record(sql);
						counts.roundTrips++;
						return (target[property] as (...a: unknown[]) => unknown).apply(target, args);
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

	const binding = new Proxy(real, {
		get(target, property) {
			if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
			if (property === 'batch') {
				return (statements: D1PreparedStatement[]) => {
					for (const statement of statements) record(sqlOf.get(statement) ?? '?');
					counts.roundTrips++;
					return target.batch(statements.map((statement) => realOf.get(statement) ?? statement));
				};
			}
			const value = Reflect.get(target, property, target);
			return typeof value === 'function' ? value.bind(target) : value;
		},
	});

	return {
		binding,
		/** The counts since the last take, and a fresh start. */
		take(): D1Counts {
			const taken = counts;
			counts = empty();
			return taken;
		},
	};
}
