/**
 * The prompt-writing guides, one per model family (FLUX, Stable Diffusion, OpenAI gpt-image /
 * DALL·E, Gemini): how that family wants its prompt written, and, computed from this
 * deployment's catalog at request time, which of its models are configured here, what each
 * takes through generate_image, and an example call that passes our validation.
 *
 * Facts about the models come from the catalog (src/providers/*.ts) and the reference notes
 * it cites; the advice on wording is the families' own published guidance, kept to what is
 * true of every model in the family.
 */

import { ASPECT_RATIOS, MAX_PROMPT_CHARS } from '../generation/request';
import { catalogFor, configuredModels, defaultModel, isStandIn, type ModelEntry } from '../providers/catalog';
import { describeCost } from '../providers/describe';
import type { ModelCapabilities } from '../providers/types';
import type { RequestScope } from './context';

export interface ModelFamily {
	/** The prompt's name in prompts/list. */
	prompt: string;
	title: string;
	/** What the family is called in running text. */
	label: string;
	/** Catalog aliases of the family's models. */
	members: readonly string[];
	/** How to write for this family: one point per line, true of every member. */
	advice: readonly string[];
	/** The example call's prompt (and negative prompt, where the family takes one). */
	example: { prompt: string; negativePrompt?: string };
}

const QUOTE_TEXT =
	'put the exact words in double quotes and say where they go and how they look (`a sign above the door reads "OPEN LATE" in hand-painted white letters`)';

