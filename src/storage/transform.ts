/**
 * Transforms of stored images (resize, crop, format), behind one small interface so the
 * Cloudflare Images binding can be swapped for another encoder without touching callers.
 * A transform spec is validated here once, for every face that asks for one: the HTTP
 * route's query (`?w=&h=&fit=&q=`) and the MCP view URIs (`…/view?width=&height=…`).
 */
import { err, ok, type Result } from '../result';
import { keepIfImageExists, readImage, storeDerived } from './bucket';
import { transformKey } from './images';

/** Output formats by the extension or name a caller writes. */
export const OUTPUT_FORMATS = {
	png: 'image/png',
	jpeg: 'image/jpeg',
	jpg: 'image/jpeg',
	webp: 'image/webp',
	avif: 'image/avif',
} as const;
export type OutputFormatName = keyof typeof OUTPUT_FORMATS;
export type OutputContentType = (typeof OUTPUT_FORMATS)[OutputFormatName];

/**
 * How the image fills the box: `cover` fills it and crops the overflow (centred), `contain`
 * fits inside it, `scale-down` is contain that never enlarges, `crop` is cover, centred.
 */
export const FITS = ['cover', 'contain', 'scale-down', 'crop'] as const;
export type Fit = (typeof FITS)[number];

/** Bounds of a transform, inclusive; the messages quote them. */
export const TRANSFORM_LIMITS = { minSize: 1, maxSize: 4096, minQuality: 1, maxQuality: 100 } as const;

export interface TransformSpec {
	width?: number;
	height?: number;
	fit?: Fit;
	format: OutputContentType;
	quality?: number;
}

export interface TransformedImage {
	bytes: Uint8Array;
	contentType: OutputContentType;
}

/** Resizes, crops and re-encodes one image. */
export interface ImageTransformer {
	transform(bytes: Uint8Array, spec: TransformSpec): Promise<TransformedImage>;
}

/**
 * The Cloudflare Images binding as a transformer. In `wrangler dev` and the tests it runs
 * locally on sharp; deployed, each call is a billed transformation. `crop` is asked of it as
 * `cover` (the same result: fill the box, centred).
 */
export function imagesBindingTransformer(binding: ImagesBinding): ImageTransformer {
	return {
		async transform(bytes, spec) {
			const options: ImageTransform = {};
			if (spec.width !== undefined) options.width = spec.width;
			if (spec.height !== undefined) options.height = spec.height;
			if (spec.fit !== undefined) options.fit = spec.fit === 'crop' ? 'cover' : spec.fit;
			const result = await binding
				.input(new Blob([bytes]).stream())
				.transform(options)
				.output({ format: spec.format, ...(spec.quality === undefined ? {} : { quality: spec.quality }) });
			return { bytes: new Uint8Array(await new Response(result.image()).arrayBuffer()), contentType: spec.format };
		},
	};
}

/** The names each parameter may go by: the HTTP query's short ones, the view URI's long ones. */
export interface TransformParameterNames {
	width: string;
	height: string;
	fit: string;
	quality: string;
}

export const HTTP_PARAMETERS: TransformParameterNames = { width: 'w', height: 'h', fit: 'fit', quality: 'q' };
export const URI_PARAMETERS: TransformParameterNames = {
	width: 'width',
	height: 'height',
	fit: 'fit',
	quality: 'quality',
};

function whole(name: string, raw: string, min: number, max: number): Result<number> {
	const value = Number(raw);
	if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
		return err(`${name}: "${raw.slice(0, 20)}" is not allowed; give a whole number from ${min} to ${max}.`);
	}
	return ok(value);
}

/**
 * A transform spec from query parameters, or a message naming the bad parameter and what is
 * allowed. `extra` names further parameters the caller takes itself (e.g. `format`); anything
 * else is refused, so a typo is never silently ignored.
 */
