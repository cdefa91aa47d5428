/**
 * Gallery pages (issue 18): my images as thumbnails, newest first, keyset-paged and filtered by
 * words in the prompt, model and days (browse_gallery); one image with how it was made
 * (get_image), its download, copy lines, "iterate on this", variations (generate_variations)
 * and delete with a confirmation (delete_image). An admin opens any user's gallery and images
 * read-only (the operations' `owner`); everyone else is refused by the operations themselves.
 */
import type { Context, Hono } from 'hono';
import { parseImageResourceUri } from '../../storage/images';
import type { ToolFailure } from '../../tools/context';
import { browseGalleryTool, GALLERY_QUERY_MAX, getImageTool } from '../../tools/gallery.tools';
import type { ImageMetadata } from '../../tools/image-metadata';
import { formatUsd } from '../../tools/limits';
import { deleteImageTool } from '../../tools/manage.tools';
import { listModelsTool } from '../../tools/models.tools';
import { withoutToolName } from '../../tools/validation';
import { generateVariationsTool, MAX_VARIATIONS } from '../../tools/variations.tools';
import { problemStatus } from '../api/problem';
import { serveImage } from '../images-route';
import { jobsPagePath } from './generate-form';
import { shortTime, THUMB_EDGE, thumbnailUrl } from './job-parts';
import { CsrfField, FieldError, Layout, type Viewer } from './layout';
import { messagePage } from './message';
import { formFields, htmlPage, runWebOperation, seeOther, viewerOf, type WebEnv } from './page';

/** Thumbnails per gallery page: a grid of 6×4 on a wide screen. */
export const WEB_GALLERY_PAGE = 24;

/** The gallery's filters as the query string carries them (`q`, `model`, `from`, `to`), and where the page starts. */
interface Filters {
	q: string;
	model: string;
	from: string;
	to: string;
	cursor: string;
}

interface GalleryImage {
	job_id: string;
	index: number;
	prompt: string;
	model: string;
	width: number;
	height: number;
	created_at: string;
	image_url: string;
}

interface GalleryPage {
	total_count: number;
	next_cursor?: string;
	images: GalleryImage[];
}

const FILTER_FIELDS = ['q', 'model', 'from', 'to'] as const;
/** The browse_gallery argument each filter field fills. */
const ARGUMENT_OF: Record<(typeof FILTER_FIELDS)[number], string> = {
	q: 'query',
	model: 'model',
	from: 'from',
	to: 'to',
};

function filtersOf(c: Context<WebEnv>): Filters {
	const read = (name: string, max: number) => (c.req.query(name) ?? '').trim().slice(0, max);
	return {
		q: read('q', GALLERY_QUERY_MAX + 1),
		model: read('model', 200),
		from: read('from', 40),
		to: read('to', 40),
		cursor: read('cursor', 400),
	};
}

/** A gallery path with these filters (empty ones left out), and a cursor when given. */
function galleryPath(base: string, filters: Filters, cursor?: string): string {
	const query = new URLSearchParams();
	for (const name of FILTER_FIELDS) if (filters[name]) query.set(name, filters[name]);
	if (cursor) query.set('cursor', cursor);
	const text = query.toString();
	return text ? `${base}?${text}` : base;
}

/** The page of one image; `owner` when an admin reads another user's. */
function imagePagePath(jobId: string, index: number, owner?: string): string {
	const path = `/ui/images/${encodeURIComponent(jobId)}/${index}`;
	return owner ? `${path}?owner=${encodeURIComponent(owner)}` : path;
}

/** A thumbnail's size: its longest edge THUMB_EDGE, so the grid keeps its shape before images load. */
function thumbSize(image: { width: number; height: number }): { width: number; height: number } {
	const scale = THUMB_EDGE / Math.max(image.width, image.height, 1);
	return { width: Math.round(image.width * scale), height: Math.round(image.height * scale) };
}

