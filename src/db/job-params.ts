/**
 * The shape of the JSON column `jobs.params` (src/db/schema.ts): what a job was asked to make.
 * Declared here, beside the schema, so the schema needs nothing from the layers above it.
 */

/** An input image as stored with the job: an earlier image of the same owner, or an https URL. */
export type ReferenceSpec = { kind: 'image'; r2_key: string } | { kind: 'url'; url: string };

/** The model options a request may set and a job keeps as given (each only where the model takes it). */
export interface ModelOptions {
	steps?: number;
	negative_prompt?: string;
	guidance?: number;
	quality?: string;
	style?: string;
	background?: string;
	output_format?: string;
	sampler?: string;
	strength?: number;
}

/**
 * Validated generation parameters, the JSON column `jobs.params`. Only what the model
 * takes is set (validation refuses the rest), so the consumer passes them on as they are.
 */
export interface JobParams extends ModelOptions {
	/** Exact pixel size for sized models; nominal for list- or ratio-sized ones. */
	width: number;
	height: number;
	aspect_ratio?: string;
	/** A tier of models sized by aspect ratio (providers/types.ts ImageSizeTier). */
	image_size?: '1K' | '2K' | '4K';
	reference_images?: ReferenceSpec[];
	mask?: ReferenceSpec;
	/** Set when the caller asked for `model: "auto"`: why this model was picked. */
	auto_reason?: string;
	/** The library style the call named (issue 21); the job's prompt is the one sent, with the style's brief. */
	style_name?: string;
	/** With a style: the prompt as the caller wrote it, before the brief was combined with it. */
	prompt_given?: string;
	/** A variation's parent: the earlier job of the same owner it was made from (generate_variations). */
	parent_job_id?: string;
}
