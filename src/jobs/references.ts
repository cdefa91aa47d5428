/**
 * Reference images ("same scene at night"): what a caller may pass, how it is checked when
 * the job is created, and how the consumer loads the bytes.
 *
 * Accepted forms, each naming one image:
 * - an earlier job of the same caller: `<job_id>` (its first image), `<job_id>/<index>`,
 *   `image://<job_id>/<index>`, or this server's own image URL (`…/images/<job_id>/<index>.png`);
 * - an `https` URL elsewhere, fetched by the consumer through the SSRF-safe fetch.
 * Which of these name an image of this server is `imageKeyFrom`'s call (src/storage/images.ts).
 *
 * Earlier images are checked at creation (they must exist and be the caller's), so a typo
 * fails at once instead of as a failed job; URLs are checked for form and address there and
 * fetched when the job runs, which keeps job creation fast.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { images } from '../db/schema';
import { checkReferenceUrl, fetchReferenceImage } from '../net/safe-fetch';
import { ProviderError } from '../providers/errors';
import type { ReferenceImage } from '../providers/types';
import { err, ok, type Result } from '../result';
import { readImage } from '../storage/bucket';
import { hasImageScheme, imageKeyFrom, type UrlBases } from '../storage/images';
import { sniffImage } from '../storage/sniff';
import { clip } from '../text';
import type { ReferenceSpec } from './types';

/** What the caller may write, for error messages. */
export const REFERENCE_FORMS =
	'a job id of yours (its first image), "<job_id>/<index>", "image://<job_id>/<index>", this server\'s image URL, or a public https URL of a PNG, JPEG, WebP or GIF';

/** Parses one reference (the field name is for messages, e.g. `reference_images[1]`). */
export function parseReference(field: string, raw: string, urls: UrlBases): Result<ReferenceSpec> {
	const value = raw.trim();
	const key = imageKeyFrom(value, urls);
	if (key) return ok({ kind: 'image', r2_key: key });
	if (hasImageScheme(value)) {
		return err(`${field}: "${clip(value)}" is not a valid image URI; use image://<job_id>/<index>.`);
	}
	if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) {
		return err(`${field}: "${clip(value)}" is neither a job id nor a URL. Give ${REFERENCE_FORMS}.`);
	}
	const checked = checkReferenceUrl(value);
	if (!checked.ok) return err(`${field}: ${checked.error}`);
	return ok({ kind: 'url', url: checked.value.href });
}

/**
 * Checks that every earlier image referenced exists and belongs to `owner` (another user's
 * image reads exactly like a missing one). Returns an error message, or undefined when all
 * are fine. One query for all of them.
 */
export async function checkOwnImages(
	db: Db,
	owner: string,
	specs: readonly { field: string; spec: ReferenceSpec }[],
): Promise<string | undefined> {
	const wanted = specs.flatMap(({ field, spec }) => (spec.kind === 'image' ? [{ field, key: spec.r2_key }] : []));
	if (wanted.length === 0) return undefined;
	const found = await db
		.select({ id: images.id, removedReason: images.removedReason })
		.from(images)
		.where(
			and(
				eq(images.owner, owner),
				inArray(
					images.id,
					wanted.map((item) => item.key),
				),
			),
		);
	const present = new Map(found.map((row) => [row.id, row.removedReason]));
	const removed = wanted.find((item) => present.get(item.key));
	if (removed) {
		return `${removed.field}: image "${removed.key}" was ${present.get(removed.key)} and can no longer be used; generate it again or pass another image.`;
	}
	const missing = wanted.find((item) => !present.has(item.key));
	if (missing) {
		const [jobId] = missing.key.split('/');
		return `${missing.field}: no finished image "${missing.key}" of yours. Check job ${jobId} with get_job_status (it must be completed), or pass a public https URL.`;
	}
	return undefined;
}

/** Loads one reference for the consumer. Failures are final (`invalid_request`) unless a retry may help. */
export async function loadReference(env: Env, spec: ReferenceSpec, signal: AbortSignal): Promise<ReferenceImage> {
	if (spec.kind === 'url') return fetchReferenceImage(spec.url, { signal });
	const bytes = await readImage(env.IMAGES, spec.r2_key);
	if (!bytes) {
		throw new ProviderError(
			'invalid_request',
			`Reference image ${spec.r2_key} no longer exists (deleted or expired); generate it again or pass another image.`,
		);
	}
	const sniffed = sniffImage(bytes);
	if (!sniffed) throw new ProviderError('invalid_request', `Reference image ${spec.r2_key} is not a readable image.`);
	return { bytes, contentType: sniffed.contentType, width: sniffed.width, height: sniffed.height };
}

/**
 * Most bytes of reference images (and mask) one job may load: a Worker has 128 MB, and the
 * providers' own request limits are lower still (Gemini: 20 MB per request).
 */
export const MAX_REFERENCE_TOTAL_BYTES = 32 * 1024 * 1024;

/** Loads all references in order, one after another so the total can be capped before memory runs out. */
export async function loadReferences(
	env: Env,
	specs: readonly ReferenceSpec[] | undefined,
	signal: AbortSignal,
): Promise<ReferenceImage[]> {
	const loaded: ReferenceImage[] = [];
	let total = 0;
	for (const spec of specs ?? []) {
		const image = await loadReference(env, spec, signal);
		total += image.bytes.byteLength;
		if (total > MAX_REFERENCE_TOTAL_BYTES) {
			throw new ProviderError(
				'invalid_request',
				`The reference images add up to more than ${MAX_REFERENCE_TOTAL_BYTES / 1024 / 1024} MiB; use fewer or smaller images.`,
			);
		}
		loaded.push(image);
	}
	return loaded;
}
