/**
 * What `model: "auto"` reads a request as, and which models suit each reading best: data for
 * src/generation/auto.ts. A request is classified into one intent by the first rule that
 * matches, in INTENTS order (references make it an edit whatever the prompt says; legible text
 * outranks style words, since a model that garbles the words fails the request). Each intent
 * ranks catalog aliases best first; auto then keeps only the configured models that take the
 * whole request. Pure data and regular expressions: no I/O.
 */
import type { GenerationRequest } from './request';

/** The kinds of request auto tells apart. */
export type AutoIntent = 'edit' | 'text' | 'draft' | 'quality' | 'photo' | 'illustration' | 'cutout' | 'general';

/** Why a request was read as its intent, e.g. `the prompt says "35mm"`. */
export interface IntentReading {
	intent: AutoIntent;
	cue: string;
}

export interface IntentRule {
	intent: AutoIntent;
	/** The intent in running text: "a photographic request". */
	label: string;
	/** Catalog aliases, best first. Models not listed come after, in the general order. */
	ranking: readonly string[];
	/** The cue when the request reads as this intent, else undefined. */
	detect: (input: GenerationRequest) => string | undefined;
}

/** Words that ask for legible text in the image. */
const TEXT_REQUEST =
	/\b(text|texts|logo|logos|wordmark|poster|posters|typography|typographic|lettering|lettered|font|headline|caption|banner|sign|signage|label|labels|title|slogan|quote|infographic|menu|book cover|says|saying|reads|written|spelling)\b/i;