const GalleryView = ({
	viewer,
	base,
	owner,
	filters,
	models,
	page,
	error,
	notice,
}: {
	viewer: Viewer;
	/** This gallery's own path: /ui/gallery, or /ui/users/<id>/gallery for an admin. */
	base: string;
	/** Set when an admin reads another user's gallery. */
	owner?: string;
	filters: Filters;
	models: string[];
	page?: GalleryPage;
	error?: { field?: string; message: string };
	notice?: string;
}) => {
	const describedBy = (field: string) => (error?.field === field ? 'filter-error' : undefined);
	const filtered = FILTER_FIELDS.some((name) => filters[name]);
	return (
		<Layout title={owner ? `Gallery of ${owner}` : 'Gallery'} active={owner ? undefined : 'gallery'} viewer={viewer}>
			<h1>{owner ? `Gallery of ${owner}` : 'Gallery'}</h1>
			{owner ? (
				<p class="notice" role="status">
					You are viewing another user's images as an admin: read-only.
				</p>
			) : null}
			{notice ? (
				<p class="notice" role="status">
					{notice}
				</p>
			) : null}
			<form method="get" action={base} class="row filters" aria-label="Filter images">
				<div>
					<label for="q">Search prompts</label>
					<input id="q" name="q" type="search" value={filters.q} aria-describedby={describedBy('q')} />
				</div>
				<div>
					<label for="model">Model</label>
					<select id="model" name="model" aria-describedby={describedBy('model')}>
						<option value="">All models</option>
						{models.map((name) => (
							<option value={name} selected={name === filters.model}>
								{name}
							</option>
						))}
						{filters.model && !models.includes(filters.model) ? (
							<option value={filters.model} selected>
								{filters.model}
							</option>
						) : null}
					</select>
				</div>
				<div>
					<label for="from">From</label>
					<input id="from" name="from" type="date" value={filters.from} aria-describedby={describedBy('from')} />
				</div>
				<div>
					<label for="to">To</label>
					<input id="to" name="to" type="date" value={filters.to} aria-describedby={describedBy('to')} />
				</div>
				<div>
					<button type="submit">Show</button> {filtered ? <a href={base}>Clear</a> : null}
				</div>
			</form>
			{error ? <FieldError id="filter-error" message={error.message} /> : null}
			{page ? <GalleryGrid page={page} owner={owner} filtered={filtered} /> : null}
			{page && (page.next_cursor || filters.cursor) ? (
				<nav class="pager" aria-label="Pages">
					{filters.cursor ? <a href={galleryPath(base, filters)}>Newest</a> : null}
					{page.next_cursor ? (
						<a href={galleryPath(base, filters, page.next_cursor)} rel="next">
							Older images
						</a>
					) : null}
				</nav>
			) : null}
		</Layout>
	);
};

const GalleryGrid = ({ page, owner, filtered }: { page: GalleryPage; owner?: string; filtered: boolean }) => {
	if (page.images.length === 0) {
		return filtered ? (
			<p>No images match these filters.</p>
		) : owner ? (
			<p>This user has no stored images.</p>
		) : (
			<p>
				No images yet. <a href="/ui/generate">Generate one</a>.
			</p>
		);
	}
	return (
		<>
			<p class="muted" id="image-count">
				{page.total_count} image{page.total_count === 1 ? '' : 's'}
			</p>
			<ul class="gallery" aria-labelledby="image-count">
				{page.images.map((image) => (
					<li>
						<a href={imagePagePath(image.job_id, image.index, owner)}>
							<img src={thumbnailUrl(image.image_url)} alt={image.prompt} loading="lazy" {...thumbSize(image)} />
						</a>
						<p class="caption">{image.prompt}</p>
						<p class="muted">
							{image.model} · <time datetime={image.created_at}>{shortTime(image.created_at)}</time>
						</p>
					</li>
				))}
			</ul>
		</>
	);
};

