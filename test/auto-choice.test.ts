/**
 * `model: "auto"` chooses well (issue 21): each request is read as an intent, the configured
 * models are ranked for it, and the first that takes every argument, is not deprecated, fits
 * the budget left and runs on its real provider wins. One row per request: the deployment,
 * the arguments, the budget left, and the model chosen (or the refusal), with a reason that
 * names the intent.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { selectAutoModel } from '../src/generation/auto';
import { GENERAL_RANKING, INTENTS } from '../src/generation/auto-intents';
import { MODEL_CATALOG } from '../src/providers/catalog';
import { generateInputSchema } from '../src/tools/generate.schema';
import { postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';
import { recordingQueue } from './helpers/users';

const URLS = { workerBase: 'https://img.example.com', r2Base: undefined };

/** Deployments: which providers are configured. */
const DEPLOYMENTS = {
	/** Deployed with no provider: only the offline test pattern. */
	offline: { LOCAL_DEV: 'false' },
	/** Workers AI only (and offline, which auto then leaves alone). */
	workersAi: { LOCAL_DEV: 'false', AI: {} as Ai },
	/** OpenAI, Gemini and Workers AI. */
	all: { LOCAL_DEV: 'false', AI: {} as Ai, OPENAI_API_KEY: 'sk-test', GEMINI_API_KEY: 'AIza-test' },
	openAi: { LOCAL_DEV: 'false', OPENAI_API_KEY: 'sk-test' },
	gemini: { LOCAL_DEV: 'false', GEMINI_API_KEY: 'AIza-test' },
	/** Workers AI and an operator's SD WebUI. */
	sdWebUi: { LOCAL_DEV: 'false', AI: {} as Ai, SD_WEBUI_URL: 'https://sd.example.com' },
	/** `npm run dev`: offline, and the Workers AI models as its stand-ins. */
	local: {},
} satisfies Record<string, Partial<Env>>;
type Deployment = keyof typeof DEPLOYMENTS;

/** What each intent is called in the reason. */
const INTENT_WORDS = {
	photo: 'a photographic request',
	illustration: 'an illustration/anime request',
	text: 'a logo/typography request',
	draft: 'a draft/fast request',
	quality: 'a highest-quality request',
	edit: 'an editing request with reference images',
	cutout: 'a transparent cut-out request',
	general: 'a general request',
} as const;
type Intent = keyof typeof INTENT_WORDS;

const REF = (n: number) => Array.from({ length: n }, (_, index) => `https://example.com/ref-${index}.png`);
const MASK = 'https://example.com/mask.png';

interface Row {
	deployment: Deployment;
	args: Record<string, unknown>;
	/** The budget left for this call in USD; absent: none known. */
	budget?: number;
	/** Extra settings (DEFAULT_MODEL). */
	settings?: Partial<Env>;
	intent: Intent;
	/** The model chosen, or the refusal expected. */
	expected: string | RegExp;
	/** Something the reason must also say: the deciding constraint. */
	because?: RegExp;
}

