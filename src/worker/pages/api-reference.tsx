/**
 * `GET /api/docs`: the HTTP API's reference, rendered on the server from the OpenAPI document
 * (src/worker/api/openapi.ts) with Hono's JSX, so it says exactly what /openapi.json says. No
 * script and nothing from another origin: every operation with its parameters, body fields,
 * answers and a curl line for this deployment.
 */
import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import { PAGE_STYLE } from './landing';

type Json = Record<string, unknown>;

interface Parameter {
	name: string;
	in: string;
	required?: boolean;
	description?: string;
	schema?: Json;
}

interface Operation {
	operationId: string;
	summary: string;
	description: string;
	tags: string[];
	parameters?: Parameter[];
	requestBody?: { content: Record<string, { schema: { $ref: string } }> };
	responses: Record<string, { description: string }>;
}

const EXTRA_STYLE = `
main { max-width: 980px; }
.op { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px; margin: 14px 0; }
.op h3 { margin: 0 0 6px; font-size: 17px; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.method { font: 700 13px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 2px 8px; border-radius: 6px; border: 1px solid currentColor; }
.get { color: var(--ok); } .post { color: var(--accent); } .delete { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-top: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
td code, h3 code { font: 14px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
nav ul { columns: 2; padding-left: 20px; }
@media (max-width: 600px) { nav ul { columns: 1; } th:nth-child(3), td:nth-child(3) { display: none; } }
`;

/** A schema in a few words: `integer, 1–20`, `one of: png, jpeg`, `string, up to 4000`. */
function describeType(schema: Json | undefined): string {
	if (!schema) return '';
	if (Array.isArray(schema.enum)) return `one of: ${(schema.enum as unknown[]).join(', ')}`;
	const type = Array.isArray(schema.type) ? (schema.type as string[]).join(' or ') : String(schema.type ?? 'any');
	const bounds: string[] = [];
	if (schema.minimum !== undefined && schema.maximum !== undefined) bounds.push(`${schema.minimum}–${schema.maximum}`);
	else if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
	else if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
	if (schema.maxLength !== undefined) bounds.push(`up to ${schema.maxLength} characters`);
	if (schema.maxItems !== undefined) bounds.push(`up to ${schema.maxItems} items`);
	if (schema.default !== undefined) bounds.push(`default ${JSON.stringify(schema.default)}`);
	return [type === 'array' ? 'list' : type, ...bounds].join(', ');
}

/** Text whose `backticked` words (CommonMark code spans, as OpenAPI descriptions allow) show as code. */
const Prose: FC<{ text: string }> = ({ text }) => (
	<>{text.split('`').map((part, index) => (index % 2 === 1 ? <code>{part}</code> : part))}</>
);

function curlLine(origin: string, path: string, method: string, operation: Operation): string {
	const auth = '-H "Authorization: Bearer $TOKEN"';
	const url = `${origin}${path.replaceAll(/\{(\w+)\}/g, '<$1>')}`;
	if (method === 'get') return `curl ${auth} "${url}"`;
	const body = operation.requestBody ? ` -H "Content-Type: application/json" -d '{"prompt":"a red fox in snow"}'` : '';
	return `curl -X ${method.toUpperCase()} ${auth}${body} "${url}"`;
}

const OperationCard: FC<{ origin: string; path: string; method: string; operation: Operation; schemas: Json }> = ({
	origin,
	path,
	method,
	operation,
	schemas,
}) => {
	const bodyRef = operation.requestBody?.content['application/json']?.schema.$ref;
	const body = bodyRef
		? (schemas[bodyRef.split('/').pop()!] as { properties?: Record<string, Json>; required?: string[] })
		: undefined;
	return (
		<section class="op" id={operation.operationId}>
			<h3>
				<span class={`method ${method}`}>{method.toUpperCase()}</span>
				<code>{path}</code>
				<span>{operation.summary}</span>
			</h3>
			<p>
				<Prose text={operation.description} />
			</p>
			{operation.parameters?.length ? (
				<table>
					<caption class="muted">Parameters</caption>
					<thead>
						<tr>
							<th scope="col">Name</th>
							<th scope="col">In</th>
							<th scope="col">Type</th>
							<th scope="col">What</th>
						</tr>
					</thead>
					<tbody>
						{operation.parameters.map((parameter) => (
							<tr>
								<td>
									<code>{parameter.name}</code>
									{parameter.required ? ' (required)' : ''}
								</td>
								<td>{parameter.in}</td>
								<td>{describeType(parameter.schema)}</td>
								<td>
									<Prose text={parameter.description ?? ''} />
								</td>
							</tr>
						))}
					</tbody>
				</table>
			) : null}
			{body?.properties ? (
				<table>
					<caption class="muted">JSON body</caption>
					<thead>
						<tr>
							<th scope="col">Field</th>
							<th scope="col">Type</th>
							<th scope="col">What</th>
						</tr>
					</thead>
					<tbody>
						{Object.entries(body.properties).map(([name, field]) => (
							<tr>
								<td>
									<code>{name}</code>
									{body.required?.includes(name) ? ' (required)' : ''}
								</td>
								<td>{describeType(field)}</td>
								<td>
									<Prose text={String(field.description ?? '')} />
								</td>
							</tr>
						))}
					</tbody>
				</table>
			) : null}
			<table>
				<caption class="muted">Answers</caption>
				<tbody>
					{Object.entries(operation.responses).map(([status, response]) => (
						<tr>
							<td>
								<code>{status}</code>
							</td>
							<td>
								<Prose text={response.description} />
							</td>
						</tr>
					))}
				</tbody>
			</table>
			<pre>{curlLine(origin, path, method, operation)}</pre>
		</section>
	);
};

export const ApiReferencePage: FC<{ document: Json; origin: string; nonce: string }> = ({
	document,
	origin,
	nonce,
}) => {
	const info = document.info as { title: string; version: string; description: string };
	const paths = document.paths as Record<string, Record<string, Operation>>;
	const schemas = (document.components as { schemas: Json }).schemas;
	const operations = Object.entries(paths).flatMap(([path, methods]) =>
		Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
	);
	return (
		<html lang="en">
			<head>
				<meta charset="utf-8" />
				<meta name="viewport" content="width=device-width, initial-scale=1" />
				<title>{info.title}</title>
				<style nonce={nonce}>{raw(PAGE_STYLE + EXTRA_STYLE)}</style>
			</head>
			<body>
				<main>
					<h1>{info.title}</h1>
					<p class="muted">Version {info.version}</p>
					<p>{info.description}</p>
					<p>
						Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Every request sends{' '}
						<code>Authorization: Bearer &lt;token&gt;</code>; errors are <code>application/problem+json</code> with{' '}
						<code>detail</code> and the <code>field</code> they are about. Back to <a href="/">the start page</a>.
					</p>
					<nav aria-label="Operations">
						<ul>
							{operations.map(({ path, method, operation }) => (
								<li>
									<a href={`#${operation.operationId}`}>
										{method.toUpperCase()} {path}
									</a>
								</li>
							))}
						</ul>
					</nav>
					{operations.map(({ path, method, operation }) => (
						<OperationCard origin={origin} path={path} method={method} operation={operation} schemas={schemas} />
					))}
				</main>
			</body>
		</html>
	);
};

export async function apiReferenceHtml(document: Json, origin: string, nonce: string): Promise<string> {
	return `<!doctype html>${await (<ApiReferencePage document={document} origin={origin} nonce={nonce} />).toString()}`;
}
