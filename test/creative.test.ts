/**
 * Creative control (issue 21): the style library, per-user preferences, variations and
 * confirmation before spending, each through MCP with real D1 and the queue, scoped per user,
 * with every limit at its maximum and one past it.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { styles } from '../src/db/schema';
import { MAX_PROMPT_CHARS } from '../src/generation/request';
import { MAX_STYLES_PER_OWNER } from '../src/jobs/styles';
import { combineWithBrief, plainBrief } from '../src/tools/generation-plan';
import { MAX_STYLE_BRIEF_BYTES } from '../src/tools/styles.tools';
import { MAX_VARIATIONS } from '../src/tools/variations.tools';
import { createApp } from '../src/worker/app';
import { postWithEnv, rpcBody, type ToolResult, textJson } from './helpers/mcp';
import { callAs, recordingQueue, usersEnv } from './helpers/users';

function unique(name: string): string {
	return `${name}-${crypto.randomUUID().slice(0, 8)}`;
}

const FREE = { prompt: 'a paper kite over a hill', model: 'offline', width: 64, height: 64 };

function structured(result: ToolResult): Record<string, unknown> {
	if (result.isError) throw new Error(`unexpected error: ${result.content[0]?.text}`);
	return result.structuredContent!;
}

/** The message of an `isError` result, as the model reads it. */
function errorText(result: ToolResult): string {
	expect(result.isError).toBe(true);
	return (textJson(result) as { error: string }).error;
}

const jobRow = (id: string) =>
	env.DB.prepare('SELECT prompt, model, params, seed, owner FROM jobs WHERE id = ?')
		.bind(id)
		.first<{ prompt: string; model: string; params: string; seed: number; owner: string }>();

const jobCount = (owner: string) =>
	env.DB.prepare('SELECT count(*) AS n FROM jobs WHERE owner = ?').bind(owner).first<number>('n');

