/** Byte buffers as streams deliver them, and as JSON carries them. */
import { Buffer } from 'node:buffer';

/** The chunks joined into one array of `total` bytes (the only chunk itself when there is one). */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
	if (chunks.length === 1 && chunks[0]) return chunks[0];
	const joined = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		joined.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return joined;
}

/** Base64 with the runtime's native encoder (nodejs_compat). */
export function toBase64(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
