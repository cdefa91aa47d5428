/**
 * The Generate form's wire format (issue 18): its posted fields as generate_image's arguments,
 * and an operation's refusal placed on the form field it is about. The rules themselves
 * (ranges, models, sizes, budgets) stay in the operation; this only translates, so the form
 * refuses exactly what MCP and REST refuse, with the same messages.
 */
import type { z } from 'zod';
import type { ToolFailure } from '../../tools/context';
import { generateInputSchema } from '../../tools/generate.schema';
import { withoutToolName } from '../../tools/validation';

/** The form's own fields, in page order (`reference` may be given several times). */
export const GENERATE_FIELDS = [
	'prompt',
	'model',
	'size',
	'image_size',
	'count',
	'seed',
	'negative_prompt',
	'style',
	'reference',
	'reference_url',
] as const;
export type GenerateField = (typeof GENERATE_FIELDS)[number];

const shape = generateInputSchema.shape;

/** The operation's own limits, read from its schema so the form's attributes and hints never differ. */
export const FORM_LIMITS = {
	maxPromptChars: shape.prompt.maxLength ?? 4000,
	maxCount: (shape.count.unwrap() as z.ZodNumber).maxValue ?? 1,
	maxSeed: (shape.seed.unwrap() as z.ZodNumber).maxValue ?? 0,
	maxNegativePromptChars: (shape.negative_prompt.unwrap() as z.ZodString).maxLength ?? 2000,
	aspectRatios: shape.aspect_ratio.unwrap().options as readonly string[],
	imageSizes: shape.image_size.unwrap().options as readonly string[],
} as const;

/** What the form holds: the text of each field, and the gallery images ticked. */
export interface GenerateFormValues {
	prompt: string;
	model: string;
	size: string;
	image_size: string;
	count: string;
	seed: string;
	negative_prompt: string;
	style: string;
	/** My gallery images ticked as references, by their URLs (which generate_image takes as references). */
	reference: string[];
	reference_url: string;
	/** Random per rendering of the form: a double submit starts the jobs once (generate_image's idempotency_key). */
	idempotency_key: string;
}

export function emptyForm(): GenerateFormValues {
	return {
		prompt: '',
		model: '',
		size: '',
		image_size: '',
		count: '1',
		seed: '',
		negative_prompt: '',
		style: '',
		reference: [],
		reference_url: '',
		idempotency_key: crypto.randomUUID(),
	};
}

type ParsedBody = Record<string, string | File | (string | File)[]>;

