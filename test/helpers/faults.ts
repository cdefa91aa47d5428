/**
 * Deterministic fault injection around the real local bindings: every call goes to the real
 * D1 / R2, except the ones a test has told to fail. Nothing here imitates what D1 or R2
 * do; it only decides when they are "down".
 */

import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { handleQueueBatch } from '../../src/consumer';
import { QUEUE_MAX_RETRIES } from '../../src/consumer/retry-policy';
import { interceptD1 } from './d1-intercept';

const WRITE = /^\s*(insert|update|delete)\b/i;

/**
 * A D1 binding over the real database, with two kinds of fault:
 * - `failWrites(match, times)`: writes whose SQL matches fail (the first `times` of them);
 * - `goDownAt(match)`: the first write whose SQL matches fails, and so does every statement
 *   after it, reads included, until `heal()` (D1 unreachable from that moment).
 */
export function faultyD1(real: D1Database = env.DB) {
	let failing: { match: RegExp; left: number } | null = null;
	let downAt: RegExp | null = null;
	let down = false;
	let failed = 0;

	function check(sql: string): void {
		const write = WRITE.test(sql);
		if (write && downAt?.test(sql)) {
			down = true;
			downAt = null;
		}
		let fail = down;
		if (!fail && write && failing && failing.left > 0 && failing.match.test(sql)) {
			failing.left--;
			fail = true;
		}
		if (!fail) return;
		failed++;
		throw new Error('D1_ERROR: Network connection lost. (injected)');
	}

	const binding = interceptD1(real, {
		statement: check,
		// A batch is one transaction: it fails as a whole.
		batch: (sqls) => {
			for (const sql of sqls) check(sql);
		},
	});

	return {
		binding,
		failWrites(match: RegExp, times = Number.POSITIVE_INFINITY) {
			failing = { match, left: times };
		},
		goDownAt(match: RegExp) {
			downAt = match;
		},
		heal() {
			down = false;
			downAt = null;
			failing = null;
		},
		failures: () => failed,
	};
}

export interface DeliveryLog {
	/** What happened to each delivery of the jobs queue, in order: acked or retried. */
	deliveries: ('ack' | 'retry')[];
	/** Whether the message went to the dead-letter queue, and what its consumer did. */
	deadLettered: boolean;
	deadLetter?: 'ack' | 'retry';
}

/** The `attempt` that `beforeDelivery` sees before the dead-letter consumer runs. */
export const DEAD_LETTER_DELIVERY = QUEUE_MAX_RETRIES + 2;

/**
 * Plays the queue's part for one message, deterministically and without real delays: it
 * delivers the message to the real queue handler, redelivers it while the handler asks for
 * a retry (up to `max_retries`, as Queues does), then hands it to the dead-letter consumer.
 * `beforeDelivery` runs before each delivery (to heal a fault, or let a lease run out),
 * with DEAD_LETTER_DELIVERY before the dead-letter one.
 */
export async function deliverUntilSettled(
	jobId: string,
	bindings: Env,
	beforeDelivery: (attempt: number) => Promise<void> | void = () => {},
): Promise<DeliveryLog> {
	const log: DeliveryLog = { deliveries: [], deadLettered: false };
	for (let attempt = 1; attempt <= QUEUE_MAX_RETRIES + 1; attempt++) {
		await beforeDelivery(attempt);
		const batch = createMessageBatch('image-mcp-jobs', [
			{ id: `m${attempt}`, timestamp: new Date(), attempts: attempt, body: { jobId } },
		]);
		const ctx = createExecutionContext();
		await handleQueueBatch(batch, bindings);
		const result = await getQueueResult(batch, ctx);
		if (result.explicitAcks.length === 1) {
			log.deliveries.push('ack');
			return log;
		}
		log.deliveries.push('retry');
	}
	await beforeDelivery(DEAD_LETTER_DELIVERY);
	log.deadLettered = true;
	log.deadLetter = await deliverDeadLetter(jobId, bindings);
	return log;
}

/** One delivery of the job's message to the dead-letter queue's consumer: acked or retried. */
export async function deliverDeadLetter(jobId: string, bindings: Env, attempts = 1): Promise<'ack' | 'retry'> {
	const batch = createMessageBatch('image-mcp-jobs-dlq', [
		{ id: `dead${attempts}`, timestamp: new Date(), attempts, body: { jobId } },
	]);
	const ctx = createExecutionContext();
	await handleQueueBatch(batch, bindings);
	const result = await getQueueResult(batch, ctx);
	return result.explicitAcks.length === 1 ? 'ack' : 'retry';
}
