/**
 * Runs one job end to end for one queue delivery (DESIGN.md §3): claim, generate, store,
 * complete. Returns what to do with the message; the queue handler applies it.
 */
import { type Db, getDb } from '../db/client';
import { type JobRow, TERMINAL_STATUSES } from '../db/schema';
import { offlineLatencyMs, providerTimeoutOverride, readConfig } from '../env';
import { notifyJobSettled } from '../jobs/events';
import {
	claimJob,
	completeJob,
	failJob,
	readJob,
	recordRetry,
	releaseLease,
	type StoredImage,
} from '../jobs/lifecycle';
import { loadReference, loadReferences } from '../jobs/references';
import { parseJobParams } from '../jobs/types';
import { catalogFor, findModel, type ModelEntry, providerFor } from '../providers/catalog';
import { ProviderError, toProviderError } from '../providers/errors';
import type { ImageProvider } from '../providers/types';
import { deleteImages, storeImage } from '../storage/bucket';
import { buildImageKey } from '../storage/images';
import { storeNewPreview } from '../storage/previews';
import { sniffImage } from '../storage/sniff';
import { imagesBindingTransformer } from '../storage/transform';
import { decideRetry } from './retry-policy';

export type MessageOutcome = { action: 'ack' } | { action: 'retry'; delaySeconds: number };

const ACK: MessageOutcome = { action: 'ack' };

/** Per-call provider timeout: PROVIDER_TIMEOUT_MS when set, else generous against the model's typical latency. */
export function providerTimeoutMs(entry: ModelEntry, provider: ImageProvider, env: Env): number {
	const override = providerTimeoutOverride(env);
	if (override !== undefined) return override;
	const offlineDelay = provider.id === 'offline' ? offlineLatencyMs(env) : 0;
	return Math.max(30_000, entry.typicalLatencyMs * 6) + offlineDelay;
}

/** How long a claim keeps other deliveries away: the provider timeout plus storage time. */
export function leaseMs(entry: ModelEntry, env: Env): number {
	return providerTimeoutMs(entry, entry.provider, env) + 30_000;
}

export async function runJob(env: Env, jobId: string, deliveryAttempt: number): Promise<MessageOutcome> {
	const db = getDb(env);
	const now = Date.now();
	// The lease depends on the model, which we only know after reading the row; claim with
	// the longest lease any model needs (cheap: one statement instead of two).
	const job = await claimJob(db, jobId, now, maxLeaseMs(env));
	if (!job) {
		const current = await readJob(db, jobId);
		if (!current || TERMINAL_STATUSES.includes(current.status)) return ACK;
		// Another delivery holds the lease: come back when it runs out.
		return { action: 'retry', delaySeconds: Math.max(1, Math.ceil((current.leaseUntil - now) / 1000)) };
	}

	try {
		return await runClaimed(env, db, job, deliveryAttempt);
	} catch (error) {
		// D1 or R2 failed outside the provider call (provider errors are handled inside). Give
		// the lease back so the redelivery can claim the job at once; if D1 refuses that too,
		// the redelivery has to wait the lease out, so say when it ends.
		console.error(`job ${job.id}: delivery failed`, error);
		if (await releaseLease(db, job).catch(() => false)) return { action: 'retry', delaySeconds: 2 };
		throw new LeaseHeldError(job.leaseUntil, error);
	}
}

/** A delivery failed while holding the job's lease and could not release it. */
export class LeaseHeldError extends Error {
	constructor(
		readonly leaseUntil: number,
		cause: unknown,
	) {
		super('The delivery failed and the job lease is still held.', { cause });
	}

	/** When a redelivery may claim the job: just after the lease ends (at least 1 s). */
	retryDelaySeconds(now: number): number {
		return Math.max(1, Math.ceil((this.leaseUntil - now) / 1000) + 1);
	}
}

async function runClaimed(env: Env, db: Db, job: JobRow, deliveryAttempt: number): Promise<MessageOutcome> {
	const attempt = Math.max(job.attempts, deliveryAttempt);
	const entry = findModel(env, job.model);
	const provider = entry && providerFor(entry, env);
	if (!entry || !provider) {
		await failJob(db, job.id, 'unavailable', `Model ${job.model} is not configured in this deployment.`, Date.now());
		notifyJobSettled(job.id);
		return ACK;
	}

	try {
		const params = parseJobParams(job);
		const signal = AbortSignal.timeout(providerTimeoutMs(entry, provider, env));
		const [referenceImages, mask] = await Promise.all([
			loadReferences(env, params.reference_images, signal),
			params.mask ? loadReference(env, params.mask, signal) : undefined,
		]);
		const image = await provider.generate(
			{
				model: entry.alias,
				upstreamId: entry.upstreamId,
				prompt: job.prompt,
				negativePrompt: params.negative_prompt,
				width: params.width,
				height: params.height,
				aspectRatio: params.aspect_ratio,
				imageSize: params.image_size,
				seed: job.seed ?? undefined,
				steps: params.steps,
				guidance: params.guidance,
				quality: params.quality,
				style: params.style,
				background: params.background,
				outputFormat: params.output_format,
				sampler: params.sampler,
				strength: params.strength,
				referenceImages: referenceImages.length ? referenceImages : undefined,
				mask,
			},
			{ env, signal },
		);
		const sniffed = sniffImage(image.bytes);
		if (!sniffed)
			throw new ProviderError('transient', `The ${entry.alias} provider returned data that is not an image.`);
		const key = buildImageKey(job.id, 0);
		// The preview is made now, from the bytes in hand, while the image is written, so results
		// can carry it at once (docs/benchmarks.md, "Previews"). It never fails the job: without
		// one, a result that wants it makes it on first use (ensurePreview). PREVIEWS=none
		// leaves it to that.
		await Promise.all([
			storeImage(env.IMAGES, key, image.bytes, sniffed.contentType, { jobId: job.id, owner: job.owner }),
			readConfig(env).previews === 'none'
				? undefined
				: storeNewPreview(env.IMAGES, imagesBindingTransformer(env.IMAGE_TRANSFORMS), key, image.bytes),
		]);
		const stored: StoredImage = {
			index: 0,
			r2Key: key,
			contentType: sniffed.contentType,
			width: sniffed.width,
			height: sniffed.height,
			bytes: image.bytes.byteLength,
			seed: image.seed ?? job.seed,
			revisedPrompt: image.revisedPrompt ?? null,
		};
		const completed = await completeJob(db, job, [stored], Date.now());
		if (!completed) {
			// Cancelled (or finished by another delivery) while we generated: if it did not
			// end completed, the objects we wrote (image and preview) belong to no row, so remove them.
			const latest = await readJob(db, job.id);
			if (latest?.status !== 'completed') await deleteImages(env.IMAGES, [{ key, transforms: false }]);
		}
		notifyJobSettled(job.id);
		return ACK;
	} catch (thrown) {
		const error = toProviderError(thrown);
		if (!(thrown instanceof ProviderError)) console.error(`job ${job.id}: unexpected error`, thrown);
		const decision = decideRetry(attempt, error);
		if (decision.retry) {
			await recordRetry(db, job.id, error.kind, error.message, Date.now());
			return { action: 'retry', delaySeconds: decision.delaySeconds };
		}
		const final = error.retryable ? `Gave up after ${attempt} attempts: ${error.message}` : error.message;
		await failJob(db, job.id, error.kind, final, Date.now());
		notifyJobSettled(job.id);
		return ACK;
	}
}

/** The longest lease any catalog model needs. */
function maxLeaseMs(env: Env): number {
	return Math.max(...catalogFor(env).entries.map((entry) => leaseMs(entry, env)));
}
