/**
 * Generate (issue 18): a form over generate_image (not _and_wait: the post returns at once and
 * the job page shows the images as they finish). The models, their sizes, options and cost
 * come from list_models, styles from list_styles, reference thumbnails from list_generations,
 * so the form offers what the operation takes. Bad input re-renders the form with each
 * field's message; a call above the confirmation threshold shows the quote with a button that
 * sends the same call again with its token; success goes to the job's page.
 */
import type { Context, Hono } from 'hono';
import type { ToolFailure } from '../../tools/context';
import { generateImageTool } from '../../tools/generate.tools';
import { listGenerationsTool } from '../../tools/jobs.tools';
import { formatUsd } from '../../tools/limits';
import { listModelsTool, type ModelView } from '../../tools/models.tools';
import { getPreferencesTool } from '../../tools/preferences.tools';
import { listStylesTool } from '../../tools/styles.tools';
import { parseArgumentFields } from '../../tools/validation';
import {
	confirmationToken,
	emptyForm,
	FORM_LIMITS,
	GENERATE_FIELDS,
	type GenerateField,
	type GenerateFormValues,
	generateArguments,
	jobsPagePath,
	placeFailure,
	readPostedForm,
} from './generate-form';
import { thumbnailUrl } from './job-parts';
import { CsrfField, FieldError, Layout, type Viewer } from './layout';
import { messagePage } from './message';
import { htmlPage, runWebOperation, seeOther, viewerOf, type WebEnv } from './page';

/** How many of my latest images the form offers as reference images. */
export const GALLERY_CHOICES = 8;

/** Ratios suggested for models that take any size in a range. */
const COMMON_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3'];

/** The quote of a call above the confirmation threshold (confirmation_required's details). */
interface Quote {
	message: string;
	token: string;
	model: string;
	count: number;
	estimatedCostUsd: number;
	thresholdUsd: number;
	expiresAt: string;
	budgetLeft: { period: string; left: number }[];
}

interface GalleryChoice {
	/** The image's URL, which generate_image takes as a reference. */
	value: string;
	thumb: string;
	prompt: string;
}

interface GenerateView {
	viewer: Viewer;
	models: ModelView[];
	/** The model a call naming none uses: my default (Settings), else the server's. */
	defaultModel: string;
	defaultIsMine: boolean;
	defaultSize: string | null;
	styles: { name: string; published: boolean }[];
	gallery: GalleryChoice[];
	form: GenerateFormValues;
	errors: Partial<Record<GenerateField, string>>;
	general?: string;
	notice?: string;
	quote?: Quote;
}

/** What the form knows of a choice in the model list (a model, or auto). */
interface ModelChoice {
	/** The model's entry; undefined for auto. */
	model?: ModelView;
	factsId: string;
}

function choiceOf(view: GenerateView, value: string): ModelChoice {
	const name = value === '' ? view.defaultModel : value;
	const model = view.models.find((entry) => entry.name === name || entry.aliases.includes(name));
	return model ? { model, factsId: `model-${model.name}` } : { factsId: 'model-auto' };
}

function sizeSuggestions(model: ModelView | undefined): string[] {
	if (!model) return [...FORM_LIMITS.aspectRatios];
	switch (model.size_kind) {
		case 'fixed':
			return [`${model.default_width}x${model.default_height}`];
		case 'list':
			return model.sizes;
		case 'aspect':
			return model.aspect_ratios;
		default:
			return [
				...COMMON_RATIOS.filter((ratio) => FORM_LIMITS.aspectRatios.includes(ratio)),
				`${model.default_width}x${model.default_height}`,
			];
	}
}

/** The data the script reads from a model option to keep the form in step with the model. */
function optionData(choice: ModelChoice): Record<string, string> {
	const { model } = choice;
	return {
		'data-facts': choice.factsId,
		'data-cost': model ? String(model.estimated_cost_usd_per_image) : '',
		'data-negative': String(model ? model.negative_prompt : true),
		'data-seed': String(model ? model.seed !== 'none' : true),
		'data-refs': String(model ? model.reference_images : 16),
		'data-tiers': String(model ? model.size_kind === 'aspect' : true),
		'data-sizes': sizeSuggestions(model).join(','),
		'data-size-text': model
			? `${model.name} makes: ${model.size}.`
			: 'auto picks a model that makes the size you give.',
	};
}