/** Quoted words ("OPEN", “Café”) are text the user wants rendered. */
const QUOTED_TEXT = /["“”«»„][^"“”«»„]{1,80}["“”«»„]/;

/** A draft: speed and price over polish. "Quick" and "fast" alone are not enough ("a fast car"). */
const DRAFT_WORDS =
	/\b(drafts?|rough (?:sketch|idea|version|draft|layout)|quick (?:sketch|draft|idea|test|look|version|concept)|placeholder|wireframe|storyboard|thumbnail sketch|low[- ](?:res|resolution|quality)|just a test|test (?:image|render|shot))\b/i;

const QUALITY_WORDS =
	/\b(highest[- ]quality|best[- ]quality|high[- ]quality|top[- ]quality|premium quality|final (?:render|version|image|artwork)|print[- ]ready|for print|[48]k|ultra[- ]?(?:detailed|realistic|hd)|masterpiece|award[- ]winning|hyper[- ]?detailed|intricate details?|hero image)\b/i;

const PHOTO_WORDS =
	/\b(photos?|photographs?|photographic|photography|photo-?realistic|photoreal|realistic|hyper-?realistic|lifelike|dslr|35 ?mm|50 ?mm|85 ?mm|bokeh|depth of field|shot on|headshot|product shot|stock photo|film still|cinematic still|polaroid|raw photo|portrait photo)\b/i;

const ILLUSTRATION_WORDS =
	/\b(illustrations?|illustrated|anime|manga|cartoons?|comics?|chibi|kawaii|watercolou?rs?|gouache|oil painting|painting|painted|digital art|concept art|fantasy art|pixel art|vector art|flat design|line art|ink drawing|drawing|sketch|storybook|children's book|cel[- ]shaded|ghibli|3d render|low[- ]poly|isometric|character design|artwork|art style)\b/i;

const CUTOUT_WORDS =
	/\b(transparent (?:background|bg|png)|no background|cut-?outs?|isolated on (?:a )?(?:white|transparent)|stickers?|die-?cut|alpha channel)\b/i;

const says = (pattern: RegExp, prompt: string): string | undefined => {
	const match = pattern.exec(prompt);
	return match ? `the prompt says "${match[0]}"` : undefined;
};

/** Why the prompt wants text in the image, or undefined. */
export function textRequestIn(prompt: string): string | undefined {
	const word = TEXT_REQUEST.exec(prompt);
	if (word) return `the prompt asks for text in the image ("${word[0]}")`;
	const quoted = QUOTED_TEXT.exec(prompt);
	if (quoted) return `the prompt quotes words to render (${quoted[0]})`;
	return undefined;
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The general order: cheap and fast first, then the rest by quality. Used for the `general`
 * intent after the deployment default, and after every intent's own ranking.
 */
export const GENERAL_RANKING = [
	'flux-schnell',
	'flux-2-klein-4b',
	'flux-2-klein-9b',
	'flash',
	'gpt-image-1-mini',
	'sdxl-lightning',
	'sdxl-base',
	'sd-webui',
	'dreamshaper',
	'phoenix',
	'lucid-origin',
	'flux-2-dev',
	'gpt-image-1.5',
	'pro',
	'gpt-image-1',
] as const;

/**
 * The intents in the order they are tried; the first whose `detect` gives a cue wins, and
 * `general` always does. Rankings name catalog aliases (test/auto-choice.test.ts checks each
 * exists), best first for that kind of image, from the providers' own descriptions in the
 * catalog (`use_for`, `good_at`).
 */
export const INTENTS: readonly IntentRule[] = [
	{
		intent: 'edit',
		label: 'an editing request with reference images',
		// Gemini and GPT Image edit conversationally from many references; FLUX.2 takes up to 4;
		// the Stable Diffusion models take one (img2img, or inpainting with a mask).
		ranking: [
			'flash',
			'gpt-image-1.5',
			'pro',
			'flux-2-klein-9b',
			'flux-2-dev',
			'gpt-image-1-mini',
			'flux-2-klein-4b',
			'gpt-image-1',
			'sd-webui',
			'sd-1.5-inpainting',
			'sd-1.5-img2img',
			'sdxl-base',
			'dreamshaper',
			'sdxl-lightning',
		],
		detect: (input) => {
			const references = input.reference_images?.length ?? 0;
			if (references === 0) return undefined;
			return `${plural(references, 'reference image')}${input.mask_image ? ' and a mask' : ''}`;
		},
	},
	{
		intent: 'text',
		label: 'a logo/typography request',
		ranking: [
			'gpt-image-1.5',
			'pro',
			'lucid-origin',
			'flux-2-dev',
			'phoenix',
			'flash',
			'gpt-image-1-mini',
			'gpt-image-1',
			'flux-2-klein-9b',
			'flux-2-klein-4b',
		],
		detect: (input) => textRequestIn(input.prompt),
	},
	{
		intent: 'draft',
		label: 'a draft/fast request',
		ranking: [
			'flux-schnell',
			'flux-2-klein-4b',
			'sdxl-lightning',
			'dreamshaper',
			'flash',
			'gpt-image-1-mini',
			'flux-2-klein-9b',
			'sd-webui',
			'sdxl-base',
		],
		detect: (input) => (input.quality === 'low' ? 'quality "low"' : says(DRAFT_WORDS, input.prompt)),
	},
	{
		intent: 'quality',
		label: 'a highest-quality request',
		ranking: [
			'pro',
			'gpt-image-1.5',
			'flux-2-dev',
			'lucid-origin',
			'phoenix',
			'gpt-image-1',
			'flash',
			'flux-2-klein-9b',
			'sdxl-base',
			'sd-webui',
		],
		detect: (input) => {
			if (input.quality === 'high' || input.quality === 'hd') return `quality "${input.quality}"`;
			if (input.image_size === '2K' || input.image_size === '4K') return `image_size "${input.image_size}"`;
			return says(QUALITY_WORDS, input.prompt);
		},
	},
	{
		intent: 'photo',
		label: 'a photographic request',
		ranking: [
			'flux-2-dev',
			'pro',
			'gpt-image-1.5',
			'flash',
			'flux-2-klein-9b',
			'dreamshaper',
			'sd-webui',
			'sdxl-base',
			'phoenix',
			'lucid-origin',
			'gpt-image-1',
			'gpt-image-1-mini',
			'flux-schnell',
			'flux-2-klein-4b',
			'sdxl-lightning',
		],
		detect: (input) => says(PHOTO_WORDS, input.prompt),
	},
	{
		intent: 'illustration',
		label: 'an illustration/anime request',
		// An operator's own WebUI usually runs a checkpoint chosen for a style (anime, painting).
		ranking: [
			'sd-webui',
			'phoenix',
			'flux-2-dev',
			'gpt-image-1.5',
			'flash',
			'lucid-origin',
			'sdxl-base',
			'flux-2-klein-9b',
			'dreamshaper',
			'flux-schnell',
			'gpt-image-1-mini',
			'sdxl-lightning',
		],
		detect: (input) => says(ILLUSTRATION_WORDS, input.prompt),
	},
	{
		intent: 'cutout',
		label: 'a transparent cut-out request',
		// Only GPT Image makes a transparent background; without the option, any model may draw
		// the subject on a plain background.
		ranking: ['gpt-image-1.5', 'gpt-image-1-mini', 'gpt-image-1'],
		detect: (input) =>
			input.background === 'transparent' ? 'background "transparent"' : says(CUTOUT_WORDS, input.prompt),
	},
	{
		intent: 'general',
		label: 'a general request',
		ranking: GENERAL_RANKING,
		detect: () => 'no cue for a particular kind of image',
	},
];

/** The rule of one intent. */
export function intentRule(intent: AutoIntent): IntentRule {
	return INTENTS.find((rule) => rule.intent === intent) as IntentRule;
}

/** The intent of a request and the cue that decided it: the first rule that matches. */
export function classifyIntent(input: GenerationRequest): IntentReading {
	for (const rule of INTENTS) {
		const cue = rule.detect(input);
		if (cue) return { intent: rule.intent, cue };
	}
	return { intent: 'general', cue: 'no cue for a particular kind of image' };
}
