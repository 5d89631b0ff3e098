/**
 * Checks an answer of the API against its OpenAPI document (issue 14): the operation (path and
 * method), the status, the documented required headers and their schemas, the media type and the
 * body against its schema (JSON Schema 2020-12, as OpenAPI 3.1 writes it, with Ajv). An
 * undocumented status, media type or body member is a violation; so is a missing required header.
 *
 * The document's two rules for what it does not list are checked too: a path it does not list
 * must answer a 404 problem, a method a listed path does not have a 405 problem with `Allow`.
 * HEAD is checked as GET without a body. The static files of the bundled page (`/client/…`) and of
 * the docs page (`/docs/…` assets) are not API resources and are not checked.
 *
 * tests/helpers/openapiHook.ts applies this to every supertest answer of the API tests.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument, type OpenApiDocument } from '../../src/openapi/document';

/** What a check needs of an answer. */
export interface Exchange {
  method: string;
  /** The path, without the query string. */
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, when the answer has one. */
  body: unknown;
  /** The raw body text ('' or undefined when there is none). */
  text: string | undefined;
}

type Json = Record<string, unknown>;

/** Paths whose answers are static files, not API representations: the page (`/client`, `/client/…`) and the docs page's assets. */
function isStaticFile(path: string): boolean {
  return path === '/client' || path.startsWith('/client/') || path.startsWith('/docs/');
}

/** A compiled document: its path templates as regular expressions and a schema compiler. */
interface Compiled {
  doc: OpenApiDocument;
  routes: Array<{ template: string; pattern: RegExp }>;
  validators: Map<unknown, ValidateFunction>;
  ajv: Ajv2020;
}

const compiledDocs = new WeakMap<object, Compiled>();

function compile(doc: OpenApiDocument): Compiled {
  const known = compiledDocs.get(doc);
  if (known) return known;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The components become one schema resource, so `#/components/schemas/X` references resolve inside it.
  const rewritten = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"tn-openapi#/$defs/'));
  ajv.addSchema({ $id: 'tn-openapi', $defs: rewritten });
  const routes = Object.keys(doc.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const compiled = { doc, routes, validators: new Map(), ajv };
  compiledDocs.set(doc, compiled);
  return compiled;
}

/** A schema with its component references pointed at the compiled components. */
function validatorFor(compiled: Compiled, schema: unknown): ValidateFunction {
  let validate = compiled.validators.get(schema);
  if (!validate) {
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"tn-openapi#/$defs/'));
    validate = compiled.ajv.compile(rewritten);
    compiled.validators.set(schema, validate);
  }
  return validate;
}

/** Follows a `$ref` to `#/components/...` (responses, headers). */
function resolve(doc: OpenApiDocument, value: Json): Json {
  const target = value.$ref;
  if (typeof target !== 'string') return value;
  const [, kind, name] = target.split('/').slice(1);
  return doc.components[kind][name] as Json;
}

function headerOf(exchange: Exchange, name: string): string | undefined {
  const value = exchange.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function schemaErrors(compiled: Compiled, schema: unknown, value: unknown, what: string): string[] {
  const validate = validatorFor(compiled, schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e) => `${what}${e.instancePath || ''} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}

/** Whether the answer has a body (HEAD, 204 and 304 have none). */
function hasBody(exchange: Exchange): boolean {
  return exchange.text !== undefined && exchange.text !== '';
}

/** Checks the answer against one documented response object. */
function checkResponse(compiled: Compiled, exchange: Exchange, response: Json, label: string): string[] {
  const violations: string[] = [];
  for (const [name, value] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const spec = resolve(compiled.doc, value);
    const sent = headerOf(exchange, name);
    if (sent === undefined) {
      if (spec.required === true) violations.push(`${label}: required header ${name} is missing`);
      continue;
    }
    if (spec.schema) violations.push(...schemaErrors(compiled, spec.schema, sent, `${label}: header ${name}`));
  }
  if (!hasBody(exchange) || exchange.method === 'HEAD') return violations;
  const content = response.content as Record<string, Json> | undefined;
  const type = (headerOf(exchange, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!content) return [...violations, `${label}: the document says no body, but one came (${type || 'no Content-Type'})`];
  const media = content[type];
  if (!media) return [...violations, `${label}: media type ${type || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`];
  if (media.schema && /[/+]json$/.test(type)) violations.push(...schemaErrors(compiled, media.schema, exchange.body, `${label}: body`));
  return violations;
}

/** The violations of the document by this answer; empty when it is documented. */
export function violationsOf(exchange: Exchange, doc: OpenApiDocument = openApiDocument()): string[] {
  if (isStaticFile(exchange.path)) return [];
  const compiled = compile(doc);
  const label = `${exchange.method} ${exchange.path} → ${exchange.status}`;
  const route = compiled.routes.find((r) => r.pattern.test(exchange.path));
  const problem = compiled.doc.components.responses;
  if (!route) {
    // The document's rule: a path it does not list is a 404 problem.
    if (exchange.status !== 404) return [`${label}: the path is not documented (only a 404 may answer it)`];
    return checkResponse(compiled, exchange, problem.NotFound as Json, label);
  }
  const operations = compiled.doc.paths[route.template] as unknown as Record<string, Json>;
  const method = exchange.method === 'HEAD' ? 'get' : exchange.method.toLowerCase();
  const operation = operations[method];
  if (!operation) {
    // The document's rule: a method the path does not list is a 405 problem with Allow.
    if (exchange.status !== 405) return [`${label}: ${exchange.method} is not documented for ${route.template} (only a 405 may answer it)`];
    const allow = headerOf(exchange, 'allow') === undefined ? [`${label}: a 405 without Allow`] : [];
    return [...allow, ...checkResponse(compiled, { ...exchange, status: 405 }, problem.BadRequest as Json, label)];
  }
  const responses = operation.responses as Record<string, Json>;
  const documented = responses[String(exchange.status)];
  if (!documented) return [`${label}: status ${exchange.status} is not documented for ${operation.operationId} (documented: ${Object.keys(responses).join(', ')})`];
  return checkResponse(compiled, exchange, resolve(compiled.doc, documented), label);
}