/** The estimate shown before sending; assets.ts's script words it the same way as the choices change. */
export function estimateText(choice: ModelChoice, countText: string): string {
	const text = countText.trim() === '' ? '1' : countText.trim();
	const count = /^\d+$/.test(text) ? Number(text) : Number.NaN;
	if (!Number.isInteger(count) || count < 1 || count > FORM_LIMITS.maxCount) {
		return `Estimated cost: give a count from 1 to ${FORM_LIMITS.maxCount} to see it.`;
	}
	if (!choice.model) return 'Estimated cost: depends on the model auto picks; the job page shows it.';
	const each = choice.model.estimated_cost_usd_per_image;
	if (each === 0) return 'Estimated cost: free.';
	return `Estimated cost: ${formatUsd(each * count)} (${count} × ${formatUsd(each)}), an estimate at the model's default size and quality.`;
}

const SEED_WORDS = {
	exact: 'yes: the same seed gives the same image',
	best_effort: 'taken, but the same seed may not give the same image',
	none: 'no',
} as const;

const ModelFacts = ({ model }: { model: ModelView }) => (
	<dl class="facts">
		<dt>Good at</dt>
		<dd>
			{model.label}: {model.good_at}
			{model.lifecycle === 'current'
				? ''
				: ` (${model.lifecycle}${model.replacement ? `; use ${model.replacement} instead` : ''})`}
		</dd>
		<dt>Sizes</dt>
		<dd>{model.size}</dd>
		<dt>Options</dt>
		<dd>{model.options || 'none'}</dd>
		<dt>Negative prompt</dt>
		<dd>{model.negative_prompt ? 'yes' : 'no'}</dd>
		<dt>Reference images</dt>
		<dd>
			{model.reference_images === 0
				? 'none'
				: model.requires_reference_image
					? `${model.reference_images} (required)`
					: `up to ${model.reference_images}`}
		</dd>
		<dt>Seed</dt>
		<dd>{SEED_WORDS[model.seed]}</dd>
		<dt>Cost</dt>
		<dd>
			{model.cost}; about {formatUsd(model.estimated_cost_usd_per_image)} per image at its default size
		</dd>
		<dt>Typical time</dt>
		<dd>{model.typical_latency_seconds} s per image</dd>
	</dl>
);

const AutoFacts = () => (
	<p>
		auto picks a model for each prompt (text in the image, reference images, transparency, your budget) and the job page
		says which and why.
	</p>
);

const QuotePanel = ({ quote, form, csrf }: { quote: Quote; form: GenerateFormValues; csrf: string }) => {
	const refused = quote.message.startsWith('confirmation:') ? quote.message.split('; nothing was created.')[0] : null;
	// Every field but the reference checkboxes (added one by one below), and the idempotency key.
	const hidden = [...GENERATE_FIELDS.filter((name) => name !== 'reference'), 'idempotency_key' as const].map((name) => (
		<input type="hidden" name={name} value={form[name]} />
	));
	return (
		<section class="card quote" aria-labelledby="quote-title">
			<h2 id="quote-title">Confirm this generation</h2>
			{refused ? (
				<p class="alert" role="alert">
					{refused}. Here is a new estimate.
				</p>
			) : null}
			<p role="status">
				{quote.count} image{quote.count === 1 ? '' : 's'} with {quote.model}, estimated at{' '}
				<strong>{formatUsd(quote.estimatedCostUsd)}</strong>: above the {formatUsd(quote.thresholdUsd)} that needs your
				yes.
				{quote.budgetLeft.length
					? ` Budget left: ${quote.budgetLeft.map((entry) => `${formatUsd(entry.left)} ${entry.period === 'daily' ? 'today' : 'this month'}`).join(', ')}.`
					: ''}{' '}
				Nothing has been made yet.
			</p>
			<form method="post" action="/ui/generate">
				<CsrfField token={csrf} />
				{hidden}
				{form.reference.map((value) => (
					<input type="hidden" name="reference" value={value} />
				))}
				<input type="hidden" name="confirmation" value={quote.token} />
				<button type="submit" class="primary">
					Confirm and generate
				</button>
			</form>
			<p class="hint">
				Valid once, until {quote.expiresAt.slice(11, 16)} UTC. Or change the request below and press Generate for a new
				estimate.
			</p>
		</section>
	);
};