const ROWS: Row[] = [
	// Photographic.
	{
		deployment: 'all',
		args: { prompt: 'a photo of a red fox in snow at dawn' },
		intent: 'photo',
		expected: 'flux-2-dev',
		because: /first choice/,
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'photorealistic portrait of an old fisherman, 85mm' },
		intent: 'photo',
		expected: 'flux-2-dev',
	},
	{
		deployment: 'offline',
		args: { prompt: 'a photograph of a lighthouse' },
		intent: 'photo',
		expected: 'offline',
		because: /no model ranked for that is configured/,
	},
	{
		deployment: 'all',
		args: { prompt: 'realistic photo of a kitchen', negative_prompt: 'people' },
		intent: 'photo',
		expected: 'dreamshaper',
		because: /flux-2-dev ranks higher but cannot take a negative prompt/,
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'a photo of a cat', width: 1920, height: 1080 },
		intent: 'photo',
		expected: 'dreamshaper',
		because: /cannot take size 1920×1080/,
	},
	{ deployment: 'gemini', args: { prompt: 'DSLR shot of a mountain lake', seed: 7 }, intent: 'photo', expected: 'pro' },
	{ deployment: 'openAi', args: { prompt: 'stock photo of a handshake' }, intent: 'photo', expected: 'gpt-image-1.5' },
	{
		deployment: 'local',
		args: { prompt: 'a photo of a kite' },
		intent: 'photo',
		expected: 'offline',
		because: /flux-2-dev ranks higher but is only a local stand-in/,
	},
	// Illustration and anime.
	{
		deployment: 'workersAi',
		args: { prompt: 'an anime girl with a sword under cherry blossoms' },
		intent: 'illustration',
		expected: 'phoenix',
	},
	{
		deployment: 'all',
		args: { prompt: 'watercolor illustration of a fox' },
		intent: 'illustration',
		expected: 'phoenix',
	},
	{
		deployment: 'sdWebUi',
		args: { prompt: 'anime character design, cel-shaded' },
		intent: 'illustration',
		expected: 'sd-webui',
	},
	{ deployment: 'openAi', args: { prompt: 'a cartoon dog' }, intent: 'illustration', expected: 'gpt-image-1.5' },
	{
		deployment: 'gemini',
		args: { prompt: "a children's book illustration of a bear" },
		intent: 'illustration',
		expected: 'flash',
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'pixel art castle', width: 2400, height: 1200 },
		intent: 'illustration',
		expected: 'lucid-origin',
		because: /phoenix ranks higher but cannot take size 2400×1200/,
	},
	// Logo and typography: text in the image.
	{
		deployment: 'all',
		args: { prompt: 'a coffee shop logo with the words "BEAN THERE"' },
		intent: 'text',
		expected: 'gpt-image-1.5',
	},
	{ deployment: 'workersAi', args: { prompt: 'a poster for a jazz night' }, intent: 'text', expected: 'lucid-origin' },
	{ deployment: 'gemini', args: { prompt: 'a menu board for a taco stand' }, intent: 'text', expected: 'pro' },
	{
		deployment: 'all',
		args: { prompt: 'a neon sign that reads "OPEN"', seed: 3 },
		intent: 'text',
		expected: 'pro',
		because: /gpt-image-1\.5 ranks higher but cannot take a seed/,
	},
	{
		deployment: 'all',
		args: { prompt: 'logo for a bakery', background: 'transparent' },
		intent: 'text',
		expected: 'gpt-image-1.5',
	},
	{ deployment: 'offline', args: { prompt: 'a poster that says "SALE"' }, intent: 'text', expected: 'offline' },
	{
		deployment: 'workersAi',
		args: { prompt: 'typography poster', negative_prompt: 'blur' },
		intent: 'text',
		expected: 'phoenix',
		because: /lucid-origin ranks higher but cannot take a negative prompt/,
	},
	{
		deployment: 'openAi',
		args: { prompt: 'a birthday card with the caption "Happy 30th"' },
		intent: 'text',
		expected: 'gpt-image-1.5',
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'a shop front with „Bäckerei“ over the door' },
		intent: 'text',
		expected: 'lucid-origin',
		because: /first choice/,
	},
	// Drafts: fast and cheap.
	{ deployment: 'all', args: { prompt: 'a rough sketch of a robot' }, intent: 'draft', expected: 'flux-schnell' },
	{ deployment: 'gemini', args: { prompt: 'quick draft of a living room layout' }, intent: 'draft', expected: 'flash' },
	{
		deployment: 'openAi',
		args: { prompt: 'placeholder image for a blog post' },
		intent: 'draft',
		expected: 'gpt-image-1-mini',
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'draft: a castle on a hill', width: 512, height: 512 },
		intent: 'draft',
		expected: 'flux-2-klein-4b',
		because: /flux-schnell ranks higher but cannot take size 512×512/,
	},
	{
		deployment: 'all',
		args: { prompt: 'a tree', quality: 'low' },
		intent: 'draft',
		expected: 'gpt-image-1-mini',
		because: /cannot take quality "low"/,
	},
	// Highest quality.
	{ deployment: 'all', args: { prompt: 'an 8k render of a dragon, masterpiece' }, intent: 'quality', expected: 'pro' },
	{
		deployment: 'workersAi',
		args: { prompt: 'best quality landscape of the alps' },
		intent: 'quality',
		expected: 'flux-2-dev',
	},
	{
		deployment: 'all',
		args: { prompt: 'a city skyline at night', image_size: '4K' },
		intent: 'quality',
		expected: 'pro',
	},
	{
		deployment: 'openAi',
		args: { prompt: 'a bowl of fruit', quality: 'high' },
		intent: 'quality',
		expected: 'gpt-image-1.5',
	},
	{
		deployment: 'offline',
		args: { prompt: 'award-winning portrait of a cat' },
		intent: 'quality',
		expected: 'offline',
	},
	// Editing with reference images.
	{
		deployment: 'all',
		args: { prompt: 'same scene at night', reference_images: REF(2) },
		intent: 'edit',
		expected: 'flash',
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'make it winter', reference_images: REF(1) },
		intent: 'edit',
		expected: 'flux-2-klein-9b',
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'replace the sky', reference_images: REF(1), mask_image: MASK },
		intent: 'edit',
		expected: 'sd-1.5-inpainting',
		because: /cannot take a mask/,
	},
	{
		deployment: 'all',
		args: { prompt: 'replace the sky', reference_images: REF(1), mask_image: MASK },
		intent: 'edit',
		expected: 'gpt-image-1.5',
		because: /flash ranks higher but cannot take a mask/,
	},
	{
		deployment: 'openAi',
		args: { prompt: 'add a hat', reference_images: REF(1) },
		intent: 'edit',
		expected: 'gpt-image-1.5',
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'more contrast', reference_images: REF(1), strength: 0.5 },
		intent: 'edit',
		expected: 'sd-1.5-img2img',
		because: /cannot take strength 0\.5/,
	},
	{ deployment: 'all', args: { prompt: 'combine these', reference_images: REF(5) }, intent: 'edit', expected: 'flash' },
	{
		deployment: 'offline',
		args: { prompt: 'combine these', reference_images: REF(2) },
		intent: 'edit',
		expected: 'offline',
	},
	// A model that takes none of the references is never chosen; the test pattern is not a fallback.
	{
		deployment: 'workersAi',
		args: { prompt: 'combine these', reference_images: REF(5) },
		intent: 'edit',
		expected: /found no configured model that accepts all of these arguments.*name model "offline" for a placeholder/,
	},
	// Transparent cut-outs.
	{
		deployment: 'all',
		args: { prompt: 'a cat', background: 'transparent' },
		intent: 'cutout',
		expected: 'gpt-image-1.5',
	},
	{ deployment: 'openAi', args: { prompt: 'a sticker of a cat' }, intent: 'cutout', expected: 'gpt-image-1.5' },
	{
		deployment: 'workersAi',
		args: { prompt: 'a cat', background: 'transparent' },
		intent: 'cutout',
		expected: /found no configured model.*background: flux-schnell has no background option/,
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'a sticker of a cat' },
		intent: 'cutout',
		expected: 'flux-schnell',
		because: /comes first in the general order/,
	},
	// General: the deployment default when it takes the request.
	{
		deployment: 'workersAi',
		args: { prompt: 'a red fox in snow' },
		intent: 'general',
		expected: 'flux-schnell',
		because: /it is the deployment default/,
	},
	{ deployment: 'all', args: { prompt: 'a red fox in snow' }, intent: 'general', expected: 'flux-schnell' },
	{
		deployment: 'offline',
		args: { prompt: 'a kite' },
		intent: 'general',
		expected: 'offline',
		because: /deployment default/,
	},
	{
		deployment: 'all',
		args: { prompt: 'a kite' },
		settings: { DEFAULT_MODEL: 'pro' },
		intent: 'general',
		expected: 'pro',
		because: /deployment default/,
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'a kite', negative_prompt: 'clouds' },
		intent: 'general',
		expected: 'sdxl-lightning',
		because: /flux-schnell ranks higher but cannot take a negative prompt/,
	},
	{
		deployment: 'local',
		args: { prompt: 'a kite' },
		intent: 'general',
		expected: 'offline',
		because: /deployment default/,
	},
	{ deployment: 'gemini', args: { prompt: 'a kite' }, intent: 'general', expected: 'flash' },
	{
		deployment: 'all',
		args: { prompt: 'a panoramic view of mountains', aspect_ratio: '8:1' },
		intent: 'general',
		expected: 'flux-2-klein-4b',
		because: /flux-schnell ranks higher but cannot take aspect ratio 8:1/,
	},
	{ deployment: 'all', args: { prompt: 'a kite', count: 20 }, intent: 'general', expected: 'flux-schnell' },
	// Budgets: a model over what is left is passed over for a cheaper one that fits.
	{
		deployment: 'all',
		args: { prompt: 'a coffee shop logo "BEAN"' },
		budget: 0,
		intent: 'text',
		expected: 'sdxl-lightning',
		because: /gpt-image-1\.5 ranks higher but is estimated at \$0\.13 for 1 image, more than the \$0\.00 budget left/,
	},
	{
		deployment: 'all',
		args: { prompt: 'a photo of a fox', count: 4 },
		budget: 0.1,
		intent: 'photo',
		expected: 'flux-2-klein-9b',
		because: /flux-2-dev ranks higher but is estimated at \$0\.12 for 4 images, more than the \$0\.10 budget left/,
	},
	{
		deployment: 'workersAi',
		args: { prompt: 'a photo of a fox' },
		budget: 0,
		intent: 'photo',
		expected: 'dreamshaper',
	},
	{ deployment: 'all', args: { prompt: 'a red fox in snow' }, budget: 5, intent: 'general', expected: 'flux-schnell' },
	// No model that takes the request fits what is left: the cheapest, which the budget check then refuses.
	{
		deployment: 'openAi',
		args: { prompt: 'a logo "X"' },
		budget: 0.001,
		intent: 'text',
		expected: 'gpt-image-1-mini',
		because: /fits the \$0\.001 budget left for 1 image, so the cheapest, estimated at \$0\.04/,
	},
	{
		deployment: 'gemini',
		args: { prompt: 'a kite' },
		budget: 0,
		intent: 'general',
		expected: 'flash',
		because: /so the cheapest/,
	},
	// Deprecated models are never chosen.
	{
		deployment: 'all',
		args: { prompt: 'a kite' },
		settings: { DEFAULT_MODEL: 'dall-e-3' },
		intent: 'general',
		expected: 'flux-schnell',
		because: /dall-e-3 ranks higher but is deprecated/,
	},
	{
		deployment: 'openAi',
		args: { prompt: 'a kite', style: 'vivid' },
		intent: 'general',
		expected: /never picks a deprecated model, and only dall-e-3 \(deprecated\) takes these arguments/,
	},
	{
		deployment: 'openAi',
		args: { prompt: 'a small square icon', width: 256, height: 256 },
		intent: 'general',
		expected: /never picks a deprecated model, and only dall-e-2/,
	},
];