describe('the style library', () => {
	it('saves, lists, gets and deletes a style, scoped to its owner', async () => {
		const alice = unique('alice');
		const bob = unique('bob');
		const bindings = await usersEnv([{ id: alice }, { id: bob }]);
		const saved = structured(
			await callAs(bindings, alice, 'save_style', {
				name: 'cyberpunk-night',
				brief: '# Cyberpunk night\n- neon reflections on wet streets\n- **magenta and teal** palette',
				tags: ['neon', 'city'],
				defaults: { aspect_ratio: '16:9' },
			}),
		);
		expect(saved).toMatchObject({ created: true, name: 'cyberpunk-night', resource_uri: 'style://cyberpunk-night' });
		const replaced = structured(
			await callAs(bindings, alice, 'save_style', { name: 'cyberpunk-night', brief: 'neon rain', tags: ['neon'] }),
		);
		expect(replaced).toMatchObject({ created: false, brief: 'neon rain' });

		const listed = structured(await callAs(bindings, alice, 'list_styles', { tag: 'neon' }));
		expect((listed.styles as { name: string }[]).map((style) => style.name)).toEqual(['cyberpunk-night']);
		expect(structured(await callAs(bindings, alice, 'get_style', { name: 'cyberpunk-night' }))).toMatchObject({
			brief: 'neon rain',
		});

		// Bob sees none of Alice's.
		expect(structured(await callAs(bindings, bob, 'list_styles', {})).count).toBe(0);
		expect(errorText(await callAs(bindings, bob, 'get_style', { name: 'cyberpunk-night' }))).toContain(
			'no style "cyberpunk-night"',
		);
		expect(errorText(await callAs(bindings, bob, 'delete_style', { name: 'cyberpunk-night' }))).toContain(
			'no style "cyberpunk-night" of yours',
		);

		expect(structured(await callAs(bindings, alice, 'delete_style', { name: 'cyberpunk-night' }))).toMatchObject({
			deleted: true,
		});
		expect(structured(await callAs(bindings, alice, 'list_styles', {})).count).toBe(0);
	});

	it('checks the name rule, the brief size and the library size at the limit and one past it', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const longest = 'a'.repeat(64);
		expect(structured(await callAs(bindings, alice, 'save_style', { name: longest, brief: 'x' })).name).toBe(longest);
		expect(errorText(await callAs(bindings, alice, 'save_style', { name: `${longest}a`, brief: 'x' }))).toContain(
			'name: must be 1–64 characters',
		);
		expect(errorText(await callAs(bindings, alice, 'save_style', { name: 'Night', brief: 'x' }))).toContain('name:');
		expect(errorText(await callAs(bindings, alice, 'save_style', { name: 'vivid', brief: 'x' }))).toContain(
			"taken by dall-e-3's own style option",
		);

		const fullBrief = 'é'.repeat(MAX_STYLE_BRIEF_BYTES / 2);
		expect(structured(await callAs(bindings, alice, 'save_style', { name: 'full', brief: fullBrief })).created).toBe(
			true,
		);
		expect(errorText(await callAs(bindings, alice, 'save_style', { name: 'over', brief: `${fullBrief}a` }))).toContain(
			`brief: is longer than ${MAX_STYLE_BRIEF_BYTES} bytes`,
		);

		// Fill the library to one short of the limit, then the last one fits and the next does not.
		const have = structured(await callAs(bindings, alice, 'list_styles', {})).count as number;
		const now = Date.now();
		const rows = Array.from({ length: MAX_STYLES_PER_OWNER - 1 - have }, (_, i) => ({
			owner: alice,
			name: `filler-${i}`,
			brief: 'x',
			tags: [],
			defaults: {},
			createdAt: now,
			updatedAt: now,
		}));
		for (let i = 0; i < rows.length; i += 10)
			await getDb(env)
				.insert(styles)
				.values(rows.slice(i, i + 10));
		expect(structured(await callAs(bindings, alice, 'save_style', { name: 'last-one', brief: 'x' })).created).toBe(
			true,
		);
		const refused = errorText(await callAs(bindings, alice, 'save_style', { name: 'one-too-many', brief: 'x' }));
		expect(refused).toContain(`you already have ${MAX_STYLES_PER_OWNER} styles`);
		// Replacing one at the limit still works.
		expect(structured(await callAs(bindings, alice, 'save_style', { name: 'last-one', brief: 'y' })).created).toBe(
			false,
		);
	});

	it('lets an admin publish a style every user reads, and only an admin', async () => {
		const root = unique('root');
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: root, role: 'admin' }, { id: alice }]);
		const name = unique('house');
		expect(errorText(await callAs(bindings, alice, 'save_style', { name, brief: 'x', published: true }))).toContain(
			'published: publishing a style for everyone needs the admin role',
		);
		structured(await callAs(bindings, root, 'save_style', { name, brief: 'the house look', published: true }));
		expect(structured(await callAs(bindings, alice, 'get_style', { name }))).toMatchObject({
			published: true,
			brief: 'the house look',
		});
		// Her own of the same name wins for her.
		structured(await callAs(bindings, alice, 'save_style', { name, brief: 'my look' }));
		expect(structured(await callAs(bindings, alice, 'get_style', { name })).brief).toBe('my look');
		structured(await callAs(bindings, root, 'delete_style', { name, published: true }));
	});

	it('combines the brief with the prompt, fills the defaults the call leaves out, and records both prompts', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		structured(
			await callAs(bindings, alice, 'save_style', {
				name: 'ink',
				brief: '- black ink\n- *cross-hatching*',
				defaults: { model: 'offline', aspect_ratio: '3:2' },
			}),
		);
		const started = structured(
			await callAs(bindings, alice, 'generate_image', { prompt: 'a lighthouse', style: 'ink' }),
		);
		expect(started).toMatchObject({ style: 'ink', prompt_given: 'a lighthouse', model: 'offline' });
		const row = (await jobRow(started.job_id as string))!;
		expect(row.prompt).toBe('a lighthouse\n\nStyle: black ink; cross-hatching');
		expect(JSON.parse(row.params)).toMatchObject({
			aspect_ratio: '3:2',
			style_name: 'ink',
			prompt_given: 'a lighthouse',
		});

		const status = structured(await callAs(bindings, alice, 'get_job_status', { job_id: started.job_id }));
		expect(status).toMatchObject({ style: 'ink', prompt_given: 'a lighthouse', aspect_ratio: '3:2' });

		// What the call gives wins over the style's defaults.
		const sized = structured(
			await callAs(bindings, alice, 'generate_image', { prompt: 'a boat', style: 'ink', width: 64, height: 64 }),
		);
		expect(sized).toMatchObject({ width: 64, height: 64 });

		const unknown = errorText(await callAs(bindings, alice, 'generate_image', { prompt: 'x', style: 'no-such' }));
		expect(unknown).toContain('style: no style "no-such"');
	});

	it('writes the brief as descriptors for Stable Diffusion and keeps the whole within the prompt limit', () => {
		expect(plainBrief('# Title\n1. one\n* two **bold**')).toBe('Title; one; two bold');
		expect(combineWithBrief('a cat', 'oil paint; thick strokes', 'sdxl-base')).toBe('a cat, oil paint, thick strokes');
		expect(combineWithBrief('a cat', 'oil paint', 'flux-schnell')).toBe('a cat\n\nStyle: oil paint');
		const long = combineWithBrief('p'.repeat(MAX_PROMPT_CHARS - 20), 'word '.repeat(100), 'flux-schnell');
		expect(long.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
		expect(long.endsWith('word')).toBe(true);
	});
});