const GeneratePage = ({ view }: { view: GenerateView }) => {
	const { form, errors } = view;
	const selected = form.model === '' || form.model === 'auto' ? form.model : choiceOf(view, form.model).model?.name;
	const current = choiceOf(view, selected ?? '');
	const invalid = (field: GenerateField) => (errors[field] ? 'true' : undefined);
	const describedBy = (field: GenerateField, hint = true) =>
		[hint ? `${field}-hint` : '', errors[field] ? `${field}-error` : ''].filter(Boolean).join(' ') || undefined;
	const defaultChoice = choiceOf(view, '');
	return (
		<Layout title="Generate" active="generate" viewer={view.viewer}>
			<h1>Generate</h1>
			{view.notice ? (
				<p class="notice" role="status">
					{view.notice}
				</p>
			) : null}
			{view.general ? (
				<p class="alert" role="alert" id="general-error">
					{view.general}
				</p>
			) : null}
			{view.quote ? <QuotePanel quote={view.quote} form={form} csrf={view.viewer.csrf} /> : null}
			<form method="post" action="/ui/generate" class="card generate" id="generate-form" novalidate>
				<CsrfField token={view.viewer.csrf} />
				<input type="hidden" name="idempotency_key" value={form.idempotency_key} />

				<label for="prompt">Prompt</label>
				<textarea
					id="prompt"
					name="prompt"
					required
					maxlength={FORM_LIMITS.maxPromptChars}
					aria-invalid={invalid('prompt')}
					aria-describedby={describedBy('prompt')}
				>
					{form.prompt}
				</textarea>
				<p class="hint" id="prompt-hint">
					What the image should show, in plain words (up to {FORM_LIMITS.maxPromptChars} characters).
				</p>
				<FieldError id="prompt-error" message={errors.prompt} />

				<div class="row">
					<div>
						<label for="model">Model</label>
						<select id="model" name="model" aria-invalid={invalid('model')} aria-describedby={describedBy('model')}>
							<option value="" selected={selected === ''} {...optionData(defaultChoice)}>
								{view.defaultIsMine ? 'My default' : "The server's default"}: {view.defaultModel}
							</option>
							<option value="auto" selected={selected === 'auto'} {...optionData({ factsId: 'model-auto' })}>
								auto: chosen for each prompt
							</option>
							{view.models.map((model) => (
								<option
									value={model.name}
									selected={selected === model.name}
									{...optionData({ model, factsId: `model-${model.name}` })}
								>
									{model.name}: {model.label} ({model.cost})
								</option>
							))}
						</select>
						<p class="hint" id="model-hint">
							{view.defaultIsMine ? 'Your default is set in ' : 'Set your own default in '}
							<a href="/ui/settings">Settings</a>.
						</p>
						<FieldError id="model-error" message={errors.model} />
					</div>
					<div>
						<label for="count">Number of images</label>
						<input
							id="count"
							name="count"
							type="number"
							inputmode="numeric"
							min={1}
							max={FORM_LIMITS.maxCount}
							step={1}
							value={form.count}
							aria-invalid={invalid('count')}
							aria-describedby={describedBy('count')}
						/>
						<p class="hint" id="count-hint">
							1 to {FORM_LIMITS.maxCount}; each image is its own job.
						</p>
						<FieldError id="count-error" message={errors.count} />
					</div>
				</div>

				<section class="model-facts" id="model-facts" aria-labelledby="model-facts-title">
					<h2 id="model-facts-title">{current.model ? `About ${current.model.name}` : 'About auto'}</h2>
					{current.model ? <ModelFacts model={current.model} /> : <AutoFacts />}
				</section>

				<div class="row">
					<div>
						<label for="size">Size or aspect ratio</label>
						<input
							id="size"
							name="size"
							list="size-options"
							value={form.size}
							placeholder="16:9 or 1024x768"
							maxlength={20}
							autocomplete="off"
							aria-invalid={invalid('size')}
							aria-describedby={describedBy('size')}
						/>
						<datalist id="size-options">
							{sizeSuggestions(current.model).map((value) => (
								<option value={value} />
							))}
						</datalist>
						<p class="hint" id="size-hint">
							<span data-size-hint>{optionData(current)['data-size-text']}</span> An aspect ratio like 16:9, or
							WIDTHxHEIGHT like 1024x768. Empty:{' '}
							{view.defaultSize ? `your default (${view.defaultSize})` : "the model's own"}.
						</p>
						<FieldError id="size-error" message={errors.size} />
					</div>
					<div data-requires="tiers">
						<label for="image_size">Resolution tier</label>
						<select
							id="image_size"
							name="image_size"
							aria-invalid={invalid('image_size')}
							aria-describedby={describedBy('image_size')}
						>
							<option value="" selected={form.image_size === ''}>
								The model's default
							</option>
							{FORM_LIMITS.imageSizes.map((tier) => (
								<option value={tier} selected={form.image_size === tier}>
									{tier}
								</option>
							))}
						</select>
						<p class="hint" id="image_size-hint">
							Only for models sized by aspect ratio (Gemini).
						</p>
						<FieldError id="image_size-error" message={errors.image_size} />
					</div>
					<div data-requires="seed">
						<label for="seed">Seed</label>
						<input
							id="seed"
							name="seed"
							type="number"
							inputmode="numeric"
							min={0}
							max={FORM_LIMITS.maxSeed}
							step={1}
							value={form.seed}
							aria-invalid={invalid('seed')}
							aria-describedby={describedBy('seed')}
						/>
						<p class="hint" id="seed-hint">
							0 to {FORM_LIMITS.maxSeed}, to make the same image again. Empty: a random one.
						</p>
						<FieldError id="seed-error" message={errors.seed} />
					</div>
				</div>

				<div data-requires="negative">
					<label for="negative_prompt">Negative prompt</label>
					<textarea
						id="negative_prompt"
						name="negative_prompt"
						class="short"
						maxlength={FORM_LIMITS.maxNegativePromptChars}
						aria-invalid={invalid('negative_prompt')}
						aria-describedby={describedBy('negative_prompt')}
					>
						{form.negative_prompt}
					</textarea>
					<p class="hint" id="negative_prompt-hint">
						What the image should not show. Only some models take one:{' '}
						{view.models
							.filter((model) => model.negative_prompt)
							.map((model) => model.name)
							.join(', ') || 'none here'}
						.
					</p>
					<FieldError id="negative_prompt-error" message={errors.negative_prompt} />
				</div>

				<label for="style">Style</label>
				<select id="style" name="style" aria-invalid={invalid('style')} aria-describedby={describedBy('style')}>
					<option value="" selected={form.style === ''}>
						None
					</option>
					{view.styles.map((style) => (
						<option value={style.name} selected={form.style === style.name}>
							{style.name}
							{style.published ? ' (published)' : ''}
						</option>
					))}
				</select>
				<p class="hint" id="style-hint">
					{view.styles.length
						? 'A style from your library: its brief joins the prompt and its defaults fill what you leave empty.'
						: 'You have no styles yet; an assistant can save one with save_style.'}
				</p>
				<FieldError id="style-error" message={errors.style} />

				<fieldset class="references" data-requires="references" aria-describedby={describedBy('reference')}>
					<legend>Reference images (optional)</legend>
					<p class="hint" id="reference-hint">
						Images to start from or iterate on ("the same scene at night"). Not every model takes them; see its facts
						above.
					</p>
					{view.gallery.length ? (
						<ul class="picks">
							{view.gallery.map((image, index) => (
								<li>
									<input
										type="checkbox"
										id={`reference-${index}`}
										name="reference"
										value={image.value}
										checked={form.reference.includes(image.value)}
									/>
									<label for={`reference-${index}`}>
										<img src={image.thumb} alt={image.prompt} loading="lazy" width={96} height={96} />
										<span class="visually-hidden">Use this image</span>
									</label>
								</li>
							))}
						</ul>
					) : (
						<p class="hint">Your latest images will be offered here once you have some.</p>
					)}
					<label for="reference_url">Or an image URL</label>
					<input
						id="reference_url"
						name="reference_url"
						type="url"
						value={form.reference_url}
						placeholder="https://…"
						maxlength={2048}
						aria-describedby="reference_url-hint"
					/>
					<p class="hint" id="reference_url-hint">
						A public https URL of a PNG, JPEG, WebP or GIF, or one of this server's image URLs.
					</p>
					<FieldError id="reference-error" message={errors.reference} />
				</fieldset>

				<p class="estimate" id="estimate" role="status" aria-live="polite">
					{estimateText(current, form.count)}
				</p>
				<p>
					<button type="submit" class="primary">
						Generate
					</button>
				</p>
			</form>

			<details class="model-list">
				<summary>All models here: sizes, options and cost</summary>
				<section id="model-auto" class="model-entry" aria-labelledby="model-auto-title">
					<h3 id="model-auto-title">auto</h3>
					<AutoFacts />
				</section>
				{view.models.map((model) => (
					<section id={`model-${model.name}`} class="model-entry" aria-labelledby={`model-${model.name}-title`}>
						<h3 id={`model-${model.name}-title`}>{model.name}</h3>
						<ModelFacts model={model} />
					</section>
				))}
			</details>
		</Layout>
	);
};

