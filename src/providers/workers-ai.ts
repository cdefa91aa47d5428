/**
 * Workers AI through the `AI` binding: every text-to-image model of the Workers AI catalog
 * (FLUX.1 schnell, FLUX.2 dev and klein, Leonardo Lucid Origin and Phoenix, and the Stable
 * Diffusion family). The models take four request shapes (see `buildWorkersAiInput`) and answer
 * in three output shapes (base64 JSON, a byte stream, raw bytes), all normalised to bytes here;
 * the consumer sniffs the real format.
 *
 * Sources: each model's page at https://developers.cloudflare.com/workers-ai/models/<name>/
 * (schemas in cloudflare/cloudflare-docs src/content/workers-ai-models/<name>.json), the FLUX.2
 * launch notes in the Workers AI changelog (2025-11-25, 2026-01-15, 2026-01-28), prices from
 * https://developers.cloudflare.com/workers-ai/platform/pricing/ and error codes from
 * https://developers.cloudflare.com/workers-ai/platform/errors/.
 */
import { isAbortError, ProviderError } from './errors';
import { decodeBase64, upstreamMessage } from './http';
import type { GeneratedImage, GenerationRequest, ImageProvider, ProviderContext } from './types';

/**
 * How a model wants its input:
 * - `flux1`: JSON `{prompt, steps, seed}` (no size: always 1024×1024);
 * - `sd`: the shared Stable Diffusion schema (`num_steps`, `image`/`mask` as byte arrays);
 * - `flux2`: multipart form data only, reference images as `input_image_0..3`; `fixedSteps`
 *   for the distilled klein models, whose steps "cannot be adjusted" and are not sent;
 * - `leonardo`: JSON with `num_steps`.
 */
type Family = { kind: 'flux1' } | { kind: 'sd' } | { kind: 'flux2'; fixedSteps: boolean } | { kind: 'leonardo' };

/**
 * Keyed by catalog alias, not upstream id: MODEL_OVERRIDES may point an alias at a newer
 * upstream id, which must keep the alias's request shape.
 */
const FAMILY_BY_ALIAS: Readonly<Record<string, Family>> = {
	'flux-schnell': { kind: 'flux1' },
	'sdxl-lightning': { kind: 'sd' },
	'sdxl-base': { kind: 'sd' },
	dreamshaper: { kind: 'sd' },
	'sd-1.5-img2img': { kind: 'sd' },
	'sd-1.5-inpainting': { kind: 'sd' },
	'flux-2-dev': { kind: 'flux2', fixedSteps: false },
	'flux-2-klein-4b': { kind: 'flux2', fixedSteps: true },
	'flux-2-klein-9b': { kind: 'flux2', fixedSteps: true },
	'lucid-origin': { kind: 'leonardo' },
	phoenix: { kind: 'leonardo' },
};

/** The family of a request: by alias, else guessed from the upstream id (a request built outside the catalog). */
function familyOf(request: GenerationRequest): Family {
	const known = FAMILY_BY_ALIAS[request.model];
	if (known) return known;
	const id = request.upstreamId;
	if (id.includes('flux-1-schnell')) return { kind: 'flux1' };
	if (id.includes('flux-2-')) return { kind: 'flux2', fixedSteps: id.includes('klein') };
	if (id.startsWith('@cf/leonardo/')) return { kind: 'leonardo' };
	return { kind: 'sd' };
}

/** Copies `fields` without the undefined ones, so the binding sees only what was asked. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
	return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Most reference images the FLUX.2 models take (`input_image_0` to `input_image_3`). */
export const FLUX2_MAX_INPUT_IMAGES = 4;