describe('preferences', () => {
	it('uses my default model and size when a call names none, until I clear them', async () => {
		const alice = unique('alice');
		const bob = unique('bob');
		const bindings = await usersEnv([{ id: alice }, { id: bob }]);
		const set = structured(
			await callAs(bindings, alice, 'set_preferences', { default_model: 'offline', default_size: '96x64' }),
		);
		expect(set).toMatchObject({ default_model: 'offline', default_size: '96x64' });
		const started = structured(await callAs(bindings, alice, 'generate_image', { prompt: 'a red door' }));
		expect(started).toMatchObject({ model: 'offline', width: 96, height: 64 });
		// Bob's calls are not touched by Alice's preferences.
		const his = structured(await callAs(bindings, bob, 'generate_image', { prompt: 'a red door', model: 'offline' }));
		expect(his.width).not.toBe(96);

		expect(structured(await callAs(bindings, alice, 'get_preferences', {}))).toMatchObject({ default_size: '96x64' });
		structured(await callAs(bindings, alice, 'set_preferences', { default_size: null }));
		expect(structured(await callAs(bindings, alice, 'get_preferences', {}))).toMatchObject({
			default_model: 'offline',
			default_size: null,
		});
	});

	it('refuses a model not configured here and a size that is neither a ratio nor WIDTHxHEIGHT', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		expect(errorText(await callAs(bindings, alice, 'set_preferences', { default_model: 'dall-e-3' }))).toContain(
			'default_model: "dall-e-3" is not a model configured here',
		);
		expect(errorText(await callAs(bindings, alice, 'set_preferences', { default_size: 'huge' }))).toContain(
			'default_size: "huge" is neither',
		);
		expect(errorText(await callAs(bindings, alice, 'set_preferences', { confirm_above_usd: -1 }))).toContain(
			'confirm_above_usd',
		);
	});

	it('turns inline previews off for my results when I prefer none', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const withPreview = await callAs(bindings, alice, 'generate_image_and_wait', FREE);
		expect(withPreview.content.filter((block) => block.type === 'image')).toHaveLength(1);
		structured(await callAs(bindings, alice, 'set_preferences', { previews: 'none' }));
		const without = await callAs(bindings, alice, 'generate_image_and_wait', FREE);
		expect(structured(without).done).toBe(true);
		expect(without.content.filter((block) => block.type === 'image')).toHaveLength(0);
		// The call still wins over the preference.
		const asked = await callAs(bindings, alice, 'generate_image_and_wait', { ...FREE, preview: 'auto' });
		expect(asked.content.filter((block) => block.type === 'image')).toHaveLength(1);
	});
});

