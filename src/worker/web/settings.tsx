/**
 * Settings (issue 18): my default model and size, inline previews and the confirmation
 * threshold, through get_preferences and set_preferences, so every face (MCP, REST, web) uses
 * them whenever a call names none. Bad input re-renders the form with the field's message.
 */
import type { Context, Hono } from 'hono';
import { listModelsTool } from '../../tools/models.tools';
import { getPreferencesTool, setPreferencesTool } from '../../tools/preferences.tools';
import { CsrfField, FieldError, Layout, type Viewer } from './layout';
import { formFields, htmlPage, runWebOperation, seeOther, viewerOf, type WebEnv } from './page';

interface Preferences {
	default_model: string | null;
	default_size: string | null;
	previews: 'auto' | 'none' | null;
	confirm_above_usd: number | null;
	deployment_default_model: string;
	deployment_confirm_above_usd: number | null;
}

interface SettingsView {
	viewer: Viewer;
	preferences: Preferences;
	models: { name: string; label: string; cost: string }[];
	/** What was posted, when it is shown again with errors. */
	posted?: Record<string, string>;
	errors: Record<string, string>;
	general?: string;
	saved: boolean;
}

const FIELDS = ['default_model', 'default_size', 'previews', 'confirm_above_usd'] as const;

const SettingsPage = ({ view }: { view: SettingsView }) => {
	const value = (field: (typeof FIELDS)[number]) =>
		view.posted?.[field] ?? (view.preferences[field] === null ? '' : String(view.preferences[field]));
	const invalid = (field: string) => (view.errors[field] ? 'true' : undefined);
	const describedBy = (field: string) => (view.errors[field] ? `${field}-error` : `${field}-hint`);
	return (
		<Layout title="Settings" active="settings" viewer={view.viewer}>
			<h1>Settings</h1>
			{view.saved ? (
				<p class="notice" role="status">
					Saved. Every new generation that names no model or size uses these, from this app, the MCP tools and the REST
					API.
				</p>
			) : null}
			{view.general ? (
				<p class="alert" role="alert">
					{view.general}
				</p>
			) : null}
			<form method="post" action="/ui/settings" class="card" novalidate>
				<CsrfField token={view.viewer.csrf} />
				<label for="default_model">Default model</label>
				<select
					id="default_model"
					name="default_model"
					aria-invalid={invalid('default_model')}
					aria-describedby={describedBy('default_model')}
				>
					<option value="" selected={value('default_model') === ''}>
						The server's default ({view.preferences.deployment_default_model})
					</option>
					<option value="auto" selected={value('default_model') === 'auto'}>
						auto: chosen for each prompt
					</option>
					{view.models.map((model) => (
						<option value={model.name} selected={value('default_model') === model.name}>
							{model.name}: {model.label} ({model.cost})
						</option>
					))}
				</select>
				<p class="hint" id="default_model-hint">
					Used whenever a generation names no model.
				</p>
				<FieldError id="default_model-error" message={view.errors.default_model} />

				<label for="default_size">Default size or aspect ratio</label>
				<input
					id="default_size"
					name="default_size"
					value={value('default_size')}
					placeholder="16:9 or 1024x768"
					maxlength={20}
					aria-invalid={invalid('default_size')}
					aria-describedby={describedBy('default_size')}
				/>
				<p class="hint" id="default_size-hint">
					An aspect ratio like 16:9, or WIDTHxHEIGHT like 1024x768. Empty: each model's own default.
				</p>
				<FieldError id="default_size-error" message={view.errors.default_size} />

				<label for="previews">Inline previews in chat results</label>
				<select
					id="previews"
					name="previews"
					aria-invalid={invalid('previews')}
					aria-describedby={describedBy('previews')}
				>
					<option value="" selected={value('previews') === ''}>
						The server's default
					</option>
					<option value="auto" selected={value('previews') === 'auto'}>
						Yes
					</option>
					<option value="none" selected={value('previews') === 'none'}>
						No
					</option>
				</select>
				<p class="hint" id="previews-hint">
					Whether results in chat clients carry small previews of the images.
				</p>
				<FieldError id="previews-error" message={view.errors.previews} />

				<label for="confirm_above_usd">Ask me before spending more than (USD per call)</label>
				<input
					id="confirm_above_usd"
					name="confirm_above_usd"
					inputmode="decimal"
					value={value('confirm_above_usd')}
					placeholder="e.g. 0.10"
					aria-invalid={invalid('confirm_above_usd')}
					aria-describedby={describedBy('confirm_above_usd')}
				/>
				<p class="hint" id="confirm_above_usd-hint">
					0 to 1000. Empty:{' '}
					{view.preferences.deployment_confirm_above_usd === null
						? 'never ask'
						: `the server's threshold, $${view.preferences.deployment_confirm_above_usd}`}
					.
				</p>
				<FieldError id="confirm_above_usd-error" message={view.errors.confirm_above_usd} />
				<p>
					<button type="submit" class="primary">
						Save settings
					</button>
				</p>
			</form>
		</Layout>
	);
};

