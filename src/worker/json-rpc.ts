/** JSON-RPC error responses for the HTTP edge (before any MCP server is involved). */

/** Codes: JSON-RPC 2.0 §5.1, plus -32001 for authentication as the MCP SDKs use it. */
export const JSON_RPC = {
	parseError: -32700,
	invalidRequest: -32600,
	unauthorized: -32001,
} as const;

export function jsonRpcError(status: number, code: number, message: string, headers: HeadersInit = {}): Response {
	return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
		status,
		headers: { 'content-type': 'application/json', ...headers },
	});
}
