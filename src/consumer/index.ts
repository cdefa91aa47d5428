/**
 * Queue handler: the jobs queue runs jobs; its dead-letter queue fails whatever reaches it.
 * Messages of one batch are processed concurrently, each acked or retried on its own.
 */
import { getDb } from '../db/client';
import { TERMINAL_STATUSES } from '../db/schema';
import { notifyJobSettled } from '../jobs/events';
import { failJob, readJob } from '../jobs/lifecycle';
import type { JobMessage } from '../jobs/types';
import { LeaseHeldError, runJob } from './run-job';

function isJobMessage(body: unknown): body is JobMessage {
	return typeof body === 'object' && body !== null && typeof (body as JobMessage).jobId === 'string';
}

async function handleJobMessage(message: Message<unknown>, env: Env): Promise<void> {
	if (!isJobMessage(message.body)) {
		console.error('dropping malformed queue message', message.id);
		message.ack();
		return;
	}
	try {
		const outcome = await runJob(env, message.body.jobId, message.attempts);
		if (outcome.action === 'ack') message.ack();
		else message.retry({ delaySeconds: outcome.delaySeconds });
	} catch (error) {
		// D1 failed around the job: it is still claimable once its lease is released or runs
		// out, so let the queue deliver it again then (sooner would spend a retry for nothing).
		if (!(error instanceof LeaseHeldError)) console.error(`job ${message.body.jobId}: delivery failed`, error);
		message.retry({ delaySeconds: error instanceof LeaseHeldError ? error.retryDelaySeconds(Date.now()) : 2 });
	}
}

/** Dead letters: a job whose every delivery failed ends `failed` with its last error. */
async function handleDeadLetter(message: Message<unknown>, env: Env): Promise<void> {
	if (!isJobMessage(message.body)) {
		message.ack();
		return;
	}
	const db = getDb(env);
	const job = await readJob(db, message.body.jobId);
	const now = Date.now();
	// A job still under a live lease may be running in another delivery: look again when the
	// lease ends (if those retries run out too, the sweeper fails it as abandoned).
	if (job && !TERMINAL_STATUSES.includes(job.status) && job.leaseUntil > now) {
		message.retry({ delaySeconds: Math.ceil((job.leaseUntil - now) / 1000) + 1 });
		return;
	}
	if (job) {
		const reason = job.error
			? `The job failed after ${job.attempts} attempt(s). Last error: ${job.error}`
			: `The job failed after ${job.attempts} attempt(s): its deliveries kept failing before an error could be recorded. Try again.`;
		if (await failJob(db, job.id, job.errorCode ?? 'retries_exhausted', reason, now)) notifyJobSettled(job.id);
	}
	message.ack();
}

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const handle = batch.queue.endsWith('-dlq') ? handleDeadLetter : handleJobMessage;
	await Promise.all(batch.messages.map((message) => handle(message, env)));
}
