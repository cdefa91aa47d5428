/** JSON-RPC error responses for the HTTP edge (before any MCP server is involved). */

/** Codes: JSON-RPC 2.0 §5.1, plus -32001 for authentication as the MCP SDKs use it. */
export const JSON_RPC = {
	parseError: -32700,
	invalidRequest: -32600,
	invalidParams: -32602,
	unauthorized: -32001,
} as const;

export function jsonRpcError(status: number, code: number, message: string, headers: HeadersInit = {}): Response {
	return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
		status,
		headers: { 'content-type': 'application/json', ...headers },
	});
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Structural checks the SDK would answer with a generic internal error (-32603) and a raw
 * schema dump: say instead what is wrong. Returns an error message, or null when the
 * message (or every message of a batch) is well-formed enough to hand to the SDK.
 */
export function checkJsonRpcShape(body: unknown): { code: number; message: string } | null {
	const messages = Array.isArray(body) ? body : [body];
	if (messages.length === 0) return { code: JSON_RPC.invalidRequest, message: 'Invalid Request: empty batch.' };
	for (const message of messages) {
		if (!isRecord(message) || message.jsonrpc !== '2.0') {
			return {
				code: JSON_RPC.invalidRequest,
				message: 'Invalid Request: expected a JSON-RPC 2.0 object like {"jsonrpc":"2.0","id":1,"method":"tools/list"}.',
			};
		}
		if (message.method !== 'tools/call') continue;
		const params = message.params;
		if (!isRecord(params) || typeof params.name !== 'string') {
			return { code: JSON_RPC.invalidParams, message: 'Invalid params: tools/call needs params.name, the tool name.' };
		}
		if (params.arguments !== undefined && !isRecord(params.arguments)) {
			return {
				code: JSON_RPC.invalidParams,
				message: 'Invalid params: params.arguments must be an object of named arguments.',
			};
		}
	}
	return null;
}

/** Larger than any valid request (prompts are ≤ 4,000 characters, 20 job ids per wait). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads, size-checks, parses and shape-checks a JSON-RPC POST body, or says what is wrong. */
export async function readJsonRpcBody(
	request: Request,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
	const tooLarge = () => ({
		ok: false as const,
		response: jsonRpcError(
			413,
			JSON_RPC.invalidRequest,
			`Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`,
		),
	});
	if (Number(request.headers.get('content-length') ?? '0') > MAX_BODY_BYTES) return tooLarge();
	const text = await request.text();
	if (text.length > MAX_BODY_BYTES) return tooLarge();
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return {
			ok: false,
			response: jsonRpcError(400, JSON_RPC.parseError, 'Parse error: the request body is not valid JSON.'),
		};
	}
	const shapeError = checkJsonRpcShape(body);
	if (shapeError) return { ok: false, response: jsonRpcError(400, shapeError.code, shapeError.message) };
	return { ok: true, body };
}