describe('generate_variations', () => {
	it('makes new jobs from mine with fresh seeds, each recording its parent', async () => {
		const alice = unique('alice');
		const bindings = await usersEnv([{ id: alice }]);
		const parent = structured(await callAs(bindings, alice, 'generate_image', { ...FREE, seed: 7 }));
		const made = structured(await callAs(bindings, alice, 'generate_variations', { job_id: parent.job_id, count: 2 }));
		expect(made).toMatchObject({ count: 2, parent_job_id: parent.job_id, prompt: FREE.prompt, width: 64 });
		const rows = await Promise.all((made.job_ids as string[]).map((id) => jobRow(id)));
		for (const row of rows) {
			expect(JSON.parse(row!.params).parent_job_id).toBe(parent.job_id);
			expect(row!.seed).not.toBe(7);
		}
		const status = structured(await callAs(bindings, alice, 'get_job_status', { job_id: made.job_id }));
		expect(status.parent_job_id).toBe(parent.job_id);

		const overridden = structured(
			await callAs(bindings, alice, 'generate_variations', {
				job_id: parent.job_id,
				overrides: { prompt: 'the same kite at night', aspect_ratio: '16:9' },
			}),
		);
		expect(overridden).toMatchObject({ prompt: 'the same kite at night', parent_job_id: parent.job_id });
		expect((overridden.width as number) > (overridden.height as number)).toBe(true);
	});

	it('takes 1–MAX_VARIATIONS, and only my own jobs', async () => {
		const alice = unique('alice');
		const bob = unique('bob');
		const bindings = await usersEnv([{ id: alice }, { id: bob }]);
		const parent = structured(await callAs(bindings, alice, 'generate_image', FREE));
		const max = structured(
			await callAs(bindings, alice, 'generate_variations', { job_id: parent.job_id, count: MAX_VARIATIONS }),
		);
		expect(max.count).toBe(MAX_VARIATIONS);
		expect(
			errorText(
				await callAs(bindings, alice, 'generate_variations', { job_id: parent.job_id, count: MAX_VARIATIONS + 1 }),
			),
		).toContain(`count: Too big; allowed: 1–${MAX_VARIATIONS}`);
		const before = await jobCount(bob);
		expect(errorText(await callAs(bindings, bob, 'generate_variations', { job_id: parent.job_id }))).toContain(
			'no job',
		);
		expect(await jobCount(bob)).toBe(before);
	});
});

describe('confirmation before spending', () => {
	const PRICED = { prompt: 'a paper boat', model: 'dall-e-2', width: 1024, height: 1024 };

	async function pricedSetup(extra: Partial<Env> = {}) {
		const alice = unique('alice');
		const { queue, sent } = recordingQueue();
		const bindings = await usersEnv([{ id: alice }], { OPENAI_API_KEY: 'test', JOBS: queue, ...extra });
		return { alice, bindings, sent };
	}

	function quoteOf(result: ToolResult) {
		const body = textJson(result) as { confirmation: string; estimated_cost_usd: number; error: string };
		expect(result.isError).toBe(true);
		return body;
	}

	it('answers a quote above the threshold and proceeds with its token, once', async () => {
		const { alice, bindings, sent } = await pricedSetup({ CONFIRM_ABOVE_USD: '0.01' });
		const quoted = quoteOf(await callAs(bindings, alice, 'generate_image', PRICED));
		expect(quoted).toMatchObject({ confirmation_required: true, model: 'dall-e-2', count: 1, threshold_usd: 0.01 });
		expect(quoted.error).toContain('Confirmation needed');
		expect(await jobCount(alice)).toBe(0);
		expect(sent).toHaveLength(0);

		const confirmed = structured(
			await callAs(bindings, alice, 'generate_image', { ...PRICED, confirmation: quoted.confirmation }),
		);
		expect(confirmed.status).toBe('pending');
		expect(await jobCount(alice)).toBe(1);

		const reused = quoteOf(
			await callAs(bindings, alice, 'generate_image', { ...PRICED, confirmation: quoted.confirmation }),
		);
		expect(reused.error).toContain('that token was already used; nothing was created');
		expect(await jobCount(alice)).toBe(1);
		// Free models never ask.
		structured(await callAs(bindings, alice, 'generate_image', FREE));
	});

	it('refuses an expired token and a token given for a different call', async () => {
		const { alice, bindings } = await pricedSetup({ CONFIRM_ABOVE_USD: '0.01' });
		const first = quoteOf(await callAs(bindings, alice, 'generate_image', PRICED));
		const other = quoteOf(
			await callAs(bindings, alice, 'generate_image', {
				...PRICED,
				prompt: 'another boat',
				confirmation: first.confirmation,
			}),
		);
		expect(other.error).toContain('was given for a different call');

		await env.DB.prepare('UPDATE confirmations SET expires_at = ? WHERE owner = ?')
			.bind(Date.now() - 1, alice)
			.run();
		const expired = quoteOf(
			await callAs(bindings, alice, 'generate_image', { ...PRICED, confirmation: first.confirmation }),
		);
		expect(expired.error).toContain('that token has expired');
		expect(await jobCount(alice)).toBe(0);
	});

	it("takes the lower of the deployment's threshold and mine", async () => {
		const { alice, bindings } = await pricedSetup();
		// No threshold at all: the priced call just starts.
		structured(await callAs(bindings, alice, 'generate_image', PRICED));
		structured(await callAs(bindings, alice, 'set_preferences', { confirm_above_usd: 0 }));
		const quoted = quoteOf(await callAs(bindings, alice, 'generate_image', PRICED));
		expect(quoted).toMatchObject({ threshold_usd: 0 });
	});

	it('answers the REST API with 428 and the quote, and the same request with the token goes ahead', async () => {
		const { alice, bindings } = await pricedSetup({ CONFIRM_ABOVE_USD: '0' });
		const post = (body: unknown) =>
			createApp().fetch(
				new Request('http://localhost/api/v1/generations', {
					method: 'POST',
					headers: { authorization: `Bearer token-${alice}`, 'content-type': 'application/json' },
					body: JSON.stringify(body),
				}),
				{ ...env, ...bindings },
				createExecutionContext(),
			);
		const quoted = await post(PRICED);
		expect(quoted.status).toBe(428);
		const problem = (await quoted.json()) as { type: string; confirmation: string };
		expect(problem.type).toBe('urn:image-mcp:problem:confirmation-required');
		const confirmed = await post({ ...PRICED, confirmation: problem.confirmation });
		expect(confirmed.status).toBe(202);
	});
});

