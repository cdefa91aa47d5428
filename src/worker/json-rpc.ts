/** JSON-RPC error responses for the HTTP edge (before any MCP server is involved). */
import {
	CallToolRequestSchema,
	CancelTaskRequestSchema,
	GetTaskPayloadRequestSchema,
	GetTaskRequestSchema,
	InitializeRequestSchema,
	JSONRPCMessageSchema,
	ListPromptsRequestSchema,
	ListResourcesRequestSchema,
	ListResourceTemplatesRequestSchema,
	ListTasksRequestSchema,
	ListToolsRequestSchema,
	PingRequestSchema,
	ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { clip } from '../text';

/** Codes: JSON-RPC 2.0 §5.1, plus -32001 for authentication as the MCP SDKs use it. */
export const JSON_RPC = {
	parseError: -32700,
	invalidRequest: -32600,
	invalidParams: -32602,
	unauthorized: -32001,
} as const;

export type JsonRpcId = string | number | null;

export function jsonRpcError(
	status: number,
	code: number,
	message: string,
	headers: HeadersInit = {},
	id: JsonRpcId = null,
): Response {
	return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }), {
		status,
		headers: { 'content-type': 'application/json', ...headers },
	});
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is string | number {
	return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** "a number", "an array", "null": what a wrong value was, for messages. */
function kindOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	const type = typeof value;
	return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/** The SDK's own schemas for the requests this server answers, to check params before the SDK does. */
const REQUEST_SCHEMAS = {
	initialize: InitializeRequestSchema,
	ping: PingRequestSchema,
	'tools/list': ListToolsRequestSchema,
	'tools/call': CallToolRequestSchema,
	'tasks/get': GetTaskRequestSchema,
	'tasks/result': GetTaskPayloadRequestSchema,
	'tasks/cancel': CancelTaskRequestSchema,
	'tasks/list': ListTasksRequestSchema,
	'resources/read': ReadResourceRequestSchema,
	'resources/list': ListResourcesRequestSchema,
	'resources/templates/list': ListResourceTemplatesRequestSchema,
	'prompts/list': ListPromptsRequestSchema,
} as const;

const MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params', 'result', 'error']);

export interface ShapeError {
	code: number;
	message: string;
	/** The offending request's id, when it has a usable one (JSON-RPC 2.0 §5: else null). */
	id?: JsonRpcId;
}

export const EXAMPLE = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';

/** Zod issues as "params.protocolVersion: Invalid input: expected string, received undefined". */
function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
	return issues
		.slice(0, 5)
		.map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : 'message'}: ${issue.message}`)
		.join('; ');
}

/** A request or notification: its method, params, and for the methods we serve, the params' shape. */
function checkRequest(
	message: Record<string, unknown>,
	invalid: (text: string, code?: number) => ShapeError,
): ShapeError | null {
	if (typeof message.method !== 'string' || message.method === '') {
		return invalid(
			`Invalid Request: "method" must be a method name such as "tools/list", not ${typeof message.method === 'string' ? 'an empty string' : kindOf(message.method)}.`,
		);
	}
	if ('params' in message && !isRecord(message.params)) {
		return invalid(
			`Invalid params: "params" must be an object, not ${kindOf(message.params)}.`,
			JSON_RPC.invalidParams,
		);
	}
	const params = message.params as Record<string, unknown> | undefined;
	if (params?._meta !== undefined && !isRecord(params._meta)) {
		return invalid(
			`Invalid params: params._meta must be an object, not ${kindOf(params._meta)}.`,
			JSON_RPC.invalidParams,
		);
	}
	if (message.method === 'tools/call') {
		if (!params || typeof params.name !== 'string') {
			return invalid('Invalid params: tools/call needs params.name, the tool name.', JSON_RPC.invalidParams);
		}
		if (params.arguments !== undefined && !isRecord(params.arguments)) {
			return invalid('Invalid params: params.arguments must be an object of named arguments.', JSON_RPC.invalidParams);
		}
	}
	// The SDK answers a request whose params fail its schema with -32603 and a raw schema dump.
	const schema = REQUEST_SCHEMAS[message.method as keyof typeof REQUEST_SCHEMAS];
	if (schema && 'id' in message) {
		const parsed = schema.safeParse({ method: message.method, params: message.params });
		if (!parsed.success) {
			return invalid(
				`Invalid params for ${message.method}: ${describeIssues(parsed.error.issues)}.`,
				JSON_RPC.invalidParams,
			);
		}
	}
	return null;
}

/** One message of a POST: the envelope, then the params of the methods we serve. */
function checkMessage(message: unknown): ShapeError | null {
	if (!isRecord(message) || message.jsonrpc !== '2.0') {
		const why = !isRecord(message)
			? `got ${kindOf(message)}`
			: message.jsonrpc === undefined
				? 'the "jsonrpc" member is missing'
				: `"jsonrpc" is ${clip(JSON.stringify(message.jsonrpc) ?? kindOf(message.jsonrpc), 61)}, not "2.0"`;
		return {
			code: JSON_RPC.invalidRequest,
			message: `Invalid Request: expected a JSON-RPC 2.0 object like ${EXAMPLE} (${why}).`,
		};
	}
	const id = isRequestId(message.id) ? message.id : null;
	const invalid = (text: string, code: number = JSON_RPC.invalidRequest): ShapeError => ({ code, message: text, id });
	if ('id' in message && !isRequestId(message.id)) {
		return invalid(
			`Invalid Request: "id" must be a string or an integer, not ${kindOf(message.id)} (leave it out for a notification).`,
		);
	}
	const unknown = Object.keys(message).filter((key) => !MEMBERS.has(key));
	if (unknown.length) {
		return invalid(
			`Invalid Request: unknown member(s) ${clip(unknown.map((key) => `"${key}"`).join(', '), 61)}. Allowed: jsonrpc, id, method, params.`,
		);
	}
	if (!('method' in message)) {
		// A response to a server request, which the SDK takes; only its shape is checked, below.
		if (!('result' in message || 'error' in message)) {
			return invalid(`Invalid Request: the "method" member is missing; it names the call, as in ${EXAMPLE}.`);
		}
	} else {
		const error = checkRequest(message, invalid);
		if (error) return error;
	}
	// Anything else the SDK's transport would call a parse error (-32700): say what it is.
	const whole = JSONRPCMessageSchema.safeParse(message);
	if (!whole.success) {
		return invalid(
			'method' in message
				? `Invalid Request: not a valid JSON-RPC request or notification; see ${EXAMPLE}.`
				: 'Invalid Request: a JSON-RPC response needs an "id" and either an object "result" or an "error" object with "code" and "message".',
		);
	}
	return null;
}

/**
 * Structural checks the SDK would answer with a misleading parse error (-32700) or a generic
 * internal error (-32603) and a raw schema dump: say instead what is wrong. Returns an error,
 * or null when the message (or every message of a batch) is well-formed enough for the SDK.
 */
export function checkJsonRpcShape(body: unknown): ShapeError | null {
	const batch = Array.isArray(body);
	const messages = batch ? body : [body];
	if (messages.length === 0) return { code: JSON_RPC.invalidRequest, message: 'Invalid Request: empty batch.' };
	for (const [index, message] of messages.entries()) {
		const error = checkMessage(message);
		if (!error) continue;
		// In a batch the error answers the whole POST, so it says which message and carries no id.
		return batch ? { code: error.code, message: `Batch item ${index}: ${error.message}`, id: null } : error;
	}
	return null;
}