/** Where a failed filter's message belongs: the form field of the argument it names. */
function filterError(failure: ToolFailure): { field?: string; message: string } {
	const message = withoutToolName(failure.message);
	const field = FILTER_FIELDS.find((name) => new RegExp(`^${ARGUMENT_OF[name]}: `).test(message));
	return field ? { field, message } : { message };
}

async function galleryPage(c: Context<WebEnv>, owner?: string): Promise<Response> {
	const filters = filtersOf(c);
	const base = owner ? `/ui/users/${encodeURIComponent(owner)}/gallery` : '/ui/gallery';
	const [listed, models] = await Promise.all([
		runWebOperation(c, browseGalleryTool, {
			limit: WEB_GALLERY_PAGE,
			...(filters.q ? { query: filters.q } : {}),
			...(filters.model ? { model: filters.model } : {}),
			...(filters.from ? { from: filters.from } : {}),
			...(filters.to ? { to: filters.to } : {}),
			...(filters.cursor ? { cursor: filters.cursor } : {}),
			...(owner ? { owner } : {}),
		}),
		runWebOperation(c, listModelsTool, {}),
	]);
	const modelNames = models.ok ? (models.value.structured.models as { name: string }[]).map((model) => model.name) : [];
	const viewer = viewerOf(c);
	const props = { viewer, base, filters, models: modelNames, ...(owner ? { owner } : {}) };
	if (!listed.ok) {
		const kind = listed.error.kind ?? 'invalid';
		if (kind === 'forbidden') {
			return messagePage(c, 403, 'Not yours', "Only admins can open another user's gallery.");
		}
		if (kind !== 'invalid') throw new Error(`browse_gallery failed: ${listed.error.message}`);
		return htmlPage(c, <GalleryView {...props} error={filterError(listed.error)} />, 400);
	}
	const deleted = c.req.query('deleted');
	return htmlPage(
		c,
		<GalleryView
			{...props}
			page={listed.value.structured as unknown as GalleryPage}
			{...(deleted ? { notice: 'Image deleted. Its URL no longer works.' } : {})}
		/>,
	);
}

type ImageDetails = ImageMetadata & { owner: string };

/** A reference image as the page shows it: our own image links to its page, a URL to itself. */
const Reference = ({ value, owner }: { value: string; owner?: string }) => {
	const ref = parseImageResourceUri(value);
	if (ref?.kind === 'image') {
		return <a href={imagePagePath(ref.jobId, ref.index, owner)}>{value}</a>;
	}
	return (
		<a href={value} rel="noreferrer noopener">
			{value}
		</a>
	);
};

const Fact = ({ label, children }: { label: string; children: unknown }) => (
	<>
		<dt>{label}</dt>
		<dd>{children}</dd>
	</>
);

/** The generate form's address prefilled to iterate on an image: it as the reference, its prompt and model. */
function iteratePath(image: ImageDetails): string {
	const query = new URLSearchParams({
		reference: image.image_url,
		prompt: image.prompt_given ?? image.prompt,
		model: image.model,
	});
	return `/ui/generate?${query}`;
}

