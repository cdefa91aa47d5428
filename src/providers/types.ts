/** The one interface every image provider implements (DESIGN.md §6). */

/** What the consumer asks a provider for: one call, `count` images of one prompt. */
export interface GenerationRequest {
	/** Catalog alias, e.g. `offline` or `flux-schnell`. */
	model: string;
	/** Provider-side model id, e.g. `@cf/black-forest-labs/flux-1-schnell`. */
	upstreamId: string;
	prompt: string;
	negativePrompt?: string;
	width: number;
	height: number;
	/** Always set: chosen at job creation when the caller gave none, so a retry repeats it. */
	seed: number;
	steps?: number;
}

/** One generated image as raw bytes; the consumer sniffs the real format. */
export interface GeneratedImage {
	bytes: Uint8Array;
	/** Seed the provider reports having used, when it differs from the request's. */
	seed?: number;
}

export interface ProviderContext {
	env: Env;
	/** Aborts when the per-call timeout passes; providers must pass it to fetch/AI.run. */
	signal: AbortSignal;
}

export interface ImageProvider {
	readonly id: string;
	/** Whether the binding or secret this provider needs is present. */
	isConfigured(env: Env): boolean;
	/** Throws ProviderError on failure. */
	generate(request: GenerationRequest, context: ProviderContext): Promise<GeneratedImage>;
}
