/**
 * Workers AI through the `AI` binding: the seed's three models (FLUX-1 schnell, SDXL
 * Lightning, SDXL base). Parameter mapping per model follows each model's schema in the
 * Workers AI docs; the three output shapes (base64 JSON, a byte stream, raw bytes) are all
 * normalised to bytes here, and the consumer sniffs the real format.
 */
import { ProviderError } from './errors';
import type { GeneratedImage, GenerationRequest, ImageProvider, ProviderContext } from './types';

const FLUX_SCHNELL = '@cf/black-forest-labs/flux-1-schnell';

/** Builds the model-specific input object. */
export function buildWorkersAiInput(request: GenerationRequest): Record<string, unknown> {
	if (request.upstreamId === FLUX_SCHNELL) {
		// The schema takes prompt and steps (≤ 8); the docs' example also passes seed.
		return { prompt: request.prompt, steps: request.steps, seed: request.seed };
	}
	// SDXL family: width/height, num_steps, negative_prompt, seed.
	const input: Record<string, unknown> = {
		prompt: request.prompt,
		width: request.width,
		height: request.height,
		num_steps: request.steps,
		seed: request.seed,
	};
	if (request.negativePrompt) input.negative_prompt = request.negativePrompt;
	return input;
}

/** Normalises every output shape Workers AI image models return to bytes. */
export async function readWorkersAiOutput(output: unknown): Promise<Uint8Array> {
	if (output instanceof Uint8Array) return output;
	if (output instanceof ArrayBuffer) return new Uint8Array(output);
	if (output instanceof ReadableStream) return new Uint8Array(await new Response(output).arrayBuffer());
	if (output instanceof Response) return new Uint8Array(await output.arrayBuffer());
	if (output && typeof output === 'object' && 'image' in output && typeof output.image === 'string') {
		const base64 = output.image.replace(/^data:[^;]+;base64,/, '');
		return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
	}
	throw new ProviderError('transient', 'Workers AI returned no image.');
}

/** Maps a Workers AI failure (thrown by the binding) to a typed provider error. */
export function mapWorkersAiError(error: unknown): ProviderError {
	if (error instanceof ProviderError) return error;
	const message = error instanceof Error ? error.message : String(error);
	if (error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
		return new ProviderError('transient', 'Workers AI did not answer in time.');
	}
	if (/\b429\b|rate limit|capacity|too many requests/i.test(message)) {
		return new ProviderError('rate_limited', 'Workers AI is rate limiting this account; retrying shortly.', 10);
	}
	if (/nsfw|safety|content policy|flagged/i.test(message)) {
		return new ProviderError('content_policy', 'Workers AI refused this prompt under its content policy.');
	}
	if (/\b(400|422)\b|invalid input|validation/i.test(message)) {
		return new ProviderError('invalid_request', `Workers AI rejected the request: ${message.slice(0, 200)}`);
	}
	if (/\b(401|403)\b|not authorized|authentication/i.test(message)) {
		return new ProviderError('auth', 'Workers AI refused the account credentials of this Worker.');
	}
	return new ProviderError('transient', 'Workers AI failed temporarily.');
}

export const workersAiProvider: ImageProvider = {
	id: 'workers-ai',
	isConfigured: (env) => env.AI !== undefined,
	async generate(request: GenerationRequest, { env, signal }: ProviderContext): Promise<GeneratedImage> {
		const ai = env.AI;
		if (!ai) throw new ProviderError('unavailable', 'Workers AI is not bound to this Worker (binding AI).');
		try {
			// The binding's typed overloads cover known model ids; ours come from configuration.
			const run = ai.run.bind(ai) as (model: string, input: unknown, options: AiOptions) => Promise<unknown>;
			const output = await run(request.upstreamId, buildWorkersAiInput(request), { signal });
			return { bytes: await readWorkersAiOutput(output), seed: request.seed };
		} catch (error) {
			throw mapWorkersAiError(error);
		}
	},
};
