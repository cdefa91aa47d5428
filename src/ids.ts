/**
 * Job ids: random UUID v4s (122 random bits), written in lower case. The one pattern every
 * layer recognises them by.
 */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The same, inside a larger pattern (no anchors). */
export const JOB_ID_SOURCE = JOB_ID_PATTERN.source.slice(1, -1);

/** Whether `value` is a job id in its canonical (lower-case) form. */
export function isJobId(value: string): boolean {
	return JOB_ID_PATTERN.test(value);
}