export const MODEL_FAMILIES: readonly ModelFamily[] = [
	{
		prompt: 'flux_prompt_guide',
		title: 'FLUX prompt guide',
		label: 'FLUX',
		members: ['flux-schnell', 'flux-2-dev', 'flux-2-klein-4b', 'flux-2-klein-9b'],
		advice: [
			'Write natural-language sentences, not tag lists. Start with the subject, then the setting, composition or camera, lighting, medium or style, and mood. Specific, concrete words ("a weathered red fishing boat at a stone pier at dawn, mist on the water") work better than adjectives like "beautiful" or "masterpiece".',
			'FLUX takes no negative prompt: generate_image refuses negative_prompt for these models. Describe what you want instead ("an empty street at dawn" rather than "no people"); naming an unwanted thing, even after "no", can pull it into the image.',
			`Length: FLUX.1 [schnell] on Workers AI takes at most 2048 characters of prompt; this server accepts up to ${MAX_PROMPT_CHARS} for any model, so keep flux-schnell prompts under 2048. A few precise sentences beat a long list.`,
			`Text in the image: the FLUX.2 models render short text well: ${QUOTE_TEXT}. FLUX.1 [schnell] is not reliable with text; for a sign, poster or logo prefer FLUX.2 or another model that renders text (list_models, good_at_text).`,
			'Seeds are exact: the same prompt, seed, size and steps give the same image. Omit seed for a fresh image (the result says which seed was used); keep it and change one thing at a time to refine an image.',
			'Sizes: FLUX.1 [schnell] always makes 1024×1024, and any other width, height or aspect_ratio is refused. The FLUX.2 models take width and height (multiples of 16) or an aspect_ratio.',
			'Steps and guidance: flux-schnell takes steps 1–8 (default 4; more steps, more detail, slower). FLUX.2 [dev] takes steps (default 25) and guidance (default 4; higher follows the prompt more literally); the FLUX.2 [klein] models run a fixed 4 steps, so omit steps, and take guidance.',
			'Reference images: the FLUX.2 models take up to 4 reference_images (earlier job ids, image://<job_id>/<index> or https URLs), each at most 512×512. Say in the prompt what to take from each ("the cat from the first image, wearing the scarf from the second"). FLUX.1 [schnell] takes none.',
		],
		example: {
			prompt:
				'A cosy bookshop café on a rainy evening, warm light spilling from tall windows onto wet cobblestones, a ginger cat asleep on a stack of books in the window, cinematic 35mm photograph, shallow depth of field.',
		},
	},
	{
		prompt: 'stable_diffusion_prompt_guide',
		title: 'Stable Diffusion (SDXL, SD 1.5, SD WebUI) prompt guide',
		label: 'Stable Diffusion',
		members: ['sdxl-lightning', 'sdxl-base', 'dreamshaper', 'sd-1.5-img2img', 'sd-1.5-inpainting', 'sd-webui'],
		advice: [
			'Write a concise, comma-separated list of descriptive phrases rather than long sentences: subject first, then details, setting, medium or style, lighting, and a few quality words ("highly detailed, sharp focus"). Earlier words weigh more, so put what matters most first.',
			'The text encoder (CLIP) reads 77 tokens at a time, roughly 60 words. Keep the prompt within that: on the Workers AI models words past it may be dropped, and although SD WebUI reads longer prompts in chunks, extra words dilute the important ones.',
			'Negative prompts work and help: pass negative_prompt with what to keep out, e.g. "blurry, lowres, deformed hands, extra fingers, watermark, text". Keep it short and specific.',
			'Emphasis syntax such as (word:1.3) or [word] is an SD WebUI feature: use it only with sd-webui, not with the Workers AI models.',
			'Stable Diffusion does not render legible text: leave words out of the image, or use a model that renders text (list_models, good_at_text).',
			"Sizes: width and height in multiples of 8, or an aspect_ratio. Stay near the checkpoint's native size: 1024×1024 for SDXL (sdxl-base, sdxl-lightning, most SD WebUI checkpoints), 512×512 for SD 1.5 (dreamshaper, sd-1.5-img2img, sd-1.5-inpainting); far from it, subjects tend to repeat or stretch.",
			'Seeds are exact: the same prompt, negative prompt, seed, size, steps and guidance give the same image. Keep the seed and change one thing at a time to refine an image.',
			'Steps and guidance: the Workers AI models take steps 1–20 (default 20) and guidance 0–30 (default 7.5); sd-webui takes steps 1–150 (default 20), guidance (CFG) 1–30 (default 7) and a sampler name (default "DPM++ 2M"; e.g. "Euler a").',
			'img2img and inpainting: give one reference_images entry and strength (0 keeps the reference, 1 ignores it; Workers AI defaults to 1, sd-webui to 0.75). mask_image repaints only the white areas of the mask. sd-1.5-img2img needs a reference image; sd-1.5-inpainting needs a reference image and a mask.',
		],
		example: {
			prompt:
				'cosy bookshop café, rainy evening, warm light from tall windows, wet cobblestones, ginger cat asleep on a stack of books, cinematic photo, 35mm, shallow depth of field, highly detailed',
			negativePrompt: 'blurry, lowres, deformed, extra limbs, watermark, text',
		},
	},
	{
		prompt: 'gpt_image_prompt_guide',
		title: 'OpenAI gpt-image and DALL·E prompt guide',
		label: 'OpenAI gpt-image / DALL·E',
		members: ['gpt-image-1.5', 'gpt-image-1', 'gpt-image-1-mini', 'dall-e-3', 'dall-e-2'],
		advice: [
			'Write the prompt as a brief to a designer, in full sentences: the subject, setting, composition, medium or style, lighting, colour palette and what the image is for ("a hero image for a bakery website"). The GPT Image models follow long, detailed and structured prompts closely, including lists of requirements.',
			'There is no negative_prompt (refused for these models): say what to avoid in plain words inside the prompt ("plain white background, no other text than the title").',
			`Text in the image is a strength of the GPT Image models and dall-e-3: ${QUOTE_TEXT}. dall-e-2 is poor at text.`,
			'OpenAI takes no seed (generate_image refuses seed for these models), so every call gives a different image. To refine one, pass it as reference_images and describe the change: the GPT Image models take up to 16 reference images, dall-e-2 one square PNG under 4 MB, and dall-e-3 cannot edit.',
			'Sizes are fixed lists: the GPT Image models make 1024×1024, 1536×1024 and 1024×1536; dall-e-3 1024×1024, 1792×1024 and 1024×1792; dall-e-2 256×256, 512×512 and 1024×1024. Give width and height from the list, or an aspect_ratio, which picks the closest listed size.',
			'Options instead of steps and guidance: quality (GPT Image: low, medium, high or auto, the default; dall-e-3: standard or hd) sets detail, time and cost; background "transparent" (GPT Image, with output_format png or webp) makes cut-outs, logos and stickers; dall-e-3 takes style vivid (default) or natural.',
			'dall-e-3 rewrites every prompt before drawing; the result returns the prompt it actually used as revised_prompt. Show it to the user when the image differs from what they asked.',
			`Length: this server accepts prompts up to ${MAX_PROMPT_CHARS} characters.`,
		],
		example: {
			prompt:
				'A poster for a neighbourhood bookshop café on a rainy evening: warm light from tall windows, a ginger cat asleep on a stack of books in the window. At the top, the title "RAINY DAY READS" in bold cream serif letters; at the bottom, "Open late · 12 Elm Street" in small letters. Flat illustration style, muted teal and amber palette.',
		},
	},
	{
		prompt: 'gemini_prompt_guide',
		title: 'Gemini (Nano Banana) prompt guide',
		label: 'Gemini',
		members: ['flash', 'pro'],
		advice: [
			'Describe the scene in narrative sentences, not a keyword list: the subject, the setting, the light, the camera angle or composition, the style, and what the image is for. Gemini is a language model that draws; it understands context and intent.',
			'Editing is conversational: pass the image(s) as reference_images (up to 14) and say what to change and what to keep ("Make it night and add falling snow; keep the people and the framing the same"). Refer to several images by their order in reference_images ("put the jacket from the second image on the man in the first").',
			'There is no negative_prompt (refused for these models): say what you want instead, or what to keep unchanged.',
			`Text in the image is a strength (pro most of all): ${QUOTE_TEXT}.`,
			'Seeds are best effort: the same seed gives a similar image, not the same one. To refine an image, pass it as a reference image rather than relying on the seed.',
			"Sizes: no width or height; give aspect_ratio and image_size (1K, the default, 2K or 4K; larger tiers cost more). When editing without an aspect_ratio, the result keeps the reference image's shape.",
			'If Gemini answers in words instead of drawing, the job fails with its words quoted: ask for the picture explicitly ("Generate an image of …") and rephrase.',
			'pro thinks before drawing: better text and instruction following, slower and dearer than flash; flash suits drafts and quick iterations.',
		],
		example: {
			prompt:
				'A photograph of a cosy bookshop café on a rainy evening. Warm light spills from its tall windows onto the wet cobblestones, and a ginger cat sleeps on a stack of books in the window. Eye-level shot with soft reflections; a hand-painted sign above the door reads "Rainy Day Reads".',
		},
	},
];

