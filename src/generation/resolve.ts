/**
 * Capability resolution: checks a request against one model's capabilities from the catalog
 * and builds the job parameters, or says what was wrong, what is allowed, and which configured
 * models would take it. Pure: no I/O (ownership of referenced images is the caller's check).
 */
import { parseReference, REFERENCE_FORMS } from '../jobs/references';
import type { JobParams, ReferenceSpec } from '../jobs/types';
import type { ModelEntry } from '../providers/catalog';
import type { Choice, NumberRange } from '../providers/types';
import { err, ok } from '../result';
import type { UrlBases } from '../storage/images';
import type { GenerationRequest, Resolution, ResolvedGeneration } from './request';
import { modelsWhere, resolveSize } from './sizing';

function checkRange(field: string, value: number, range: NumberRange, alias: string): string | undefined {
	if (value < range.min || value > range.max) {
		return `${field}: ${value} is outside ${alias}'s range. Allowed: ${range.min}–${range.max} (default ${range.default}).`;
	}
	return undefined;
}

/** A choice option: refused when the model lacks it or the value is not one of its values; else defaulted. */
function resolveChoice(
	field: string,
	value: string | undefined,
	choice: Choice | undefined,
	entry: ModelEntry,
	available: readonly ModelEntry[],
	pick: (entry: ModelEntry) => Choice | undefined,
): Resolution<string | undefined> {
	if (!choice) {
		if (value === undefined) return ok(undefined);
		return err(
			`${field}: ${entry.alias} has no ${field} option. Omit it, or use: ${modelsWhere(available, (e) => pick(e)?.values.includes(value) ?? false)}.`,
		);
	}
	const chosen = value ?? choice.default;
	if (!choice.values.includes(chosen)) {
		return err(`${field}: ${entry.alias} does not take "${chosen}". Allowed: ${choice.values.join(', ')}.`);
	}
	return ok(chosen);
}

/**
 * Checks `input` against one model's capabilities and builds the job parameters. Pure: the
 * ownership of referenced images is checked by the caller (it needs the database).
 */
export function resolveForModel(
	entry: ModelEntry,
	input: GenerationRequest,
	available: readonly ModelEntry[],
	urls: UrlBases,
): Resolution {
	const caps = entry.capabilities;
	const { alias } = entry;
	const sizing = resolveSize(entry, input, available);
	if (!sizing.ok) return sizing;
	const params: JobParams = { ...sizing.value };

	if (caps.steps) {
		const steps = input.steps ?? caps.steps.default;
		const problem = checkRange('steps', steps, caps.steps, alias);
		if (problem) return err(problem);
		params.steps = steps;
	} else if (input.steps !== undefined) {
		return err(
			`steps: ${alias} takes no steps. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.steps !== undefined)}.`,
		);
	}
	if (input.guidance !== undefined) {
		if (!caps.guidance) {
			return err(
				`guidance: ${alias} takes no guidance. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.guidance !== undefined)}.`,
			);
		}
		const problem = checkRange('guidance', input.guidance, caps.guidance, alias);
		if (problem) return err(problem);
		params.guidance = input.guidance;
	}
	if (input.seed !== undefined && caps.seed === 'none') {
		return err(
			`seed: ${alias} takes no seed, so its images cannot be reproduced. Omit seed, or use: ${modelsWhere(available, (e) => e.capabilities.seed !== 'none')}.`,
		);
	}
	if (input.negative_prompt) {
		if (!caps.negativePrompt) {
			return err(
				`negative_prompt: ${alias} does not take a negative prompt. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.negativePrompt)}.`,
			);
		}
		params.negative_prompt = input.negative_prompt;
	}
	const choices = [
		['quality', input.quality, (e: ModelEntry) => e.capabilities.quality],
		['style', input.style, (e: ModelEntry) => e.capabilities.style],
		['background', input.background, (e: ModelEntry) => e.capabilities.background],
		['output_format', input.output_format, (e: ModelEntry) => e.capabilities.outputFormat],
	] as const;
	for (const [field, value, pick] of choices) {
		const resolved = resolveChoice(field, value, pick(entry), entry, available, pick);
		if (!resolved.ok) return resolved;
		if (resolved.value !== undefined) params[field] = resolved.value;
	}
	if (input.sampler !== undefined) {
		if (!caps.sampler) {
			return err(
				`sampler: ${alias} has no sampler option. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.sampler)}.`,
			);
		}
		params.sampler = input.sampler;
	}

	const references = input.reference_images ?? [];
	if (references.length > caps.maxReferenceImages) {
		const needed = references.length;
		return err(
			caps.maxReferenceImages === 0
				? `reference_images: ${alias} does not take reference images. Use a model that does: ${modelsWhere(available, (e) => e.capabilities.maxReferenceImages >= needed)}.`
				: `reference_images: ${alias} takes at most ${caps.maxReferenceImages}, not ${needed}. Models that take ${needed}: ${modelsWhere(available, (e) => e.capabilities.maxReferenceImages >= needed)}.`,
		);
	}
	if (caps.requiresReferenceImage && references.length === 0) {
		return err(`reference_images: ${alias} edits an existing image, so it needs one. Give ${REFERENCE_FORMS}.`);
	}
	if (input.mask_image !== undefined) {
		if (!caps.mask) {
			return err(
				`mask_image: ${alias} does not take a mask. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.mask !== false)}.`,
			);
		}
		if (references.length === 0) return err('mask_image: a mask needs reference_images (the image to repaint).');
	} else if (caps.mask === 'required') {
		return err(`mask_image: ${alias} repaints the white part of a mask, so it needs one.`);
	}
	if (input.strength !== undefined) {
		if (!caps.strength) {
			return err(
				`strength: ${alias} has no strength option. Omit it, or use: ${modelsWhere(available, (e) => e.capabilities.strength)}.`,
			);
		}
		if (references.length === 0) return err('strength: applies only with reference_images (img2img).');
		params.strength = input.strength;
	}

	const ownImages: ResolvedGeneration['ownImages'] = [];
	const parsedReferences: ReferenceSpec[] = [];
	for (const [index, raw] of references.entries()) {
		const field = `reference_images[${index}]`;
		const parsed = parseReference(field, raw, urls);
		if (!parsed.ok) return parsed;
		parsedReferences.push(parsed.value);
		if (parsed.value.kind === 'image') ownImages.push({ field, spec: parsed.value });
	}
	if (parsedReferences.length) params.reference_images = parsedReferences;
	if (input.mask_image !== undefined) {
		const parsed = parseReference('mask_image', input.mask_image, urls);
		if (!parsed.ok) return parsed;
		params.mask = parsed.value;
		if (parsed.value.kind === 'image') ownImages.push({ field: 'mask_image', spec: parsed.value });
	}
	return ok({ entry, params, ownImages });
}
