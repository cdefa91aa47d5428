/**
 * The OpenAPI 3.1 document of the HTTP API, built from the same route table that registers
 * the routes (REST_ROUTES, ADMIN_ROUTES) and the same zod schemas the operations parse with,
 * converted once by src/tools/json-schema.ts (OpenAPI 3.1 schemas are JSON Schema 2020-12).
 * Nothing here is written by hand twice: a new argument of an operation appears in tools/list,
 * in the REST API and in this document together.
 */
import { SERVER_INFO } from '../../mcp/server';
import type { ToolDefinition } from '../../tools/context';
import { toJsonSchema } from '../../tools/json-schema';
import { ADMIN_BASE, ADMIN_ROUTES } from './admin';
import { PROBLEM_CONTENT_TYPE, problemType } from './problem';
import { API_BASE, REST_ROUTES, type RestRoute } from './rest';

type Json = Record<string, unknown>;

/** `generate_image` → `GenerateImage`: a component name. */
function componentName(tool: ToolDefinition): string {
	return tool.name
		.split('_')
		.map((word) => word[0]!.toUpperCase() + word.slice(1))
		.join('');
}

/** The schema of one argument of `tool`, for a query or path parameter. */
function argumentSchema(tool: ToolDefinition, name: string): { schema: Json; description?: string } {
	const full = toJsonSchema(tool.input, 'input') as { properties?: Record<string, Json> };
	const property = full.properties?.[name];
	if (!property) throw new Error(`${tool.name} has no argument "${name}" to document`);
	const { description, ...schema } = property as Json & { description?: string };
	return { schema, ...(description ? { description } : {}) };
}

const PROBLEM_SCHEMA: Json = {
	type: 'object',
	description: 'RFC 9457 problem details. Extension members carry the limit refused (limit, resets_at, …).',
	required: ['type', 'title', 'status', 'detail'],
	properties: {
		type: { type: 'string', description: `A URI naming the kind of problem, such as ${problemType('not_found')}.` },
		title: { type: 'string' },
		status: { type: 'integer' },
		detail: { type: 'string', description: 'What was wrong and what is allowed.' },
		instance: { type: 'string', description: 'The request path.' },
		field: { type: 'string', description: 'The first field the problem is about.' },
		fields: { type: 'array', items: { type: 'string' }, description: 'Every field the problem is about.' },
	},
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
	400: 'Bad input: `detail` says what was wrong and what is allowed; `field` names it. Nothing was created.',
	401: 'No or an unknown bearer token.',
	403: 'Not allowed: another user’s data (`all_users` without the admin role), a cross-site Origin, or a read-only server.',
	404: 'No such item of yours.',
	409: 'Conflict: the job already finished, or the Idempotency-Key was used for a different request.',
	413: 'The request body is larger than the limit.',
	415: 'The body is not JSON.',
	428: 'The estimate is above the confirmation threshold: the problem carries a quote and a `confirmation` token; send the same request again with it. Nothing was created.',
	429: 'A rate limit or budget was reached; `Retry-After` says when to try again. Nothing was created.',
	500: 'Internal error; nothing about it is shown.',
	503: 'A service this one needs (the queue) is unavailable; nothing was created.',
};

function problemResponse(status: number): Json {
	return {
		description: ERROR_DESCRIPTIONS[status] ?? 'A problem.',
		content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
		...(status === 429
			? { headers: { 'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer' } } } }
			: {}),
	};
}

/** The tools a route may run: its own, and the one a `wait` switches to. */
function routeTools(route: RestRoute): ToolDefinition[] {
	return [...new Set([route.tool, ...(route.alternatives ?? [])])];
}