export function familyByPrompt(name: string): ModelFamily | undefined {
	return MODEL_FAMILIES.find((family) => family.prompt === name);
}

/** The guide that covers `alias`, if any (the offline test pattern and the Leonardo models have none). */
export function familyOfModel(alias: string): ModelFamily | undefined {
	return MODEL_FAMILIES.find((family) => family.members.includes(alias));
}

/** The family's models configured in this deployment (local stand-ins included), in catalog order. */
export function configuredFamilyModels(env: Env, family: ModelFamily): ModelEntry[] {
	return configuredModels(env).filter((entry) => family.members.includes(entry.alias));
}

/** aspect_ratio values generate_image accepts for a model sized by ratio: its own ratios that the tool's enum has. */
function acceptedRatios(ratios: readonly string[]): string[] {
	return ratios.filter((ratio) => (ASPECT_RATIOS as readonly string[]).includes(ratio));
}

function describeSizes(caps: ModelCapabilities): string {
	const { size, defaultSize } = caps;
	const fallback = `${defaultSize.width}×${defaultSize.height}`;
	switch (size.kind) {
		case 'fixed':
			return `always ${size.width}×${size.height}; omit width, height and aspect_ratio`;
		case 'range':
			return `width and height ${size.min}–${size.max} px${size.multipleOf > 1 ? ` in multiples of ${size.multipleOf}` : ''} (default ${fallback}), or aspect_ratio`;
		case 'list':
			return `width×height one of ${size.sizes.map((item) => item.replace('x', '×')).join(', ')} (default ${fallback}), or aspect_ratio for the closest of these`;
		case 'aspect': {
			const accepted = acceptedRatios(size.ratios);
			const refused = size.ratios.filter((ratio) => !accepted.includes(ratio));
			return (
				`aspect_ratio ${accepted.join(', ')} (default 1:1) at image_size ${size.tiers.join(', ')} (default ${size.tiers[0]}); no width or height` +
				(refused.length ? `. The model also makes ${refused.join(', ')}, which generate_image does not accept` : '')
			);
		}
	}
}

function describeReferenceInput(caps: ModelCapabilities): string {
	if (caps.maxReferenceImages === 0) return 'reference_images: none';
	const parts = [
		caps.requiresReferenceImage
			? `reference_images: ${caps.maxReferenceImages} (required)`
			: `reference_images: up to ${caps.maxReferenceImages}`,
	];
	if (caps.mask) parts.push(caps.mask === 'required' ? 'mask_image (required)' : 'mask_image');
	if (caps.strength) parts.push('strength 0–1');
	return parts.join(', ');
}

function describeSeed(seed: ModelCapabilities['seed']): string {
	if (seed === 'exact') return 'seed: exact';
	if (seed === 'best_effort') return 'seed: best effort';
	return 'no seed';
}

