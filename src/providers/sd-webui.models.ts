/**
 * The one Stable Diffusion WebUI model (DESIGN.md §6): what a WebUI started with `--api`
 * accepts. The request code is in sd-webui.ts.
 */
import { SD_WEBUI_DEFAULT_CFG_SCALE, SD_WEBUI_DEFAULT_STEPS, sdWebUiProvider } from './sd-webui';
import type { ModelCapabilities, ModelEntry } from './types';

/**
 * What the WebUI accepts, from its UI limits (the API itself takes any integers; these are the
 * ranges the WebUI is built and tested for). The default size is SDXL's native 1024², since
 * current checkpoints (SDXL, Pony, Illustrious, Flux on Forge) are trained there; SD 1.5
 * checkpoints want 512×512, which callers can ask for.
 */
const CAPABILITIES: ModelCapabilities = {
	size: { kind: 'range', min: 64, max: 2048, multipleOf: 8 },
	defaultSize: { width: 1024, height: 1024 },
	// The API's default is 50 steps; the UI's (and ours) is 20.
	steps: { min: 1, max: 150, default: SD_WEBUI_DEFAULT_STEPS },
	seed: 'exact',
	negativePrompt: true,
	guidance: { min: 1, max: 30, default: SD_WEBUI_DEFAULT_CFG_SCALE },
	maxReferenceImages: 1,
	requiresReferenceImage: false,
	mask: 'optional',
	strength: true,
	sampler: true,
	// The UI's batch-size slider goes to 8; each job still asks for one image.
	imagesPerCall: 8,
	goodAtText: false,
};

/** One entry: the model is whatever checkpoint the operator's WebUI runs, so the upstream id is fixed. */
export const SD_WEBUI_MODELS: readonly ModelEntry[] = [
	{
		alias: 'sd-webui',
		aliases: ['stable-diffusion-webui', 'sd-webui-forge', 'forge', 'reforge', 'a1111', 'automatic1111'],
		provider: sdWebUiProvider,
		upstreamId: 'sd-webui',
		label: 'Stable Diffusion WebUI / Forge (self-hosted)',
		useFor:
			"The operator's own Stable Diffusion server and checkpoint (SD 1.5, SDXL, Flux…): any size to 2048, negative prompts, samplers, img2img and inpainting; no per-image cost.",
		goodAt: "whatever the operator's checkpoint does best (anime, styles, LoRAs)",
		lifecycle: { status: 'current' },
		notAi: false,
		capabilities: CAPABILITIES,
		// Self-hosted: the operator pays for the GPU, not per image.
		pricing: { kind: 'per_megapixel', usd: 0 },
		// About 20 s for 20 steps of SDXL at 1024² on a mid-range GPU; SD 1.5 at 512² is much faster.
		typicalLatencyMs: 20_000,
	},
];