async function render(c: Context<WebEnv>, extra: Partial<SettingsView>, status = 200): Promise<Response> {
	const [preferences, models] = await Promise.all([
		runWebOperation(c, getPreferencesTool, {}),
		runWebOperation(c, listModelsTool, {}),
	]);
	if (!preferences.ok) throw new Error(`get_preferences failed: ${preferences.error.message}`);
	const catalog = models.ok ? (models.value.structured.models as { name: string; label: string; cost: string }[]) : [];
	return htmlPage(
		c,
		<SettingsPage
			view={{
				viewer: viewerOf(c),
				preferences: preferences.value.structured as unknown as Preferences,
				models: catalog.map(({ name, label, cost }) => ({ name, label, cost })),
				errors: {},
				saved: false,
				...extra,
			}}
		/>,
		status,
	);
}

/** The posted form as set_preferences' arguments: an empty field clears it; a number field must be one. */
function preferencesChange(fields: Record<string, string>): {
	args: Record<string, unknown>;
	errors: Record<string, string>;
} {
	const args: Record<string, unknown> = {};
	const errors: Record<string, string> = {};
	for (const field of ['default_model', 'default_size', 'previews'] as const) {
		const text = (fields[field] ?? '').trim();
		args[field] = text === '' ? null : text;
	}
	const threshold = (fields.confirm_above_usd ?? '').trim();
	if (threshold === '') args.confirm_above_usd = null;
	else if (!/^\d+(\.\d+)?$/.test(threshold))
		errors.confirm_above_usd = 'Enter an amount in USD, like 0.10, from 0 to 1000.';
	else args.confirm_above_usd = Number(threshold);
	return { args, errors };
}

/** Which form field a failure's message is about ("default_size: …"). */
function fieldErrors(message: string, fields: string[] | undefined): Record<string, string> {
	const named = fields?.length ? fields : FIELDS.filter((field) => message.startsWith(`${field}:`));
	return Object.fromEntries(named.map((field) => [field, message]));
}

export function registerSettingsPages(web: Hono<WebEnv>) {
	web.get('/settings', (c) => render(c, { saved: c.req.query('saved') === '1' }));
	web.post('/settings', async (c) => {
		const fields = await formFields(c);
		const { args, errors } = preferencesChange(fields);
		if (Object.keys(errors).length) return render(c, { posted: fields, errors }, 400);
		const outcome = await runWebOperation(c, setPreferencesTool, args);
		if (outcome.ok) return seeOther('/ui/settings?saved=1');
		const named = fieldErrors(outcome.error.message, outcome.error.fields);
		return render(
			c,
			{ posted: fields, errors: named, ...(Object.keys(named).length ? {} : { general: outcome.error.message }) },
			outcome.error.kind === 'read_only' ? 403 : 400,
		);
	});
}