describe('styles as MCP resources, a prompt and completion', () => {
	async function rpc(bindings: Partial<Env>, user: string, method: string, params: unknown) {
		const response = await postWithEnv(bindings, rpcBody(method, params), { authorization: `Bearer token-${user}` });
		return (await response.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
	}

	it('lists, reads and completes style://<name>, and apply_style gives the brief, for the owner only', async () => {
		const alice = unique('alice');
		const bob = unique('bob');
		const bindings = await usersEnv([{ id: alice }, { id: bob }]);
		structured(
			await callAs(bindings, alice, 'save_style', {
				name: 'ink-wash',
				brief: 'soft ink wash, rice paper',
				tags: ['ink'],
			}),
		);
		const templates = (await rpc(bindings, alice, 'resources/templates/list', {})).result!.resourceTemplates as {
			uriTemplate: string;
		}[];
		expect(templates.map((template) => template.uriTemplate)).toContain('style://{name}');
		const listed = (await rpc(bindings, alice, 'resources/list', {})).result!.resources as { uri: string }[];
		expect(listed.map((resource) => resource.uri)).toContain('style://ink-wash');

		const read = await rpc(bindings, alice, 'resources/read', { uri: 'style://ink-wash' });
		const [content] = read.result!.contents as { mimeType: string; text: string }[];
		expect(content).toMatchObject({ mimeType: 'text/markdown' });
		expect(content!.text).toContain('soft ink wash, rice paper');
		expect(content!.text).toContain('style: "ink-wash"');
		expect((await rpc(bindings, bob, 'resources/read', { uri: 'style://ink-wash' })).error?.code).toBe(-32002);

		const completed = await rpc(bindings, alice, 'completion/complete', {
			ref: { type: 'ref/resource', uri: 'style://{name}' },
			argument: { name: 'name', value: 'ink' },
		});
		expect((completed.result!.completion as { values: string[] }).values).toEqual(['ink-wash']);
		const forPrompt = await rpc(bindings, bob, 'completion/complete', {
			ref: { type: 'ref/prompt', name: 'apply_style' },
			argument: { name: 'style', value: '' },
		});
		expect((forPrompt.result!.completion as { values: string[] }).values).toEqual([]);

		const prompt = await rpc(bindings, alice, 'prompts/get', {
			name: 'apply_style',
			arguments: { style: 'ink-wash', subject: 'a heron in reeds' },
		});
		const [message] = prompt.result!.messages as { content: { text: string } }[];
		expect(message!.content.text).toContain('soft ink wash, rice paper');
		expect(message!.content.text).toContain('style: "ink-wash"');
		const unknown = await rpc(bindings, bob, 'prompts/get', {
			name: 'apply_style',
			arguments: { style: 'ink-wash', subject: 'x' },
		});
		expect(unknown.error).toMatchObject({ code: -32602, message: expect.stringContaining('no style "ink-wash"') });
	});
});
