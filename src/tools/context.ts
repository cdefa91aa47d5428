/**
 * What a tool gets: a small context, never the raw MCP server (CONVENTIONS.md, "Tool
 * registration"), and the shape every tool is declared in.
 */
import type { LoggingLevel, ServerNotification, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Db } from '../db/client';
import type { JobRow } from '../db/schema';
import type { AppConfig } from '../env';
import type { UrlBases } from '../storage/images';

/**
 * Who is calling. One principal per request; jobs and images are scoped to `id`.
 * `admin` may ask for everyone's listings and usage with an explicit argument.
 */
export interface Principal {
	id: string;
	/** Display name or email, for listings and usage reports. */
	name: string;
	role: 'user' | 'admin';
	/** How the caller proved who they are. */
	via: 'token' | 'oauth' | 'local';
	/** Per-principal overrides of the deployment's default budgets (an AUTH_TOKENS entry's). */
	limits?: PrincipalLimits;
}

/** A number overrides the default budget; `null` means no budget for this principal. */
export interface PrincipalLimits {
	dailyBudgetUsd?: number | null;
	monthlyBudgetUsd?: number | null;
}

export interface ToolContext {
	env: Env;
	config: AppConfig;
	db: Db;
	principal: Principal;
	urls: UrlBases;
	/**
	 * Longest a wait tool may wait in this transport, in seconds: 55 on /mcp; less on legacy
	 * SSE, whose POSTs are answered at once and run on `waitUntil` (limited to 30 s).
	 */
	maxWaitSeconds: number;
	/** Aborted when the client goes away. */
	signal: AbortSignal;
	/** Sends `notifications/progress` when the request carried a progress token; a no-op otherwise. */
	reportProgress: (progress: number, total: number | undefined, message: string) => Promise<void>;
	/**
	 * Sends an MCP log message (`notifications/message`) when the caller set a logging level
	 * that lets it through and the response can carry it; a no-op otherwise.
	 */
	log: (level: LoggingLevel, data: Record<string, unknown>) => Promise<void>;
}

/** Builds a request's ToolContext from the SDK handler's `extra` and the request's `_meta` (its progress token). */
export type ToolContextFactory = (
	extra: { signal: AbortSignal; sendNotification: (notification: ServerNotification) => Promise<void> },
	meta: unknown,
) => ToolContext;

/** A finished image as tools present it. */
export interface ImageView {
	index: number;
	url: string;
	/** `image://<job_id>/<index>`: the image as an MCP resource. */
	resource_uri: string;
	markdown: string;
	content_type: string;
	width: number;
	height: number;
	bytes: number;
	seed: number | null;
	revised_prompt?: string;
}

/** What a tool handler returns; src/tools/results.ts turns it into a CallToolResult. */
export type ToolOutcome =
	| { ok: true; structured: Record<string, unknown>; images?: ImageView[]; isError?: boolean; prompt?: string }
	| { ok: false; message: string; details?: Record<string, unknown> };

export interface ToolDefinition<Input extends z.ZodType = z.ZodType> {
	name: string;
	title: string;
	description: string;
	input: Input;
	output: z.ZodType;
	annotations: ToolAnnotations;
	handler: (args: z.output<Input>, context: ToolContext) => Promise<ToolOutcome>;
	/**
	 * For tools that may run as an MCP task (`execution.taskSupport: "optional"`): start the work
	 * and return the jobs the task is made of, or the refusal. The task's result comes later.
	 */
	startTask?: (
		args: z.output<Input>,
		context: ToolContext,
	) => Promise<{ ok: true; jobs: JobRow[] } | { ok: false; outcome: ToolFailure }>;
}

/** Keeps each tool's handler typed by its own input schema. */
export function defineTool<Input extends z.ZodType>(definition: ToolDefinition<Input>): ToolDefinition {
	return definition as unknown as ToolDefinition;
}

/** The failing side of a ToolOutcome. */
export type ToolFailure = Extract<ToolOutcome, { ok: false }>;

/**
 * A handled failure the model can act on: what was wrong and what is allowed. `details` are
 * machine-readable fields added next to `error` in the result's JSON (e.g. which limit and when
 * it resets).
 */
export function toolError(message: string, details?: Record<string, unknown>): ToolFailure {
	return details ? { ok: false, message, details } : { ok: false, message };
}