const ImageView = ({ viewer, image, foreign }: { viewer: Viewer; image: ImageDetails; foreign: boolean }) => {
	const owner = foreign ? image.owner : undefined;
	const path = imagePagePath(image.job_id, image.index);
	const options = image.options ? Object.entries(image.options) : [];
	return (
		<Layout title="Image" active={foreign ? undefined : 'gallery'} viewer={viewer}>
			<p>
				<a href={owner ? `/ui/users/${encodeURIComponent(owner)}/gallery` : '/ui/gallery'}>Back to the gallery</a>
			</p>
			<h1>Image</h1>
			{foreign ? (
				<p class="notice" role="status">
					An image of {image.owner}, shown to you as an admin: read-only.
				</p>
			) : null}
			<div class="image-page">
				<figure class="picture">
					<a href={image.image_url}>
						<img src={image.image_url} alt={image.prompt} width={image.width} height={image.height} />
					</a>
					<figcaption class="muted">
						{image.width} × {image.height} px, {image.content_type}, {Math.ceil(image.bytes / 1024)} KB
					</figcaption>
				</figure>
				<section aria-labelledby="made">
					<h2 id="made">How it was made</h2>
					<dl class="facts">
						<Fact label="Prompt">{image.prompt}</Fact>
						{image.style ? <Fact label="Style">{image.style}</Fact> : null}
						{image.prompt_given ? <Fact label="Prompt given">{image.prompt_given}</Fact> : null}
						{image.revised_prompt ? <Fact label="Revised by the model">{image.revised_prompt}</Fact> : null}
						<Fact label="Model">{image.model}</Fact>
						{image.model_choice ? <Fact label="Why this model">{image.model_choice}</Fact> : null}
						<Fact label="Seed">{image.seed ?? 'none (this model takes no seed)'}</Fact>
						<Fact label="Size">
							{image.width} × {image.height}
						</Fact>
						{image.steps !== null ? <Fact label="Steps">{image.steps}</Fact> : null}
						{image.negative_prompt ? <Fact label="Negative prompt">{image.negative_prompt}</Fact> : null}
						{options.map(([name, value]) => (
							<Fact label={name}>{String(value)}</Fact>
						))}
						<Fact label="Estimated cost">{formatUsd(image.estimated_cost_usd)}</Fact>
						<Fact label="Created">
							<time datetime={image.created_at}>{shortTime(image.created_at)}</time>
						</Fact>
						{image.reference_images.length ? (
							<Fact label="Reference images">
								<ul class="plain">
									{image.reference_images.map((value) => (
										<li>
											<Reference value={value} {...(owner ? { owner } : {})} />
										</li>
									))}
								</ul>
							</Fact>
						) : null}
						{image.mask_image ? (
							<Fact label="Mask">
								<Reference value={image.mask_image} {...(owner ? { owner } : {})} />
							</Fact>
						) : null}
						{image.parent_job_id ? (
							<Fact label="Variation of">
								<a href={imagePagePath(image.parent_job_id, 0, owner)}>{`job ${image.parent_job_id}`}</a>
							</Fact>
						) : null}
						<Fact label="Job">
							{foreign ? image.job_id : <a href={jobsPagePath([image.job_id])}>{image.job_id}</a>}
						</Fact>
					</dl>
				</section>
			</div>
			<section aria-labelledby="use">
				<h2 id="use">Use it</h2>
				<p>
					<a class="button" href={`${path}/download${owner ? `?owner=${encodeURIComponent(owner)}` : ''}`}>
						Download
					</a>
				</p>
				<div class="copy-line">
					<label for="image-url">Image URL</label>
					<input id="image-url" type="text" readonly value={image.image_url} />
					<button type="button" class="copy" data-target="image-url" data-label="Copy URL" hidden>
						Copy URL
					</button>
				</div>
				<div class="copy-line">
					<label for="image-markdown">Markdown</label>
					<input id="image-markdown" type="text" readonly value={image.markdown} />
					<button type="button" class="copy" data-target="image-markdown" data-label="Copy markdown" hidden>
						Copy markdown
					</button>
				</div>
			</section>
			{foreign || viewer.readOnly ? null : (
				<section aria-labelledby="more">
					<h2 id="more">Make more</h2>
					<div class="row compact">
						<div>
							<a class="button primary" href={iteratePath(image)}>
								Iterate on this
							</a>
						</div>
						<form method="post" action={`${path}/variations`} class="row compact">
							<CsrfField token={viewer.csrf} />
							<div>
								<label for="variation-count">Variations</label>
								<select id="variation-count" name="count">
									{Array.from({ length: Math.min(MAX_VARIATIONS, 4) }, (_, at) => (
										<option value={String(at + 1)}>{at + 1}</option>
									))}
								</select>
							</div>
							<div>
								<button type="submit">Make variations</button>
							</div>
						</form>
						<div>
							<a class="button danger" href={`${path}/delete`}>
								Delete…
							</a>
						</div>
					</div>
				</section>
			)}
		</Layout>
	);
};