export function parseTransformParameters(
	params: URLSearchParams,
	format: OutputContentType,
	names: TransformParameterNames,
	extra: readonly string[] = [],
): Result<TransformSpec> {
	const allowed = [names.width, names.height, names.fit, names.quality, ...extra];
	const seen = new Set<string>();
	for (const key of params.keys()) {
		if (!allowed.includes(key)) {
			return err(`"${key.slice(0, 40)}" is not a transform parameter. Allowed: ${allowed.join(', ')}.`);
		}
		if (seen.has(key)) return err(`${key}: given more than once; give it once.`);
		seen.add(key);
	}
	const spec: TransformSpec = { format };
	const { minSize, maxSize, minQuality, maxQuality } = TRANSFORM_LIMITS;
	for (const [field, name] of [
		['width', names.width],
		['height', names.height],
	] as const) {
		const raw = params.get(name);
		if (raw === null) continue;
		const value = whole(name, raw, minSize, maxSize);
		if (!value.ok) return value;
		spec[field] = value.value;
	}
	const fit = params.get(names.fit);
	if (fit !== null) {
		if (!(FITS as readonly string[]).includes(fit)) {
			return err(`${names.fit}: "${fit.slice(0, 20)}" is not allowed; give one of ${FITS.join(', ')}.`);
		}
		spec.fit = fit as Fit;
	}
	const quality = params.get(names.quality);
	if (quality !== null) {
		const value = whole(names.quality, quality, minQuality, maxQuality);
		if (!value.ok) return value;
		spec.quality = value.value;
	}
	return ok(normaliseSpec(spec));
}

/**
 * One spec per distinct output, so equal outputs share one stored transform: without a size
 * `fit` means nothing and is dropped; with one, `fit` defaults to `scale-down` (never enlarge;
 * what the local Images binding does when given none); `crop` is asked of the binding as
 * `cover`, so it is named `cover`; PNG is lossless, so `quality` is dropped for it.
 */
function normaliseSpec(spec: TransformSpec): TransformSpec {
	const sized = spec.width !== undefined || spec.height !== undefined;
	const { fit, quality, ...rest } = spec;
	const normal: TransformSpec = { ...rest };
	if (sized) normal.fit = fit === undefined ? 'scale-down' : fit === 'crop' ? 'cover' : fit;
	if (quality !== undefined && spec.format !== 'image/png') normal.quality = quality;
	return normal;
}

/** A stable name for a spec, for derivative keys and cache keys: `w256-h128-cover-q80.webp`. */
export function transformName(spec: TransformSpec): string {
	const parts = [
		spec.width === undefined ? 'w-' : `w${spec.width}`,
		spec.height === undefined ? 'h-' : `h${spec.height}`,
		spec.fit ?? 'fit-',
		spec.quality === undefined ? 'q-' : `q${spec.quality}`,
	];
	const extension = spec.format.slice('image/'.length);
	return `${parts.join('-')}.${extension}`;
}

/** A transform kept in R2 beside its image: its bytes and the ETag it is served with. */
export interface StoredTransform {
	image: TransformedImage;
	etag: string;
}

/**
 * Makes the transform `spec` of the image under `key` and keeps it under `transformKey(key,
 * transformName(spec))`, where later requests find it. `claim` first records that the image
 * has transforms (src/jobs/image-removal.ts `claimTransforms`), so that removing it looks for
 * them; when it refuses (the image is not finished, or is being removed), nothing is made.
 * Null then, and when the image is not stored or was deleted while this ran. A failing
 * transform throws; nothing is kept then.
 */
export async function makeStoredTransform(
	bucket: R2Bucket,
	transformer: ImageTransformer,
	key: string,
	spec: TransformSpec,
	claim: () => Promise<boolean>,
): Promise<StoredTransform | null> {
	const original = await readImage(bucket, key);
	if (!original || !(await claim())) return null;
	const image = await transformer.transform(original, spec);
	const derivedKey = transformKey(key, transformName(spec));
	const etag = await storeDerived(bucket, derivedKey, image);
	if (!(await keepIfImageExists(bucket, key, derivedKey))) return null;
	return { image, etag };
}

/** The format a view gives when its query names none. */
export const DEFAULT_VIEW_FORMAT: OutputFormatName = 'webp';

/**
 * A view's transform from its query: `format` (one of OUTPUT_FORMATS' names, default webp),
 * then width, height, fit and quality as src/storage/transform.ts checks them. The error
 * names the parameter and what is allowed.
 */
export function parseViewQuery(query: URLSearchParams): Result<TransformSpec> {
	const name = query.get('format') ?? DEFAULT_VIEW_FORMAT;
	if (!Object.hasOwn(OUTPUT_FORMATS, name)) {
		return err(`format: "${name.slice(0, 20)}" is not allowed; give one of ${Object.keys(OUTPUT_FORMATS).join(', ')}.`);
	}
	return parseTransformParameters(query, OUTPUT_FORMATS[name as OutputFormatName], URI_PARAMETERS, ['format']);
}
