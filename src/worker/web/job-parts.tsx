/**
 * What the Generate and Jobs pages show of jobs and images alike: status words, times and
 * thumbnails.
 * src/worker/web/jobs.assets.ts renders the same in the browser as the status changes.
 */

/** Each job status in words, and the class of its badge. */
export const STATUS_WORDS = {
	pending: { label: 'Queued', tone: 'wait' },
	processing: { label: 'Processing', tone: 'wait' },
	completed: { label: 'Done', tone: 'ok' },
	failed: { label: 'Failed', tone: 'bad' },
	cancelled: { label: 'Cancelled', tone: 'off' },
} as const;

export type JobStatus = keyof typeof STATUS_WORDS;

export function statusWords(status: string): { label: string; tone: string } {
	return STATUS_WORDS[status as JobStatus] ?? { label: status, tone: 'off' };
}

export const StatusBadge = ({ status }: { status: string }) => {
	const { label, tone } = statusWords(status);
	return (
		<span class={`badge ${tone}`} data-field="status">
			{label}
		</span>
	);
};

/** Longest edge of a thumbnail, in CSS pixels; the transform is asked for twice that, for sharp screens. */
export const THUMB_EDGE = 160;

/**
 * A thumbnail's URL: the image's own URL with `w=` (docs/api.md): this Worker's /images/ route
 * answers a small copy, made once and kept; an R2 custom domain ignores the query and answers
 * the image itself.
 */
export function thumbnailUrl(url: string): string {
	return `${url}${url.includes('?') ? '&' : '?'}w=${THUMB_EDGE * 2}`;
}

/** An ISO time as "2025-06-01 14:05 UTC". */
export function shortTime(iso: string): string {
	return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