/** What one model takes through generate_image: a bullet with its label and use, and three short sub-points. */
export function describeModelForGuide(entry: ModelEntry, env: Env, isDefault: boolean): string {
	const caps = entry.capabilities;
	const settings = [
		caps.steps
			? caps.steps.min === caps.steps.max
				? `steps fixed at ${caps.steps.min} (omit steps)`
				: `steps ${caps.steps.min}–${caps.steps.max} (default ${caps.steps.default})`
			: 'no steps',
		caps.guidance
			? `guidance ${caps.guidance.min}–${caps.guidance.max} (default ${caps.guidance.default})`
			: 'no guidance',
		describeSeed(caps.seed),
		caps.negativePrompt ? 'negative_prompt' : 'no negative_prompt',
	];
	for (const [field, choice] of [
		['quality', caps.quality],
		['style', caps.style],
		['background', caps.background],
		['output_format', caps.outputFormat],
	] as const) {
		if (choice) settings.push(`${field} ${choice.values.join('/')} (default ${choice.default})`);
	}
	if (caps.sampler) settings.push('sampler');
	const standIn = isStandIn(entry, env);
	const facts = [
		describeReferenceInput(caps),
		caps.goodAtText ? 'renders legible text' : 'not reliable for text',
		`cost ${standIn ? 'free here (local stand-in)' : describeCost(entry)}`,
		`typical time ${Math.round(entry.typicalLatencyMs / 1000)} s`,
	];
	const notes = [
		isDefault ? ' The deployment default.' : '',
		standIn ? ' Local run: drawn by the offline test pattern, not by this model.' : '',
	].join('');
	return [
		`- \`${entry.alias}\`: ${entry.label}. ${entry.useFor}${notes}`,
		`  - size: ${describeSizes(caps)}`,
		`  - ${settings.join('; ')}`,
		`  - ${facts.join('; ')}`,
	].join('\n');
}

/** A width and height near the model's default pixel count in a landscape shape close to 3:2, on its grid and in its range. */
function landscapeSize(caps: ModelCapabilities, range: { min: number; max: number; multipleOf: number }) {
	const pixels = caps.defaultSize.width * caps.defaultSize.height;
	// Multiples of 64 where the model's grid allows (1280×832 rather than 1256×840): the usual sizes.
	const step = 64 % range.multipleOf === 0 ? 64 : range.multipleOf;
	const snap = (value: number) => Math.min(range.max, Math.max(range.min, Math.round(value / step) * step));
	const width = snap(Math.sqrt(pixels * 1.5));
	return { width, height: snap(width / 1.5) };
}

/** Placeholders a reader must replace; only for models that cannot run without them. */
export const REFERENCE_PLACEHOLDER = '<job_id of an earlier image, or an https URL>';
export const MASK_PLACEHOLDER = '<mask image: white = repaint>';

/**
 * The arguments of an example generate_image_and_wait call for `entry`: the family's example
 * prompt at a landscape size the model takes, with a seed and negative prompt where it takes
 * them. Valid as they stand, except for models that need a reference image or mask (placeholders).
 */
export function exampleArguments(entry: ModelEntry, family: ModelFamily): Record<string, unknown> {
	const caps = entry.capabilities;
	const args: Record<string, unknown> = { prompt: family.example.prompt, model: entry.alias };
	const { size } = caps;
	if (size.kind === 'range') Object.assign(args, landscapeSize(caps, size));
	if (size.kind === 'list') {
		const landscape = size.sizes.find((item) => {
			const [width, height] = item.split('x').map(Number) as [number, number];
			return width > height;
		});
		if (landscape) {
			const [width, height] = landscape.split('x').map(Number) as [number, number];
			Object.assign(args, { width, height });
		}
	}
	if (size.kind === 'aspect') {
		args.aspect_ratio = acceptedRatios(size.ratios).includes('16:9') ? '16:9' : '1:1';
		args.image_size = size.tiers[0];
	}
	if (caps.seed !== 'none') args.seed = 12345;
	if (caps.negativePrompt && family.example.negativePrompt) args.negative_prompt = family.example.negativePrompt;
	if (caps.requiresReferenceImage) args.reference_images = [REFERENCE_PLACEHOLDER];
	if (caps.mask === 'required') args.mask_image = MASK_PLACEHOLDER;
	return args;
}

/**
 * The model a guide's example and closing instruction use when the caller names none: the
 * deployment default when it is one of `configured` (the family's), else the first that runs
 * without a reference image, else the first. Undefined when the family has none here.
 */