interface FormState {
	form: GenerateFormValues;
	errors?: Partial<Record<GenerateField, string>>;
	general?: string;
	notice?: string;
	quote?: Quote;
	/**
	 * Filled from the query: a model not offered here is dropped (the page says so), and a
	 * reference that is one of my latest images is ticked among them.
	 */
	prefilled?: boolean;
}

interface Preferences {
	default_model: string | null;
	default_size: string | null;
}

async function renderForm(c: Context<WebEnv>, state: FormState, status = 200): Promise<Response> {
	const [models, preferences, styles, gallery] = await Promise.all([
		runWebOperation(c, listModelsTool, {}),
		runWebOperation(c, getPreferencesTool, {}),
		runWebOperation(c, listStylesTool, {}),
		runWebOperation(c, listGenerationsTool, { limit: GALLERY_CHOICES }),
	]);
	if (!models.ok) throw new Error(`list_models failed: ${models.error.message}`);
	if (!preferences.ok) throw new Error(`get_preferences failed: ${preferences.error.message}`);
	const catalog = models.value.structured.models as ModelView[];
	const mine = preferences.value.structured as unknown as Preferences;
	const serverDefault = models.value.structured.default_model as string;
	const myDefault =
		mine.default_model && (mine.default_model === 'auto' || catalog.some((model) => model.name === mine.default_model))
			? mine.default_model
			: null;
	let { form, notice } = state;
	const offered = (name: string) => catalog.some((model) => model.name === name || model.aliases.includes(name));
	if (state.prefilled && form.model !== '' && form.model !== 'auto' && !offered(form.model)) {
		notice = `The model "${form.model}" is not offered here, so your default is selected; pick another below.`;
		form = { ...form, model: '' };
	}
	const images = gallery.ok
		? (
				gallery.value.structured.generations as {
					job_id: string;
					index: number;
					status: string;
					image_url?: string;
					prompt: string;
				}[]
			).filter((image) => image.status === 'available' && image.image_url)
		: [];
	const choices = images.map((image) => ({
		value: image.image_url!,
		thumb: thumbnailUrl(image.image_url!),
		prompt: image.prompt.slice(0, 120),
	}));
	// A reference from the query that is one of the images offered is ticked there instead.
	const ticked = state.prefilled ? choices.find((choice) => choice.value === form.reference_url) : undefined;
	if (ticked) form = { ...form, reference: [ticked.value], reference_url: '' };
	return htmlPage(
		c,
		<GeneratePage
			view={{
				viewer: viewerOf(c),
				models: catalog,
				defaultModel: myDefault ?? serverDefault,
				defaultIsMine: myDefault !== null,
				defaultSize: mine.default_size,
				styles: styles.ok
					? (styles.value.structured.styles as { name: string; published: boolean }[]).map(({ name, published }) => ({
							name,
							published,
						}))
					: [],
				gallery: choices,
				errors: state.errors ?? {},
				form,
				...(notice ? { notice } : {}),
				...(state.general ? { general: state.general } : {}),
				...(state.quote ? { quote: state.quote } : {}),
			}}
		/>,
		status,
	);
}