const EXTENSIONS: Readonly<Record<string, string>> = {
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

/**
 * FLUX.2 takes multipart form data only, "even if you just have a prompt". The binding needs
 * the serialised body and its Content-Type with the boundary, which `new Response(form)`
 * produces (the pattern on the model pages).
 */
function buildFlux2Input(request: GenerationRequest, fixedSteps: boolean): Record<string, unknown> {
	const form = new FormData();
	form.append('prompt', request.prompt);
	form.append('width', String(request.width));
	form.append('height', String(request.height));
	if (!fixedSteps && request.steps !== undefined) form.append('steps', String(request.steps));
	if (request.guidance !== undefined) form.append('guidance', String(request.guidance));
	if (request.seed !== undefined) form.append('seed', String(request.seed));
	for (const [index, image] of (request.referenceImages ?? []).slice(0, FLUX2_MAX_INPUT_IMAGES).entries()) {
		const blob = new Blob([image.bytes], { type: image.contentType });
		form.append(`input_image_${index}`, blob, `input_image_${index}.${EXTENSIONS[image.contentType] ?? 'bin'}`);
	}
	const serialised = new Response(form);
	return {
		multipart: { body: serialised.body, contentType: serialised.headers.get('content-type') ?? 'multipart/form-data' },
	};
}

/**
 * Builds the model-specific input object for `AI.run`. Parameter names differ by family:
 * `steps` (FLUX) against `num_steps` (Stable Diffusion, Leonardo); images go as byte arrays
 * for Stable Diffusion and as form files for FLUX.2.
 */
export function buildWorkersAiInput(request: GenerationRequest): Record<string, unknown> {
	const family = familyOf(request);
	switch (family.kind) {
		case 'flux1':
			// The schema takes prompt and steps (≤ 8); the docs' example also passes seed.
			return defined({ prompt: request.prompt, steps: request.steps, seed: request.seed });
		case 'flux2':
			return buildFlux2Input(request, family.fixedSteps);
		case 'leonardo':
			// Lucid Origin's schema lists both `steps` and `num_steps`; Phoenix only `num_steps`.
			return defined({
				prompt: request.prompt,
				width: request.width,
				height: request.height,
				num_steps: request.steps,
				guidance: request.guidance,
				seed: request.seed,
				negative_prompt: request.negativePrompt || undefined,
			});
		case 'sd': {
			const reference = request.referenceImages?.[0];
			// The binding JSON-encodes its input, where a Uint8Array would become an object of
			// indices: the model pages pass `[...new Uint8Array(bytes)]`, a plain number array.
			return defined({
				prompt: request.prompt,
				negative_prompt: request.negativePrompt || undefined,
				width: request.width,
				height: request.height,
				num_steps: request.steps,
				guidance: request.guidance,
				seed: request.seed,
				image: reference ? Array.from(reference.bytes) : undefined,
				mask: reference && request.mask ? Array.from(request.mask.bytes) : undefined,
				strength: reference ? request.strength : undefined,
			});
		}
	}
}

/**
 * Normalises every output shape Workers AI image models return to bytes: `{image: base64}`
 * (FLUX, Lucid Origin), a byte stream (Stable Diffusion, Phoenix: the binding hands back the
 * response body), and, defensively, raw bytes or a Response. Anything else is a malformed
 * answer: transient, since another attempt may succeed.
 */
export async function readWorkersAiOutput(output: unknown): Promise<Uint8Array> {
	let bytes: Uint8Array | undefined;
	if (output instanceof Uint8Array) bytes = output;
	else if (output instanceof ArrayBuffer) bytes = new Uint8Array(output);
	else if (ArrayBuffer.isView(output)) bytes = new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
	else if (output instanceof ReadableStream) bytes = new Uint8Array(await new Response(output).arrayBuffer());
	else if (output instanceof Response) bytes = new Uint8Array(await output.arrayBuffer());
	else if (output && typeof output === 'object' && 'image' in output && typeof output.image === 'string') {
		bytes = decodeBase64(output.image, 'Workers AI');
	}
	if (!bytes || bytes.byteLength === 0) throw new ProviderError('transient', 'Workers AI returned no image.');
	return bytes;
}

/** Seconds a rate-limited or out-of-capacity call waits before the next attempt. */
const RATE_LIMIT_RETRY_SECONDS = 10;

export interface WorkersAiErrorContext {
	/** The upstream model id, named in "unknown model" messages. */
	model?: string;
	/** The call's signal: once it has fired, whatever the binding threw is a timeout. */
	signal?: AbortSignal;
}

/** The internal code that starts a binding error message, e.g. `3040` in "3040: Capacity temporarily exceeded". */
function internalCode(message: string): number | undefined {
	const match = /^(?:[A-Za-z]*Error:\s*)?(\d{4}):/.exec(message.trim());
	return match ? Number(match[1]) : undefined;
}

/**
 * Maps a Workers AI failure (thrown by the binding) to a typed provider error. The binding
 * throws `InferenceUpstreamError` with "<internal code>: <description>" (workerd
 * `ai-api.ts`); codes per the Workers AI errors page, with the texts as a fallback.
 */
export function mapWorkersAiError(error: unknown, context: WorkersAiErrorContext = {}): ProviderError {
	if (error instanceof ProviderError) return error;
	if (isAbortError(error) || context.signal?.aborted)
		return new ProviderError('transient', 'Workers AI did not answer in time.');
	const message = error instanceof Error ? error.message : String(error);
	const code = internalCode(message);
	const detail = upstreamMessage(message);

	// 3036 (formerly 4006): the daily free allocation is spent. Retrying within minutes
	// cannot help (it resets at 00:00 UTC), so the caller should hear it at once.
	if (code === 3036 || code === 4006 || /daily free allocation/i.test(message)) {
		return new ProviderError(
			'unavailable',
			"Workers AI's daily free allocation (10,000 neurons) is used up; it resets at 00:00 UTC, or the operator can move the account to the Workers Paid plan. Try another model meanwhile.",
		);
	}
	if (code === 3040 || /\b429\b|rate limit|capacity|too many requests/i.test(message)) {
		return new ProviderError(
			'rate_limited',
			'Workers AI is rate limiting this account or is out of capacity; retrying shortly.',
			RATE_LIMIT_RETRY_SECONDS,
		);
	}
	if (/nsfw|safety|content policy|flagged/i.test(message)) {
		return new ProviderError('content_policy', `Workers AI refused this prompt under its content policy: ${detail}`);
	}
	if (code === 5007 || code === 3042 || /no such model|invalid model|unknown model|model not found/i.test(message)) {
		const model = context.model ? ` "${context.model}"` : '';
		return new ProviderError(
			'unavailable',
			`Workers AI does not know the model${model}; the operator should check the upstream_id in MODEL_OVERRIDES.`,
		);
	}
	if (code === 5035 || /workers paid/i.test(message)) {
		return new ProviderError(
			'unavailable',
			"This Workers AI model needs the Workers Paid plan on the account behind this Worker's AI binding.",
		);
	}
	if (
		code === 3023 ||
		code === 3041 ||
		code === 5018 ||
		/\b(401|403)\b|not authori[sz]ed|unauthori[sz]ed|authentication|forbidden|not allowed/i.test(message)
	) {
		return new ProviderError(
			'auth',
			'Workers AI refused this Worker\'s account: the operator should check that the account of the AI binding (wrangler.jsonc "ai") may use Workers AI and this model.',
		);
	}
	if (code === 3007 || code === 3008 || /\b408\b|timed? ?out/i.test(message)) {
		return new ProviderError('transient', 'Workers AI did not answer in time.');
	}
	if (code === 3006 || /\b413\b|too large/i.test(message)) {
		return new ProviderError(
			'invalid_request',
			'Workers AI refused the request as too large; use smaller reference images or a smaller mask.',
		);
	}
	if (
		code === 3003 ||
		code === 5004 ||
		code === 5006 ||
		/\b(400|422)\b|invalid|validation|required propert|must be/i.test(message)
	) {
		return new ProviderError('invalid_request', `Workers AI rejected the request: ${detail}`);
	}
	return new ProviderError('transient', 'Workers AI failed temporarily.');
}

export const workersAiProvider: ImageProvider = {
	id: 'workers-ai',
	configuredBy: 'the AI binding (wrangler.jsonc "ai")',
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
			throw mapWorkersAiError(error, { model: request.upstreamId, signal });
		}
	},
};