function guideTarget(scope: RequestScope, configured: readonly ModelEntry[]): ModelEntry | undefined {
	const fallback = defaultModel(scope.env, scope.config.defaultModel);
	if (configured.includes(fallback)) return fallback;
	return configured.find((entry) => !entry.capabilities.requiresReferenceImage) ?? configured[0];
}

/** Configured models outside `family`, each with the guide that covers it, for "use these instead". */
function otherConfiguredModels(env: Env, family: ModelFamily): string {
	return configuredModels(env)
		.filter((entry) => !family.members.includes(entry.alias))
		.map((entry) => {
			const guide = familyOfModel(entry.alias);
			if (guide) return `${entry.alias} (${guide.prompt})`;
			return entry.notAi ? `${entry.alias} (a test pattern, not AI)` : entry.alias;
		})
		.join(', ');
}

/** Family members this deployment's catalog has (not disabled by MODEL_OVERRIDES) but cannot run, grouped by what enables them. */
function unconfiguredMembers(env: Env, family: ModelFamily, configured: readonly ModelEntry[]): string {
	const groups = new Map<string, string[]>();
	for (const entry of catalogFor(env).entries) {
		if (!family.members.includes(entry.alias) || configured.some((item) => item.alias === entry.alias)) continue;
		const key = entry.provider.configuredBy;
		groups.set(key, [...(groups.get(key) ?? []), entry.alias]);
	}
	return [...groups].map(([by, aliases]) => `${aliases.join(', ')} (enabled by ${by})`).join('; ');
}

/** The guide's text for this deployment. `model` is a configured family model the caller picked; `subject` what the user wants. */
export function renderGuide(
	scope: RequestScope,
	family: ModelFamily,
	options: { model?: ModelEntry; subject?: string },
): string {
	const { env } = scope;
	const configured = configuredFamilyModels(env, family);
	const fallback = defaultModel(env, scope.config.defaultModel);
	const target = options.model ?? guideTarget(scope, configured);
	const lines: string[] = [
		`# Writing prompts for ${family.label} models on this server`,
		'',
		`Use this guide when you write the prompt for generate_image_and_wait (or generate_image) for the ${family.label} models. It is written for you, the assistant.`,
		'',
		'## Models of this family here',
		'',
	];
	if (configured.length) {
		for (const entry of configured) lines.push(describeModelForGuide(entry, env, entry === fallback));
	} else {
		const others = otherConfiguredModels(env, family);
		lines.push(
			`No ${family.label} model is configured in this deployment, so generate_image refuses them here.${others ? ` Configured models: ${others}.` : ''} list_models shows what each of them takes.`,
		);
	}
	const missing = unconfiguredMembers(env, family, configured);
	if (missing && configured.length) lines.push('', `Not configured here: ${missing}.`);
	lines.push('', '## How to write the prompt', '', ...family.advice.map((point) => `- ${point}`));

	const exampleEntry = target ?? catalogFor(env).entries.find((entry) => family.members.includes(entry.alias));
	if (exampleEntry) {
		const args = exampleArguments(exampleEntry, family);
		const placeholders = args.reference_images !== undefined || args.mask_image !== undefined;
		lines.push(
			'',
			'## Example',
			'',
			`generate_image_and_wait with these arguments${configured.length ? '' : ` (refused here until ${exampleEntry.provider.configuredBy} is set)`}${placeholders ? '; replace the <placeholders>' : ''}:`,
			'',
			'```json',
			JSON.stringify(args, null, 2),
			'```',
		);
	}

	lines.push('', '## Your task', '');
	const subject = options.subject ? `The user wants: "${options.subject}".` : '';
	if (!target) {
		lines.push(
			[
				subject,
				`No ${family.label} model can run here, so use one of the configured models listed above instead, follow the guide named next to it, and tell the user which model you used.`,
			]
				.filter(Boolean)
				.join(' '),
		);
	} else {
		const modelChoice = options.model
			? `Use model ${target.alias}.`
			: configured.length > 1
				? `Pick the ${family.label} model that fits from the list above (${target.alias} if nothing calls for another).`
				: `Use model ${target.alias}.`;
		lines.push(
			subject
				? `${subject} Write one prompt for it following this guide, keeping everything the user asked for and adding the concrete details the guide calls for. ${modelChoice} Choose a size that suits the subject, call generate_image_and_wait, then show the user the image's markdown line and the prompt you used.`
				: `When the user describes an image, write the prompt following this guide. ${modelChoice} Choose a size that suits the subject, call generate_image_and_wait, then show the user the image's markdown line and the prompt you used.`,
		);
	}
	return lines.join('\n');
}
