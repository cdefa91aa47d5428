/** Reads a text/event-stream response event by event, comments included. */
export interface SseEvent {
	event: string;
	data: string;
}

export class SseReader {
	private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
	private readonly decoder = new TextDecoder();
	private buffer = '';
	readonly comments: string[] = [];

	constructor(response: Response) {
		if (!response.body) throw new Error('response has no body');
		this.reader = response.body.getReader();
	}

	/** The next event (comments are collected in `comments`, not returned). */
	async next(): Promise<SseEvent> {
		for (;;) {
			const end = this.buffer.indexOf('\n\n');
			if (end >= 0) {
				const block = this.buffer.slice(0, end);
				this.buffer = this.buffer.slice(end + 2);
				const lines = block.split('\n');
				const comments = lines.filter((line) => line.startsWith(':'));
				this.comments.push(...comments);
				const fields = lines.filter((line) => !line.startsWith(':'));
				if (fields.length === 0) continue;
				const event = fields.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
				const data = fields
					.filter((line) => line.startsWith('data: '))
					.map((line) => line.slice(6))
					.join('\n');
				return { event, data };
			}
			const { value, done } = await this.reader.read();
			if (done) throw new Error('stream ended');
			this.buffer += this.decoder.decode(value, { stream: true });
		}
	}

	/** The next `event: message`, parsed as JSON-RPC. */
	async nextMessage(): Promise<{ id?: number; result?: Record<string, unknown>; error?: unknown; method?: string }> {
		const event = await this.next();
		if (event.event !== 'message') throw new Error(`expected a message event, got ${event.event}`);
		return JSON.parse(event.data);
	}

	/** Reads raw chunks until a comment line appears (keepalives come when nothing else does). */
	async nextComment(): Promise<string> {
		for (;;) {
			const found = this.buffer.match(/^(:[^\n]*)\n\n/m);
			if (found?.[1]) {
				this.buffer = this.buffer.replace(found[0], '');
				return found[1];
			}
			const { value, done } = await this.reader.read();
			if (done) throw new Error('stream ended');
			this.buffer += this.decoder.decode(value, { stream: true });
		}
	}

	async close(): Promise<void> {
		await this.reader.cancel().catch(() => {});
	}
}
