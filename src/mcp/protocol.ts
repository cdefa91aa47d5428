/**
 * JSON-RPC errors and lenient request schemas shared by the MCP handlers (tasks, resources,
 * prompts, completion, logging, tools/call).
 */
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/**
 * A JSON-RPC error for the SDK to send as is: a plain Error with a code, not McpError, whose
 * message would start "MCP error -32602: ". `data` goes out as the error's data.
 */
export function protocolError(code: number, message: string, data?: Record<string, unknown>): Error {
	return Object.assign(new Error(message), { code }, data ? { data } : {});
}

export function invalidParams(message: string): Error {
	return protocolError(ErrorCode.InvalidParams, message);
}

/** A protocol error meant for the wire (it carries a JSON-RPC code), not an unexpected failure. */
export function hasErrorCode(error: unknown): boolean {
	return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/** Runs `work`; an unexpected failure is logged and answered -32603 without its cause (CONVENTIONS.md "Errors"). */
export async function withInternalErrorsHidden<T>(method: string, work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		if (hasErrorCode(error)) throw error;
		console.error(`${method} failed`, error);
		throw protocolError(ErrorCode.InternalError, `${method} failed with an internal error. Try again in a moment.`);
	}
}

/**
 * Request schemas that take any params: the SDK's own would answer a wrong type with -32603
 * and a schema dump; the handlers check params themselves and answer -32602 naming the field.
 */
export function lenientRequestSchema<Method extends string>(method: Method) {
	return z.object({ method: z.literal(method), params: z.unknown().optional() });
}