/**
 * The image the page is about, read through get_image; `owner` from the query for an admin's
 * read-only view, left out (`asOwner`) where the page changes the image, which only its owner may.
 */
async function readImage(c: Context<WebEnv>, asOwner = false) {
	const owner = asOwner ? undefined : c.req.query('owner');
	return runWebOperation(c, getImageTool, {
		job_id: c.req.param('jobId') ?? '',
		index: Number(c.req.param('index')),
		...(owner ? { owner } : {}),
	});
}

function imageFailurePage(c: Context<WebEnv>, failure: ToolFailure): Promise<Response> {
	const kind = failure.kind ?? 'invalid';
	if (kind === 'forbidden') return messagePage(c, 403, 'Not yours', "Only admins can open another user's images.");
	if (kind === 'not_found') {
		const message = failure.message.replace(/^job_id: /, '').replace(/ browse_gallery lists your images\.$/, '');
		return messagePage(c, 404, 'No such image', `${message} The gallery shows your images.`);
	}
	if (kind === 'invalid') {
		return messagePage(c, 400, 'Not an image address', 'This address does not name an image. The gallery shows yours.');
	}
	return messagePage(c, problemStatus(kind), 'Refused', failure.message);
}

async function imagePage(c: Context<WebEnv>): Promise<Response> {
	const outcome = await readImage(c);
	if (!outcome.ok) return imageFailurePage(c, outcome.error);
	const image = outcome.value.structured as unknown as ImageDetails;
	const foreign = image.owner !== c.get('principal').id;
	return htmlPage(c, <ImageView viewer={viewerOf(c)} image={image} foreign={foreign} />);
}

/** A file name for a download: a few words of the prompt, then the job and index. */
export function downloadName(image: Pick<ImageDetails, 'prompt' | 'job_id' | 'index' | 'image_url'>): string {
	const words = image.prompt
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 40)
		.replace(/-+$/, '');
	const extension = /\.(png|jpe?g|webp|gif)$/i.exec(new URL(image.image_url).pathname)?.[1] ?? 'png';
	return `${words || 'image'}-${image.job_id.slice(0, 8)}-${image.index}.${extension.toLowerCase()}`;
}

/** The image itself as an attachment, read like /images/ serves it, after get_image said it is the viewer's to read. */
async function download(c: Context<WebEnv>): Promise<Response> {
	const outcome = await readImage(c);
	if (!outcome.ok) return imageFailurePage(c, outcome.error);
	const image = outcome.value.structured as unknown as ImageDetails;
	const key = `${image.job_id}/${image.index}`;
	const served = await serveImage(new Request(new URL(`/images/${key}`, c.req.url)), c.env, key);
	if (!served.ok) return messagePage(c, 404, 'No such image', 'This image is no longer stored.');
	const response = new Response(served.body, served);
	response.headers.set('content-disposition', `attachment; filename="${downloadName(image)}"`);
	response.headers.set('cache-control', 'private, no-store');
	response.headers.delete('access-control-allow-origin');
	return response;
}

const DeleteView = ({ viewer, image }: { viewer: Viewer; image: ImageDetails }) => (
	<Layout title="Delete this image?" active="gallery" viewer={viewer}>
		<h1>Delete this image?</h1>
		<p>
			<img src={thumbnailUrl(image.image_url)} alt={image.prompt} {...thumbSize(image)} />
		</p>
		<p>{image.prompt}</p>
		<p class="alert" role="alert">
			Deleting is permanent: the image and its URL stop working everywhere it was shared. The job stays in your list.
		</p>
		<form method="post" action={`${imagePagePath(image.job_id, image.index)}/delete`} class="row">
			<CsrfField token={viewer.csrf} />
			<div>
				<button type="submit" class="danger">
					Delete permanently
				</button>
			</div>
			<div>
				<a href={imagePagePath(image.job_id, image.index)}>Keep it</a>
			</div>
		</form>
	</Layout>
);

