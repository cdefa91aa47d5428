/**
 * D1's limits on one statement, and splitting a variable number of values to stay within
 * them (https://developers.cloudflare.com/d1/platform/limits/): at most 100 bound parameters
 * per statement. Every statement that binds a number of values that depends on the caller
 * (multi-row inserts, `IN (…)` lists) is built in chunks from here.
 */

/** Most bound parameters ("SQL variables") one D1 statement may have. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/**
 * Splits `items` so that each chunk's statement binds at most D1_MAX_BOUND_PARAMETERS:
 * `perItem` parameters for each item plus `fixed` for the rest of the statement.
 */
export function chunkForD1<T>(items: readonly T[], perItem: number, fixed = 0): T[][] {
	const size = Math.floor((D1_MAX_BOUND_PARAMETERS - fixed) / perItem);
	if (size < 1) throw new Error(`a statement with ${fixed} + ${perItem} parameters cannot fit D1's limit`);
	const chunks: T[][] = [];
	for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
	return chunks;
}
