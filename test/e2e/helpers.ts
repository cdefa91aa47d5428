/// <reference types="node" />
/**
 * Small tools the e2e tests share: MCP SDK clients for a dev server, a curl-like JSON-RPC
 * POST, and a PNG reader that checks an image really decodes (not only that it starts with
 * the PNG signature), using nothing but node:zlib.
 */

import { crc32, inflateSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport, type SSEClientTransportOptions } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeEach, expect } from 'vitest';

/** Lower-case UUID v4, what job ids are. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export { EXPECTED_TOOLS } from '../helpers/expected-tools';

/**
 * Connects the official SDK client over Streamable HTTP and lists the tools once, so that the
 * client validates every later `structuredContent` against the tool's outputSchema.
 */
export async function connectClient(serverUrl: string, headers: Record<string, string> = {}): Promise<Client> {
	const client = new Client({ name: 'image-mcp-e2e', version: '1.0.0' });
	const transport = new StreamableHTTPClientTransport(new URL(`${serverUrl}/mcp`), { requestInit: { headers } });
	await client.connect(transport);
	await client.listTools();
	return client;
}

/**
 * Connects the official SDK client over the legacy HTTP+SSE transport (MCP 2024-11-05):
 * `GET <server>/sse`, then POSTs to the endpoint its first event names. `connect` resolves
 * once initialize has been answered on the stream. In SDK 1.32 `requestInit.headers` reach
 * both the stream's GET and the POSTs.
 */
export async function connectSseClient(serverUrl: string, options: SSEClientTransportOptions = {}): Promise<Client> {
	const client = new Client({ name: 'image-mcp-e2e-sse', version: '1.0.0' });
	await client.connect(new SSEClientTransport(new URL(`${serverUrl}/sse`), options));
	return client;
}

/** The SDK's `callTool` result narrowed to the current (non-legacy) shape. */
export async function callTool(
	client: Client,
	name: string,
	args: Record<string, unknown>,
	options?: Parameters<Client['callTool']>[2],
): Promise<CallToolResult> {
	return (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
}

/** The text of the result's first content block, which every tool makes JSON. */
export function firstText(result: CallToolResult): string {
	const block = result.content[0];
	if (block?.type !== 'text') throw new Error(`First content block is ${block?.type ?? 'missing'}, not text.`);
	return block.text;
}

export interface RawResponse {
	status: number;
	headers: Headers;
	text: string;
	/** The body parsed as JSON, or undefined when it is empty or not JSON. */
	// biome-ignore lint/suspicious/noExplicitAny: tests index straight into arbitrary JSON-RPC bodies.
	json: any;
}

/**
 * POSTs to /mcp the way the seed's curl scripts do: only `Content-Type: application/json`
 * (Node's fetch adds `Accept: *\/*`, as curl does), no session, no initialize first.
 */
export async function postMcp(
	serverUrl: string,
	body: unknown,
	headers: Record<string, string> = {},
): Promise<RawResponse> {
	return send(`${serverUrl}/mcp`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
}

/** Any request, with the body read as text and, when it is JSON, parsed. */
export async function send(url: string, init: RequestInit = {}): Promise<RawResponse> {
	const response = await fetch(url, init);
	const text = await response.text();
	let json: unknown;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

let requestCounter = 0;

/** A JSON-RPC `tools/call` request body with a fresh id. */
export function toolCallRequest(name: string, args: Record<string, unknown>) {
	return { jsonrpc: '2.0', id: ++requestCounter, method: 'tools/call', params: { name, arguments: args } };
}

export interface DecodedPng {
	width: number;
	height: number;
	bitDepth: number;
	colourType: number;
	interlace: number;
	/** The inflated IDAT stream: one filter byte then the pixels, per scanline. */
	scanlines: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads a PNG far enough to trust it: signature, every chunk's CRC, IHDR, and the IDAT
 * stream inflated. Throws on anything malformed.
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
	const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (!buffer.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('Not a PNG: bad signature.');
	let offset = 8;
	let header: Omit<DecodedPng, 'scanlines'> | undefined;
	const idat: Buffer[] = [];
	let sawEnd = false;
	while (offset < buffer.length && !sawEnd) {
		const length = buffer.readUInt32BE(offset);
		const type = buffer.toString('latin1', offset + 4, offset + 8);
		const dataStart = offset + 8;
		const dataEnd = dataStart + length;
		if (dataEnd + 4 > buffer.length) throw new Error(`PNG chunk ${type} runs past the end of the file.`);
		const expectedCrc = buffer.readUInt32BE(dataEnd);
		if (crc32(buffer.subarray(offset + 4, dataEnd)) !== expectedCrc) throw new Error(`PNG chunk ${type}: bad CRC.`);
		const data = buffer.subarray(dataStart, dataEnd);
		if (type === 'IHDR') {
			header = {
				width: data.readUInt32BE(0),
				height: data.readUInt32BE(4),
				bitDepth: data[8]!,
				colourType: data[9]!,
				interlace: data[12]!,
			};
		} else if (type === 'IDAT') {
			idat.push(data);
		} else if (type === 'IEND') {
			sawEnd = true;
		}
		offset = dataEnd + 4;
	}
	if (!header) throw new Error('PNG has no IHDR chunk.');
	if (!sawEnd) throw new Error('PNG has no IEND chunk.');
	if (idat.length === 0) throw new Error('PNG has no IDAT chunk.');
	return { ...header, scanlines: inflateSync(Buffer.concat(idat)) };
}

/**
 * Prints the end of each server's wrangler output when a test fails: a failure in e2e is often
 * explained only there (a reload, a worker exception, a queue retry).
 */
export function printServerLogsOnFailure(servers: () => Array<{ url: string; logs(): string } | undefined>): void {
	beforeEach(({ onTestFailed }) => {
		onTestFailed(() => {
			for (const server of servers()) {
				if (server) console.error(`--- wrangler dev at ${server.url}, last output ---\n${server.logs().slice(-6000)}`);
			}
		});
	});
}

/**
 * Starts a slow job and waits for it with `onprogress`, then checks what both transports
 * promise: at least one progress notification, all before the completed result, each with a
 * message, in ascending order.
 */
export async function expectProgressBeforeResult(client: Client, prompt: string): Promise<void> {
	const created = await callTool(client, 'generate_image', { prompt });
	const jobId = (created.structuredContent as { job_id: string }).job_id;
	const events: string[] = [];
	const progress: { progress: number; message?: string }[] = [];
	const result = await callTool(
		client,
		'wait_for_completion',
		{ job_id: jobId },
		{
			onprogress: (update) => {
				events.push('progress');
				progress.push(update);
			},
			timeout: 30_000,
		},
	);
	events.push('result');

	expect(result.isError, firstText(result)).toBeFalsy();
	expect(result.structuredContent).toMatchObject({ status: 'completed', done: true });
	expect(progress.length).toBeGreaterThanOrEqual(1);
	expect(events.indexOf('result')).toBe(progress.length);
	for (const update of progress) expect(update.message).toEqual(expect.any(String));
	const values = progress.map((update) => update.progress);
	expect(values).toEqual([...values].sort((a, b) => a - b));
}