function choose(row: Row) {
	const deployment = { ...env, ...DEPLOYMENTS[row.deployment], ...row.settings } as Env;
	const input = generateInputSchema.parse({ model: 'auto', ...row.args });
	return selectAutoModel(input, deployment, deployment.DEFAULT_MODEL || undefined, URLS, {
		budgetLeftUsd: row.budget,
	});
}

describe('model: "auto" over a table of requests', () => {
	it('has at least 40 rows, every intent and every deployment', () => {
		expect(ROWS.length).toBeGreaterThanOrEqual(40);
		expect(new Set(ROWS.map((row) => row.intent))).toEqual(new Set(Object.keys(INTENT_WORDS)));
		expect(new Set(ROWS.map((row) => row.deployment))).toEqual(new Set(Object.keys(DEPLOYMENTS)));
	});

	it.each(
		ROWS.map((row) => [
			`${row.deployment}: ${JSON.stringify(row.args)}${row.budget === undefined ? '' : ` with $${row.budget} left`}`,
			row,
		]),
	)('%s', (_name, row) => {
		const chosen = choose(row);
		if (row.expected instanceof RegExp) {
			expect(chosen.ok ? `picked ${chosen.value.entry.alias}: ${chosen.value.reason}` : chosen.error).toMatch(
				row.expected,
			);
			return;
		}
		if (!chosen.ok) throw new Error(chosen.error);
		expect(chosen.value.entry.alias, chosen.value.reason).toBe(row.expected);
		expect(chosen.value.intent).toBe(row.intent);
		expect(chosen.value.reason).toContain(`auto: picked ${row.expected} for ${INTENT_WORDS[row.intent]} (`);
		if (row.because) expect(chosen.value.reason).toMatch(row.because);
		// One sentence.
		expect(chosen.value.reason.match(/\.\s/g) ?? []).toHaveLength(0);
		expect(chosen.value.entry.lifecycle.status).not.toBe('deprecated');
	});

	it('is deterministic: the same request gets the same answer', () => {
		for (const row of ROWS) expect(choose(row)).toEqual(choose(row));
	});

	it('ranks only models the catalog has, each once per intent', () => {
		const aliases = new Set(MODEL_CATALOG.map((entry) => entry.alias));
		for (const rule of INTENTS) {
			expect(
				rule.ranking.filter((alias) => !aliases.has(alias)),
				rule.intent,
			).toEqual([]);
			expect(new Set(rule.ranking).size, rule.intent).toBe(rule.ranking.length);
		}
		expect(GENERAL_RANKING.filter((alias) => !aliases.has(alias))).toEqual([]);
	});

	it('ranks no deprecated model, so a catalog change cannot make one a first choice', () => {
		const deprecated = MODEL_CATALOG.filter((entry) => entry.lifecycle.status === 'deprecated').map(
			(entry) => entry.alias,
		);
		expect(deprecated.length).toBeGreaterThan(0);
		for (const rule of INTENTS) expect(rule.ranking.filter((alias) => deprecated.includes(alias))).toEqual([]);
	});
});

