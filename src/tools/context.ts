/**
 * What an operation gets and how it is declared. An operation (a "tool") is defined once here
 * in src/tools/ and every face calls it: MCP (src/mcp/), and the HTTP faces in src/worker/. It
 * gets a small context, never a face's server or request (CONVENTIONS.md, "Tool registration"),
 * and answers a Result; nothing in this folder knows MCP or HTTP.
 */
import type { z } from 'zod';
import type { Db } from '../db/client';
import type { JobRow } from '../db/schema';
import type { AppConfig } from '../env';
import { type Err, err, type Ok, ok, type Result } from '../result';
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

/** The eight log levels of RFC 5424, least severe first (MCP's logging levels are these). */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What a face knows of a request before any operation runs: who calls, with which settings. */
export interface RequestScope {
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
	/**
	 * The principals the deployment configures (AUTH_TOKENS' entries, and AUTH_TOKEN's `default`),
	 * for the admin listing of users; OAuth users are known by their jobs. Empty when not given.
	 */
	configuredPrincipals?: readonly Principal[];
	/** What the HTTP edge knows of the server, for get_server_info; absent when not given. */
	server?: ServerFacts;
}

/**
 * Facts about the server that only the edge can know (operations import no MCP SDK and no
 * HTTP code): src/worker/health.ts `serverFacts` fills them in.
 */
export interface ServerFacts {
	/** The MCP protocol versions spoken: the SDK's list, newest first. */
	protocolVersions: readonly string[];
	/** The newest of them, answered to a client that asks for one the server does not speak. */
	latestProtocolVersion: string;
	/** Largest JSON request body taken on /mcp, /messages and the REST API, in bytes. */
	maxBodyBytes: number;
}

export interface ToolContext extends RequestScope {
	/** Aborted when the client goes away. */
	signal: AbortSignal;
	/** Sends `notifications/progress` when the request carried a progress token; a no-op otherwise. */
	reportProgress: (progress: number, total: number | undefined, message: string) => Promise<void>;
	/**
	 * Sends an MCP log message (`notifications/message`) when the caller set a logging level
	 * that lets it through and the response can carry it; a no-op otherwise.
	 */
	log: (level: LogLevel, data: Record<string, unknown>) => Promise<void>;
	/**
	 * Asks the user, while the call waits, whether to spend above the confirmation threshold
	 * (src/tools/confirm.ts). Present only where the face can ask and hear back (MCP elicitation
	 * on a client that declared it); absent, the call answers a quote with a token instead.
	 */
	confirm?: (question: SpendQuestion) => Promise<SpendAnswer>;
}

/** What src/tools/confirm.ts asks before spending above the threshold. */
export interface SpendQuestion {
	/** Ready to show: "Generate 2 images with dall-e-3 for an estimated $0.16? Budget left: …". */
	message: string;
	model: string;
	count: number;
	estimatedCostUsd: number;
	thresholdUsd: number;
}

/** The user's answer; `unavailable` when the face could not ask after all (the quote is answered). */
export type SpendAnswer = 'accept' | 'decline' | 'cancel' | 'timeout' | 'unavailable';

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

/**
 * A small inline preview of a finished image (src/tools/previews.ts): MCP shows it as an
 * `image` content block. Never part of `structured`, which holds no base64 (DESIGN.md §5).
 */
export interface InlinePreview {
	job_id: string;
	index: number;
	/** The preview's bytes, base64. */
	data: string;
	mimeType: string;
}

/** What an operation answers when it ran: the JSON it shows, and the images it carries. */
export interface ToolSuccess {
	/** The output schema's object: MCP's structuredContent and text block, REST's body. */
	structured: Record<string, unknown>;
	images?: ImageView[];
	/** Previews of some of `images`, in their order, within the caps of src/tools/previews.ts. */
	previews?: InlinePreview[];
	/** Ran, but what it reports is a failure (a job that failed): MCP marks the result isError. */
	isError?: boolean;
	/** The prompt the images were made from, for titles. */
	prompt?: string;
}

/**
 * A handled failure the model or person can act on: what was wrong and what is allowed.
 * `details` are machine-readable fields shown next to the message (which limit, when it resets).
 */
export interface ToolFailure {
	message: string;
	details?: Record<string, unknown>;
	/** What kind of failure, for faces that answer with a status (HTTP): `invalid` when absent. */
	kind?: FailureKind;
	/** For bad arguments: the fields that were wrong (the message says how). */
	fields?: string[];
}

/**
 * Kinds of handled failure. MCP shows them all as an `isError` result; the HTTP faces map each
 * to a status (src/worker/api/problem.ts): 400, 404, 403, 409, 429, 429, 403, 428, 503, 500.
 */
export const FAILURE_KINDS = [
	'invalid',
	'not_found',
	'forbidden',
	'conflict',
	'rate_limited',
	'budget_exceeded',
	'read_only',
	'confirmation_required',
	'unavailable',
	'internal',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** What an operation's handler returns; each face renders it its own way. */
export type ToolOutcome = Result<ToolSuccess, ToolFailure>;

/** Hints about an operation's effects (MCP's tool annotations have exactly these). */
export interface ToolAnnotations {
	title?: string;
	readOnlyHint?: boolean;
	destructiveHint?: boolean;
	idempotentHint?: boolean;
	openWorldHint?: boolean;
}

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
	startTask?: (args: z.output<Input>, context: ToolContext) => Promise<Result<JobRow[], ToolFailure>>;
}

/** Keeps each tool's handler typed by its own input schema. */
export function defineTool<Input extends z.ZodType>(definition: ToolDefinition<Input>): ToolDefinition {
	return definition as unknown as ToolDefinition;
}

/** A handled failure (see ToolFailure); `kind` when it is not bad input. */
export function toolError(
	message: string,
	details?: Record<string, unknown>,
	kind?: Exclude<FailureKind, 'invalid'>,
): Err<ToolFailure> {
	return err({ message, ...(details ? { details } : {}), ...(kind ? { kind } : {}) });
}

/** Nothing of the caller's by that name or id: the message names the field (`job_id: …`). */
export function notFoundError(message: string): Err<ToolFailure> {
	return toolError(message, undefined, 'not_found');
}

/** An operation's answer: `structured` is its output schema's object. */
export function toolResult(
	structured: Record<string, unknown>,
	extra: Omit<ToolSuccess, 'structured'> = {},
): Ok<ToolSuccess> {
	return ok({ structured, ...extra });
}
