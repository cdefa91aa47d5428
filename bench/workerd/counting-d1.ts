/**
 * Instruments the database layer for bench/workerd/d1-cost.run.ts: the real D1 binding,
 * intercepted (test/helpers/d1-intercept.ts) to count every statement the code sends (alone or
 * inside a batch) and every round trip, and to keep the SQL. Everything goes on to the real
 * local D1 unchanged.
 */
import { interceptD1 } from '../../test/helpers/d1-intercept';

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

	function empty(): D1Counts {
		return { statements: 0, reads: 0, writes: 0, roundTrips: 0, sql: [], readTimes: [] };
	}

	function record(sql: string): void {
		counts.statements++;
		if (READ.test(sql)) {
			counts.reads++;
			counts.readTimes.push(Date.now());
		} else counts.writes++;
		counts.sql.push((sql || '?').replace(/\s+/g, ' ').slice(0, 160));
	}

	const binding = interceptD1(real, {
		statement: (sql) => {
			record(sql);
			counts.roundTrips++;
		},
		batch: (sqls) => {
			for (const sql of sqls) record(sql);
			counts.roundTrips++;
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
