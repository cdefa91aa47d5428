/**
 * What a generation asks for, as every face hands it over after parsing its wire format (the
 * MCP tool's and REST's zod schema in src/tools/generate.schema.ts), and the limits on it.
 */
import type { JobParams, ModelOptions, ReferenceSpec } from '../jobs/types';
import type { ModelEntry } from '../providers/catalog';
import type { ImageSizeTier } from '../providers/types';
import type { Result } from '../result';

export const ASPECT_RATIOS = [
	'1:1',
	'4:3',
	'3:4',
	'3:2',
	'2:3',
	'5:4',
	'4:5',
	'16:9',
	'9:16',
	'21:9',
	'9:21',
	'4:1',
	'1:4',
	'8:1',
	'1:8',
] as const;
export const IMAGE_SIZE_TIERS = ['1K', '2K', '4K'] as const;
export const MAX_PROMPT_CHARS = 4000;
export const MAX_COUNT = 20;
/** The most any model takes (gpt-image edits: 16). Per-model limits are checked after parsing. */
export const MAX_REFERENCE_IMAGES = 16;

export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** A request to generate, in the generate_image argument names. */
export interface GenerationRequest extends ModelOptions {
	prompt: string;
	model?: string;
	count?: number;
	width?: number;
	height?: number;
	aspect_ratio?: AspectRatio;
	image_size?: ImageSizeTier;
	seed?: number;
	reference_images?: string[];
	mask_image?: string;
}

export interface ResolvedGeneration {
	entry: ModelEntry;
	params: JobParams;
	/** References that name earlier images, to check for ownership before creating the job. */
	ownImages: { field: string; spec: ReferenceSpec }[];
}

/** The resolved request, or a message naming what was wrong and what is allowed. */
export type Resolution<T = ResolvedGeneration> = Result<T, string>;