function operation(route: RestRoute, schemas: Record<string, Json>): Json {
	const tools = routeTools(route);
	for (const tool of tools) schemas[`${componentName(tool)}Result`] = toJsonSchema(tool.output, 'output');
	const parameters: Json[] = [
		...(route.pathParams ?? []).map((parameter) => ({
			name: parameter.name,
			in: 'path',
			required: true,
			description: parameter.description,
			schema: toJsonSchema(parameter.schema, 'input'),
		})),
		...(route.query ?? []).map((name) => ({ name, in: 'query', required: false, ...argumentSchema(route.tool, name) })),
		...(route.extraQuery ?? []).map((parameter) => ({
			name: parameter.name,
			in: 'query',
			required: false,
			description: parameter.description,
			schema: toJsonSchema(parameter.schema, 'input'),
		})),
		...(route.headers ?? []).map((header) => ({
			name: header.name,
			in: 'header',
			required: false,
			description: header.description,
			schema: { type: 'string', maxLength: 200 },
		})),
	];
	const resultSchema =
		tools.length === 1
			? { $ref: `#/components/schemas/${componentName(tools[0]!)}Result` }
			: { oneOf: tools.map((tool) => ({ $ref: `#/components/schemas/${componentName(tool)}Result` })) };
	const responses: Json = {};
	for (const [status, description] of Object.entries(route.statuses)) {
		responses[status] = { description, content: { 'application/json': { schema: resultSchema } } };
	}
	for (const status of [...new Set([400, 401, 403, ...route.failures, 500])].sort()) {
		responses[String(status)] = problemResponse(status);
	}
	if (route.body) {
		schemas[`${componentName(route.tool)}Request`] = toJsonSchema(route.body, 'input');
	}
	return {
		operationId: route.operationId,
		summary: route.summary,
		description: route.description,
		tags: route.tags,
		...(parameters.length ? { parameters } : {}),
		...(route.body
			? {
					requestBody: {
						required: true,
						content: {
							'application/json': { schema: { $ref: `#/components/schemas/${componentName(route.tool)}Request` } },
						},
					},
				}
			: {}),
		responses,
	};
}

/** The document for a server at `origin`. The same for every caller: it holds nobody's data. */
export function openApiDocument(origin: string): Json {
	const schemas: Record<string, Json> = { Problem: PROBLEM_SCHEMA };
	const paths: Record<string, Json> = {};
	const add = (base: string, routes: readonly RestRoute[]) => {
		for (const route of routes) {
			const path = base + route.path;
			paths[path] = { ...paths[path], [route.method]: operation(route, schemas) };
		}
	};
	add(API_BASE, REST_ROUTES);
	add(ADMIN_BASE, ADMIN_ROUTES);
	return {
		openapi: '3.1.0',
		info: {
			title: `${SERVER_INFO.title} HTTP API`,
			version: SERVER_INFO.version,
			description:
				'The operations of the MCP tools as REST routes, with the same auth, scoping, limits and budgets. ' +
				'Errors are RFC 9457 problem+json. The MCP endpoint is POST /mcp; an OpenAI-compatible images endpoint is at /v1/images/generations.',
		},
		servers: [{ url: origin }],
		security: [{ bearerAuth: [] }],
		tags: [
			{ name: 'Generations', description: 'Making images, and the images made.' },
			{ name: 'Jobs', description: 'One job per image: status, waiting, cancelling.' },
			{ name: 'Models', description: 'What this server can generate with.' },
			{ name: 'Styles', description: 'Your style library, and the published styles.' },
			{ name: 'Preferences', description: 'Your defaults, used by every face when a call is silent.' },
			{ name: 'Usage', description: 'Images, cost, budgets and the rate limit.' },
			{ name: 'Admin', description: 'The admin role only: the whole service.' },
		],
		paths,
		components: {
			schemas,
			securitySchemes: {
				bearerAuth: {
					type: 'http',
					scheme: 'bearer',
					description:
						'A token from the operator (AUTH_TOKEN or AUTH_TOKENS), or an OAuth access token where OAuth is set up. A local server with no token needs none from loopback.',
				},
			},
		},
	};
}

/** The document, serialised once per isolate and origin: it changes only with a deploy. */
const cache = new Map<string, string>();

export function openApiJson(origin: string): string {
	let json = cache.get(origin);
	if (!json) {
		json = JSON.stringify(openApiDocument(origin));
		cache.set(origin, json);
	}
	return json;
}