function allStrings(value: ParsedBody[string] | undefined): string[] {
	if (value === undefined) return [];
	return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** The posted form (c.req.parseBody({ all: true })); a field given twice keeps its last value, but `reference` keeps all. */
export function readPostedForm(body: ParsedBody): GenerateFormValues {
	const text = (name: string) => allStrings(body[name]).at(-1) ?? '';
	return {
		prompt: text('prompt'),
		model: text('model'),
		size: text('size'),
		image_size: text('image_size'),
		count: text('count'),
		seed: text('seed'),
		negative_prompt: text('negative_prompt'),
		style: text('style'),
		reference: [...new Set(allStrings(body.reference).filter((value) => value.trim() !== ''))],
		reference_url: text('reference_url'),
		idempotency_key: text('idempotency_key') || crypto.randomUUID(),
	};
}

/** The quote's token, when the post is the "Confirm and generate" button's. */
export function confirmationToken(body: ParsedBody): string | undefined {
	const token = (allStrings(body.confirmation).at(-1) ?? '').trim();
	return token === '' ? undefined : token;
}

/** A whole number as a number; anything else as the text, for the operation to refuse by name. */
function integerOrText(text: string): number | string {
	return /^-?\d{1,16}$/.test(text) ? Number(text) : text;
}

/**
 * The form as generate_image's arguments: empty fields are left out, so the caller's
 * preferences and the deployment's defaults apply inside the operation. Only what the wire
 * format itself cannot say is refused here: a size that is neither a ratio nor WIDTHxHEIGHT.
 */
export function generateArguments(form: GenerateFormValues): {
	args: Record<string, unknown>;
	errors: Partial<Record<GenerateField, string>>;
} {
	const args: Record<string, unknown> = { prompt: form.prompt };
	const errors: Partial<Record<GenerateField, string>> = {};
	const set = (name: string, value: string) => {
		const trimmed = value.trim();
		if (trimmed !== '') args[name] = trimmed;
	};
	set('model', form.model);
	set('image_size', form.image_size);
	set('style', form.style);
	if (form.negative_prompt.trim() !== '') args.negative_prompt = form.negative_prompt;
	for (const name of ['count', 'seed'] as const) {
		const trimmed = form[name].trim();
		if (trimmed !== '') args[name] = integerOrText(trimmed);
	}
	const size = form.size.trim();
	if (size !== '') {
		const ratio = /^(\d{1,3})\s*:\s*(\d{1,3})$/.exec(size);
		const pixels = /^(\d{1,5})\s*[x×X]\s*(\d{1,5})$/.exec(size);
		if (ratio) args.aspect_ratio = `${ratio[1]}:${ratio[2]}`;
		else if (pixels) {
			args.width = Number(pixels[1]);
			args.height = Number(pixels[2]);
		} else {
			errors.size = `size: "${size.slice(0, 40)}" is neither an aspect ratio (${FORM_LIMITS.aspectRatios.join(', ')}) nor WIDTHxHEIGHT like 1024x768.`;
		}
	}
	const references = [...form.reference];
	const url = form.reference_url.trim();
	if (url !== '' && !references.includes(url)) references.push(url);
	if (references.length) args.reference_images = references;
	args.idempotency_key = form.idempotency_key;
	return { args, errors };
}

/** Which form field an argument of generate_image is shown on. */
const FIELD_OF_ARGUMENT: Record<string, GenerateField> = {
	prompt: 'prompt',
	model: 'model',
	count: 'count',
	seed: 'seed',
	negative_prompt: 'negative_prompt',
	style: 'style',
	image_size: 'image_size',
	width: 'size',
	height: 'size',
	aspect_ratio: 'size',
	reference_images: 'reference',
	mask_image: 'reference',
};

/** The arguments a message is about, from its head: "width/height and aspect_ratio: …", "reference_images[0]: …". */
function argumentsNamedBy(message: string): string[] {
	const head = /^([a-z_]+(?:\[\d+\])?(?:(?:\/| and )[a-z_]+(?:\[\d+\])?)*): /.exec(message);
	return head ? head[1]!.split(/\/| and /) : [];
}

/** Where `name: ` starts a part of `message` (at its start or after a space), or -1. */
function partStart(message: string, name: string): number {
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const found = new RegExp(`(^|\\s)${escaped}: `).exec(message);
	return found ? found.index + found[1]!.length : -1;
}

/**
 * The part of a validation message about one argument: "Invalid arguments for …: count: Too
 * big… seed: Too small…" says each bad argument in turn; a message about one thing is whole.
 */
function partAbout(message: string, name: string, names: readonly string[]): string {
	const start = partStart(message, name);
	if (start < 0) return message;
	const next = names.map((other) => partStart(message, other)).filter((index) => index > start);
	return message.slice(start, next.length ? Math.min(...next) : undefined).trim();
}

/**
 * A refusal of generate_image placed on the form: each field it names gets its part of the
 * message (the operation's words, which name the argument and say what is allowed); a refusal
 * about no field of the form is `general`.
 */
export function placeFailure(failure: ToolFailure): {
	errors: Partial<Record<GenerateField, string>>;
	general?: string;
} {
	const message = withoutToolName(failure.message);
	const named = failure.fields?.length ? failure.fields : argumentsNamedBy(message);
	const errors: Partial<Record<GenerateField, string>> = {};
	for (const name of named) {
		const field = FIELD_OF_ARGUMENT[name.split(/[.[]/)[0]!];
		if (!field) continue;
		const part = partAbout(message, name, named);
		const already = errors[field];
		errors[field] = already && !already.includes(part) ? `${already} ${part}` : (already ?? part);
	}
	return Object.keys(errors).length ? { errors } : { errors, general: message };
}

/** The path of the page that shows the jobs one call started: the first job, with the others of its batch. */
export function jobsPagePath(jobIds: readonly string[]): string {
	const [first, ...rest] = jobIds;
	const path = `/ui/jobs/${encodeURIComponent(first ?? '')}`;
	return rest.length ? `${path}?also=${rest.map(encodeURIComponent).join(',')}` : path;
}