function readOnlyPage(c: Context<WebEnv>): Promise<Response> {
	return messagePage(
		c,
		403,
		'Changes are off',
		'This server is read-only: it shows the images it has and changes none.',
	);
}

async function confirmDelete(c: Context<WebEnv>): Promise<Response> {
	if (c.get('config').readOnly) return readOnlyPage(c);
	const outcome = await readImage(c, true);
	if (!outcome.ok) return imageFailurePage(c, outcome.error);
	return htmlPage(c, <DeleteView viewer={viewerOf(c)} image={outcome.value.structured as unknown as ImageDetails} />);
}

async function deleteImage(c: Context<WebEnv>): Promise<Response> {
	if (c.get('config').readOnly) return readOnlyPage(c);
	const jobId = c.req.param('jobId') ?? '';
	const index = c.req.param('index') ?? '';
	if (!/^\d{1,2}$/.test(index))
		return messagePage(c, 400, 'Not an image address', 'This address does not name an image.');
	const outcome = await runWebOperation(c, deleteImageTool, { image: `${jobId}/${index}` });
	if (!outcome.ok) return imageFailurePage(c, outcome.error);
	return seeOther('/ui/gallery?deleted=1');
}

async function makeVariations(c: Context<WebEnv>): Promise<Response> {
	if (c.get('config').readOnly) return readOnlyPage(c);
	const fields = await formFields(c);
	const jobId = c.req.param('jobId') ?? '';
	const count = Number(fields.count ?? 1);
	const outcome = await runWebOperation(c, generateVariationsTool, {
		job_id: jobId,
		count: Number.isInteger(count) ? count : fields.count,
		...(fields.confirmation ? { confirmation: fields.confirmation } : {}),
	});
	if (outcome.ok) return seeOther(jobsPagePath(outcome.value.structured.job_ids as string[]));
	const failure = outcome.error;
	if (failure.kind === 'confirmation_required') {
		return htmlPage(c, <ConfirmVariations viewer={viewerOf(c)} action={c.req.path} count={count} failure={failure} />);
	}
	if (failure.kind === 'not_found') return imageFailurePage(c, failure);
	const status = problemStatus(failure.kind ?? 'invalid');
	return messagePage(c, status, 'No variations made', withoutToolName(failure.message));
}

/** generate_variations' quote: what it would cost, and the button that sends its confirmation token. */
const ConfirmVariations = ({
	viewer,
	action,
	count,
	failure,
}: {
	viewer: Viewer;
	action: string;
	count: number;
	failure: ToolFailure;
}) => (
	<Layout title="Confirm the cost" active="gallery" viewer={viewer}>
		<h1>Confirm the cost</h1>
		<p class="notice" role="status">
			{failure.message}
		</p>
		<form method="post" action={action} class="row">
			<CsrfField token={viewer.csrf} />
			<input type="hidden" name="count" value={String(count)} />
			<input type="hidden" name="confirmation" value={String(failure.details?.confirmation ?? '')} />
			<div>
				<button type="submit" class="primary">
					Confirm and generate
				</button>
			</div>
			<div>
				<a href={action.replace(/\/variations$/, '')}>Cancel</a>
			</div>
		</form>
	</Layout>
);

export function registerGalleryPages(web: Hono<WebEnv>) {
	web.get('/gallery', (c) => galleryPage(c));
	web.get('/users/:userId/gallery', (c) => galleryPage(c, c.req.param('userId')));
	web.get('/images/:jobId/:index', imagePage);
	web.get('/images/:jobId/:index/download', download);
	web.get('/images/:jobId/:index/delete', confirmDelete);
	web.post('/images/:jobId/:index/delete', deleteImage);
	web.post('/images/:jobId/:index/variations', makeVariations);
}
