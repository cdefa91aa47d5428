/**
 * Every aspect ratio a model advertises can be requested (issue 15: Gemini flash's 1:4, 4:1,
 * 1:8 and 8:1 could not), and every ratio the argument takes gets an answer from every model:
 * a size, or a refusal that says what the model takes.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ASPECT_RATIOS, type GenerationRequest } from '../src/generation/request';
import { resolveGeneration } from '../src/generation/select';
import { configuredModels } from '../src/providers/catalog';

const allProviders = {
	...env,
	LOCAL_DEV: 'false',
	AI: {} as Ai,
	GEMINI_API_KEY: 'g',
	OPENAI_API_KEY: 'o',
	SD_WEBUI_URL: 'https://sd.example',
} as Env;
const URLS = { workerBase: 'http://localhost', r2Base: undefined };

describe('aspect ratios', () => {
	const models = configuredModels(allProviders);

	it('the argument takes every ratio any model advertises', () => {
		const advertised = new Set(
			models.flatMap((entry) => (entry.capabilities.size.kind === 'aspect' ? entry.capabilities.size.ratios : [])),
		);
		for (const ratio of advertised) expect(ASPECT_RATIOS as readonly string[]).toContain(ratio);
		expect([...advertised]).toEqual(expect.arrayContaining(['1:4', '4:1', '1:8', '8:1']));
	});

	it.each(['1:4', '4:1', '1:8', '8:1'])('flash makes %s', (ratio) => {
		const resolved = resolveGeneration(
			{ prompt: 'a banner', model: 'flash', aspect_ratio: ratio } as GenerationRequest,
			allProviders,
			undefined,
			URLS,
		);
		expect(resolved.ok, JSON.stringify(resolved)).toBe(true);
	});

	it.each(
		ASPECT_RATIOS.flatMap((ratio) => configuredModels(allProviders).map((entry) => [entry.alias, ratio] as const)),
	)('%s with aspect_ratio %s: a size, or a refusal naming what it takes', (model, ratio) => {
		const resolved = resolveGeneration(
			{ prompt: 'a banner', model, aspect_ratio: ratio } as GenerationRequest,
			allProviders,
			undefined,
			URLS,
		);
		if (resolved.ok) {
			expect(resolved.value.params.width).toBeGreaterThan(0);
		} else {
			expect(resolved.error).toMatch(/aspect_ratio|width|size|reference/i);
			expect(resolved.error).not.toMatch(/undefined|NaN/);
		}
	});
});
