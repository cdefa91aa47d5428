/**
 * The OpenAI-compatible endpoint (issue 20) driven by the official `openai` npm client against a
 * real `wrangler dev`, as any tool that lets a user set a base URL would: images come back as
 * base64 or as a URL that serves the image, the models list names ours, and a bad request is
 * the client's own BadRequestError carrying our message.
 */
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sniffImage } from '../../src/storage/sniff';
import { type DevServer, startDevServer } from './dev-server';
import { printServerLogsOnFailure } from './helpers';

let server: DevServer;
let client: OpenAI;

beforeAll(async () => {
	server = await startDevServer();
	// A token-less local server serves loopback clients without a token; the client insists on a key.
	client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed-locally', maxRetries: 0 });
});

afterAll(async () => {
	await server?.stop();
});

printServerLogsOnFailure(() => [server]);

describe('the official openai client', () => {
	it('generates an image as b64_json: a PNG of the size asked', async () => {
		const response = await client.images.generate({
			model: 'offline',
			prompt: 'a lighthouse at dusk',
			size: '256x256',
			response_format: 'b64_json',
		});
		expect(Number.isInteger(response.created)).toBe(true);
		expect(response.data).toHaveLength(1);
		const b64 = response.data?.[0]?.b64_json;
		expect(b64).toBeTypeOf('string');
		const image = sniffImage(new Uint8Array(Buffer.from(b64 ?? '', 'base64')));
		expect(image).toMatchObject({ contentType: 'image/png', width: 256, height: 256 });
	});

	it('generates images as URLs that serve them', async () => {
		const response = await client.images.generate({
			model: 'offline',
			prompt: 'two paper kites',
			size: '256x256',
			n: 2,
			response_format: 'url',
		});
		expect(response.data).toHaveLength(2);
		for (const item of response.data ?? []) {
			expect(item.url).toMatch(new RegExp(`^${server.url}/images/`));
			const fetched = await fetch(item.url ?? '');
			expect(fetched.status).toBe(200);
			expect(fetched.headers.get('content-type')).toBe('image/png');
			expect(sniffImage(new Uint8Array(await fetched.arrayBuffer()))).toMatchObject({ width: 256, height: 256 });
		}
	});

	it('lists the models, offline among them, and retrieves one', async () => {
		const ids: string[] = [];
		for await (const model of client.models.list()) ids.push(model.id);
		expect(ids).toContain('offline');
		expect(await client.models.retrieve('offline')).toMatchObject({ id: 'offline', object: 'model' });
	});

	it('surfaces a bad request as BadRequestError with our message and the param', async () => {
		const error = await client.images
			.generate({ model: 'offline', prompt: 'too big', size: '5000x5000' as '1024x1024' })
			.then(
				() => undefined,
				(thrown: unknown) => thrown,
			);
		expect(error).toBeInstanceOf(BadRequestError);
		const refused = error as BadRequestError;
		expect(refused.status).toBe(400);
		expect(refused.param).toBe('size');
		expect(refused.message).toContain('offline cannot make 5000x5000');
	});
});
