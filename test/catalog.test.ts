/** The catalog: configuration overrides, prices, the default model and stand-ins. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { runJob } from '../src/consumer/run-job';
import {
	buildCatalog,
	configuredModels,
	defaultModel,
	findModel,
	MODEL_CATALOG,
	nominalSize,
	priceOf,
} from '../src/providers/catalog';
import type { ModelEntry } from '../src/providers/types';
import { createApp } from '../src/worker/app';
import { base64, fakeJpeg, insertJob, readJobRow, scriptedAi } from './helpers/fixtures';
import { postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';

const deployed = (extra: Partial<Env> = {}) => ({ ...env, LOCAL_DEV: 'false', AI: {} as Ai, ...extra }) as Env;

function entry(alias: string): ModelEntry {
	const found = MODEL_CATALOG.find((candidate) => candidate.alias === alias);
	if (!found) throw new Error(`no catalog entry ${alias}`);
	return found;
}

describe('catalog entries', () => {
	it('gives every model a unique alias, accepts its upstream id as a name, and keeps defaults inside limits', () => {
		const names = MODEL_CATALOG.flatMap((model) => [model.alias, ...model.aliases].map((name) => name.toLowerCase()));
		expect(new Set(names).size).toBe(names.length);
		for (const model of MODEL_CATALOG) {
			const caps = model.capabilities;
			if (model.provider.id !== 'offline' && model.provider.id !== 'sd-webui') {
				expect([model.alias, ...model.aliases], model.alias).toContain(model.upstreamId);
			}
			if (caps.steps) expect(caps.steps.default, model.alias).toBeGreaterThanOrEqual(caps.steps.min);
			if (caps.steps) expect(caps.steps.default, model.alias).toBeLessThanOrEqual(caps.steps.max);
			for (const choice of [caps.quality, caps.style, caps.background, caps.outputFormat]) {
				if (choice) expect(choice.values, model.alias).toContain(choice.default);
			}
			if (caps.requiresReferenceImage) expect(caps.maxReferenceImages, model.alias).toBeGreaterThan(0);
			expect(model.useFor.length, model.alias).toBeGreaterThan(10);
		}
	});

	it('prices per-megapixel models by pixel count and table models by their key, never underestimating unknown keys', () => {
		const flux = entry('flux-schnell');
		expect(priceOf(flux, { width: 1024, height: 1024 })).toBe(0.000634);
		expect(priceOf(flux, { width: 2048, height: 1024 })).toBe(0.001268);
		const table: ModelEntry = {
			...flux,
			capabilities: {
				...flux.capabilities,
				size: { kind: 'list', sizes: ['1024x1024', '1792x1024'] },
				quality: { values: ['standard', 'hd'], default: 'standard' },
			},
			pricing: { kind: 'table', usd: { 'standard:1024x1024': 0.04, 'hd:1792x1024': 0.12 } },
		};
		expect(priceOf(table, { width: 1024, height: 1024 })).toBe(0.04);
		expect(priceOf(table, { width: 1024, height: 1024, quality: 'hd' })).toBe(0.12);
	});

	it('sizes aspect-ratio models by the tier: about tier² pixels in the requested shape', () => {
		const generic = { ...entry('offline') };
		expect(nominalSize(generic, '1:1', '1K')).toEqual({ width: 1024, height: 1024 });
		expect(nominalSize(generic, '16:9', '1K')).toEqual({ width: 1344, height: 768 });
		expect(nominalSize(generic, '1:1', '2K')).toEqual({ width: 2048, height: 2048 });
	});
});

describe('MODEL_OVERRIDES', () => {
	it('renames an upstream id, changes a price and switches a model off, without code', () => {
		const overrides = JSON.stringify({
			'flux-schnell': { upstream_id: '@cf/black-forest-labs/flux-1-schnell-v2', cost_usd: 0.002 },
			'sdxl-base': { disabled: true },
		});
		const catalog = buildCatalog(overrides);
		expect(catalog.warnings).toEqual([]);
		const flux = catalog.entries.find((model) => model.alias === 'flux-schnell');
		expect(flux?.upstreamId).toBe('@cf/black-forest-labs/flux-1-schnell-v2');
		expect(flux?.aliases).toContain('@cf/black-forest-labs/flux-1-schnell-v2');
		expect(flux && priceOf(flux, { width: 1024, height: 1024 })).toBe(0.002);
		expect(catalog.entries.some((model) => model.alias === 'sdxl-base')).toBe(false);

		const local = deployed({ MODEL_OVERRIDES: overrides });
		expect(findModel(local, 'sdxl-base')).toBeUndefined();
		expect(configuredModels(local).map((model) => model.alias)).not.toContain('sdxl-base');
	});

	it('merges a partial price table into the defaults', () => {
		const tableModel = MODEL_CATALOG.find((model) => model.pricing.kind === 'table');
		if (tableModel?.pricing.kind !== 'table') throw new Error('no table-priced model in the catalog');
		const [firstKey, ...otherKeys] = Object.keys(tableModel.pricing.usd);
		const catalog = buildCatalog(JSON.stringify({ [tableModel.alias]: { cost_usd: { [firstKey as string]: 9.5 } } }));
		const changed = catalog.entries.find((model) => model.alias === tableModel.alias);
		if (changed?.pricing.kind !== 'table') throw new Error('pricing kind changed');
		expect(changed.pricing.usd[firstKey as string]).toBe(9.5);
		for (const key of otherKeys) expect(changed.pricing.usd[key]).toBe(tableModel.pricing.usd[key]);
	});

	it('ignores invalid overrides and says why (bad JSON, unknown model, wrong field)', () => {
		expect(buildCatalog('{not json').warnings).toEqual(['MODEL_OVERRIDES is not valid JSON; it is ignored.']);
		expect(buildCatalog('{"nope": {"cost_usd": 1}}').warnings[0]).toMatch(/unknown model "nope"; known: offline, /);
		const wrongField = buildCatalog('{"flux-schnell": {"price": 1}}');
		expect(wrongField.warnings[0]).toMatch(/MODEL_OVERRIDES is ignored: flux-schnell: .*Expected \{"<model>"/);
		expect(wrongField.entries).toEqual(MODEL_CATALOG);
		expect(buildCatalog('{"flux-schnell": {"cost_usd": -1}}').warnings[0]).toMatch(/cost_usd/);
	});

	it('shows override problems in /health', async () => {
		const response = await createApp().fetch(new Request('http://localhost/health'), {
			...env,
			MODEL_OVERRIDES: '{oops',
		});
		const health = (await response.json()) as { config_warnings?: string[] };
		expect(health.config_warnings).toEqual(['MODEL_OVERRIDES is not valid JSON; it is ignored.']);
	});

	it('sends the overridden upstream id to the provider', async () => {
		const { ai, calls } = scriptedAi([{ image: base64(fakeJpeg(1024, 1024)) }]);
		const overridden = deployed({ AI: ai, MODEL_OVERRIDES: '{"sdxl-base": {"upstream_id": "@cf/example/sdxl-next"}}' });
		const job = await insertJob({
			model: 'sdxl-base',
			params: { width: 1024, height: 1024, steps: 20 },
		});
		expect(await runJob(overridden, job.id, 1)).toEqual({ action: 'ack' });
		expect(calls.map((call) => call.model)).toEqual(['@cf/example/sdxl-next']);
		expect((await readJobRow(job.id))?.status).toBe('completed');
	});
});

describe('default model', () => {
	it('is flux-schnell when Workers AI is bound, offline locally, and DEFAULT_MODEL when it is available', () => {
		expect(defaultModel(deployed(), undefined).alias).toBe('flux-schnell');
		expect(defaultModel(env, undefined).alias).toBe('offline');
		expect(defaultModel(deployed(), 'sdxl-base').alias).toBe('sdxl-base');
		expect(defaultModel(deployed(), 'no-such-model').alias).toBe('flux-schnell');
	});

	it.each([
		['only a Gemini key', { GEMINI_API_KEY: 'g' }],
		['only an OpenAI key', { OPENAI_API_KEY: 'o' }],
		['Gemini and OpenAI keys', { GEMINI_API_KEY: 'g', OPENAI_API_KEY: 'o' }],
	])('is never a paid model by itself: with %s it is offline', (_, secrets) => {
		const entry = defaultModel({ ...env, ...secrets } as Env, undefined);
		expect(entry.alias).toBe('offline');
	});

	it('is a paid model when DEFAULT_MODEL names it, since the operator chose it', () => {
		expect(defaultModel({ ...env, GEMINI_API_KEY: 'g' } as Env, 'flash').alias).toBe('flash');
	});

	it('a generate call naming no model goes to the free default with only a Gemini key', async () => {
		const response = await postWithEnv(
			{ GEMINI_API_KEY: 'g' },
			rpcBody('tools/call', { name: 'generate_image', arguments: { prompt: 'a lighthouse' } }),
		);
		const { result } = (await response.json()) as { result: ToolResult };
		expect(textJson(result)).toMatchObject({ model: 'offline', estimated_cost_usd: 0 });
	});
});

describe('lifecycle and strengths (issue 21)', () => {
	it('gives every model a good_at line and a lifecycle whose replacement is a current catalog model', () => {
		for (const model of MODEL_CATALOG) {
			expect(model.goodAt.length, model.alias).toBeGreaterThan(5);
			const { status, replacement } = model.lifecycle;
			if (status === 'current') expect(replacement, model.alias).toBeUndefined();
			if (replacement) expect(entry(replacement).lifecycle.status, model.alias).toBe('current');
		}
		expect(entry('dall-e-2').lifecycle).toMatchObject({ status: 'deprecated', replacement: 'gpt-image-1-mini' });
		expect(entry('dall-e-3').lifecycle).toMatchObject({ status: 'deprecated', replacement: 'gpt-image-1' });
	});

	async function listModels(deployment: Partial<Env>, args: Record<string, unknown> = {}) {
		const response = await postWithEnv(deployment, rpcBody('tools/call', { name: 'list_models', arguments: args }));
		const { result } = (await response.json()) as { result: ToolResult };
		return textJson(result) as {
			warnings: string[];
			models: { name: string; good_at: string; lifecycle: string; replacement: string | null }[];
		};
	}

	it('list_models shows good_at and lifecycle per model, and warns about each configured model that is not current', async () => {
		const withOpenAi = await listModels({ OPENAI_API_KEY: 'sk-test' });
		expect(withOpenAi.warnings).toEqual([
			expect.stringMatching(
				/^dall-e-3 is deprecated \(OpenAI retired DALL·E 3: .*2026-05-12.*\): use gpt-image-1; model "auto" never picks it\.$/,
			),
			expect.stringMatching(/^dall-e-2 is deprecated \(.*\): use gpt-image-1-mini; model "auto" never picks it\.$/),
		]);
		expect(withOpenAi.models.find((model) => model.name === 'dall-e-2')).toMatchObject({
			lifecycle: 'deprecated',
			replacement: 'gpt-image-1-mini',
			good_at: 'small, cheap square images',
		});
		expect(withOpenAi.models.find((model) => model.name === 'gpt-image-1.5')).toMatchObject({
			lifecycle: 'current',
			replacement: null,
		});

		// Not configured here, so nothing to warn about, even when listed as unavailable.
		const without = await listModels({}, { include_unavailable: true });
		expect(without.warnings).toEqual([]);
		expect(without.models.find((model) => model.name === 'dall-e-2')?.lifecycle).toBe('deprecated');
	});
});