describe('model: "auto" through generate_image', () => {
	async function generate(deployment: Partial<Env>, args: Record<string, unknown>): Promise<ToolResult> {
		// Deployed (LOCAL_DEV false) serves only a caller with a token.
		const response = await postWithEnv(
			// Priced jobs must never reach a provider: the queue only records them.
			{ ...deployment, AUTH_TOKEN: 'auto-choice-token', JOBS: recordingQueue().queue },
			rpcBody('tools/call', { name: 'generate_image', arguments: { model: 'auto', ...args } }),
			{ authorization: 'Bearer auto-choice-token' },
		);
		const body = (await response.json()) as { result?: ToolResult };
		if (!body.result) throw new Error(`generate_image answered ${JSON.stringify(body)}`);
		return body.result;
	}

	it("reads the caller's budget: with $0 left a text request goes to a free model, and says why", async () => {
		const result = await generate(
			{ ...DEPLOYMENTS.all, DAILY_BUDGET_USD: '0' },
			{ prompt: 'a poster that says "JAZZ NIGHT"' },
		);
		expect(result.isError, result.content[0]?.text).toBeUndefined();
		const json = textJson(result);
		expect(json.model).toBe('sdxl-lightning');
		expect(json.estimated_cost_usd).toBe(0);
		expect(json.model_choice).toMatch(
			/^auto: picked sdxl-lightning for a logo\/typography request .*more than the \$0\.00 budget left/,
		);
	});

	it('with no budget set, is told nothing and picks by the intent alone', async () => {
		const json = textJson(await generate(DEPLOYMENTS.all, { prompt: 'a poster that says "JAZZ NIGHT"' }));
		expect(json.model).toBe('gpt-image-1.5');
	});
});