/** The form as the gallery's "Iterate on this" link fills it: `?prompt=&model=&reference=<image url>`. */
function prefilledForm(c: Context<WebEnv>): GenerateFormValues {
	return {
		...emptyForm(),
		prompt: (c.req.query('prompt') ?? '').slice(0, FORM_LIMITS.maxPromptChars),
		model: (c.req.query('model') ?? '').trim().slice(0, 200),
		reference_url: (c.req.query('reference') ?? '').trim().slice(0, 2048),
	};
}

function readOnlyPage(c: Context<WebEnv>): Promise<Response> {
	return messagePage(
		c,
		403,
		'Generating is off',
		'This server is read-only: it shows the images it has and makes no new ones.',
	);
}

/** confirmation_required's details as the quote to show. */
function quoteOf(failure: ToolFailure): Quote {
	const details = failure.details ?? {};
	return {
		message: failure.message,
		token: String(details.confirmation ?? ''),
		model: String(details.model ?? ''),
		count: Number(details.count ?? 1),
		estimatedCostUsd: Number(details.estimated_cost_usd ?? 0),
		thresholdUsd: Number(details.threshold_usd ?? 0),
		expiresAt: String(details.expires_at ?? ''),
		budgetLeft: (['daily', 'monthly'] as const).flatMap((period) => {
			const left = details[`${period}_budget_left_usd`];
			return typeof left === 'number' ? [{ period, left }] : [];
		}),
	};
}

