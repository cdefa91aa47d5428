/** Caller text as messages and titles show it: `clip` (cut short) and `oneLine`. */

/**
 * Caller-supplied text echoed in a message, cut to at most `max` characters with "…" when
 * longer: an error message never carries a megabyte back.
 */
export function clip(text: string, max = 80): string {
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `text` on one line (runs of whitespace become one space), clipped to `max` characters. */
export function oneLine(text: string, max: number): string {
	return clip(text.replace(/\s+/g, ' ').trim(), max);
}