/** A status for each kind of refusal the page shows with the form. */
const REFUSAL_STATUS: Record<string, number> = {
	rate_limited: 429,
	budget_exceeded: 429,
	conflict: 409,
	forbidden: 403,
	unavailable: 503,
	internal: 500,
};

async function generate(c: Context<WebEnv>): Promise<Response> {
	if (c.get('config').readOnly) return readOnlyPage(c);
	const body = await c.req.parseBody({ all: true });
	const form = readPostedForm(body);
	const { args, errors } = generateArguments(form);
	if (Object.keys(errors).length) {
		// Said with what the operation's own schema finds wrong in the other fields, so all show at once.
		const checked = parseArgumentFields(generateImageTool.name, generateImageTool.input, args);
		const others = checked.ok
			? {}
			: placeFailure({ message: checked.error.message, fields: checked.error.fields }).errors;
		return renderForm(c, { form, errors: { ...others, ...errors } }, 400);
	}
	const token = confirmationToken(body);
	const outcome = await runWebOperation(c, generateImageTool, token ? { ...args, confirmation: token } : args);
	if (outcome.ok) {
		const out = outcome.value.structured as {
			job_ids: string[];
			reused: boolean;
			prompt: string;
			prompt_given?: string;
			count: number;
		};
		// A form sent again after a change (the browser's back button keeps its key) is another request.
		if (out.reused && ((out.prompt_given ?? out.prompt) !== form.prompt.trim() || out.count !== (args.count ?? 1))) {
			return renderForm(
				c,
				{
					form: { ...form, idempotency_key: crypto.randomUUID() },
					general:
						'This form had already been sent, and it started other images; your changed request was not sent. Press Generate to send it.',
				},
				409,
			);
		}
		return seeOther(jobsPagePath(out.job_ids));
	}
	const failure = outcome.error;
	if (failure.kind === 'read_only') return readOnlyPage(c);
	if (failure.kind === 'confirmation_required') return renderForm(c, { form, quote: quoteOf(failure) });
	const status = REFUSAL_STATUS[failure.kind ?? 'invalid'];
	if (status) return renderForm(c, { form, general: failure.message }, status);
	const placed = placeFailure(failure);
	return renderForm(c, { form, ...placed }, 400);
}

export function registerGeneratePages(web: Hono<WebEnv>) {
	web.get('/generate', async (c) => {
		if (c.get('config').readOnly) return readOnlyPage(c);
		return renderForm(c, { form: prefilledForm(c), prefilled: true });
	});
	web.post('/generate', generate);
}
