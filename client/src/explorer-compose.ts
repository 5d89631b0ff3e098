/**
 * The explorer's request composer, without the DOM: a draft request (method, href, headers,
 * body, which token), and the ways the page fills one in so a learner does not start from a
 * blank form:
 * - from a link: its method and href, with the headers a request of that method needs;
 * - from a HAL-FORMS template (`_templates` of the resource, asked for with
 *   `Accept: application/prs.hal-forms+json`): its properties become the JSON body, with the
 *   current values where the template has them;
 * - from the OpenAPI document (the root's `service-desc` link): the operation whose path
 *   template matches the href, and an example body built from its request schema;
 * - from a logged request ("Edit & resend"): everything it sent.
 * Pure, so it is unit-tested in Node.
 */
import { halSelfHref, isObject, type Json } from './explorer-links';
import type { SentRequest } from './log';
import { isMethod, type HttpMethod } from './links';

/** Which bearer token a composed request carries. */
export type TokenChoice = 'session' | 'original' | 'none';

/** A request being composed. Authorization is not among `headers`: `token` says which one is sent. */
export interface Draft {
  method: HttpMethod;
  href: string;
  headers: Array<[string, string]>;
  body: string;
  token: TokenChoice;
  /** The exact Authorization value of the logged request being resent (for `token: 'original'`). */
  originalAuthorization?: string;
  /** Where the pre-filled parts came from, said to the learner. */
  note?: string;
}

/** The media type that asks the API for HAL-FORMS templates. */
export const HAL_FORMS = 'application/prs.hal-forms+json';
/** What the page's own requests accept. */
export const JSON_ACCEPT = 'application/json, application/problem+json';

/** True for the methods whose requests carry a body here. */
export function takesBody(method: HttpMethod): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/** True when the header list has one of this name, whatever its case. */
export function hasHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  return headers.some(([n]) => n.toLowerCase() === name.toLowerCase());
}

/** The header list with `name` set to `value` (replacing any of that name, whatever its case). */
export function withHeader(headers: ReadonlyArray<[string, string]>, name: string, value: string): Array<[string, string]> {
  const rest = headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  return [...rest, [name, value]];
}

/** A draft for following a link that is not a plain GET: its method and href, the usual headers. */
export function draftForLink(method: HttpMethod, href: string, signedIn: boolean): Draft {
  let headers: Array<[string, string]> = [['Accept', JSON_ACCEPT]];
  if (takesBody(method)) headers = withHeader(headers, 'Content-Type', 'application/json');
  return { method, href, headers, body: takesBody(method) ? '{}' : '', token: signedIn ? 'session' : 'none' };
}

/** A draft that sends a logged request again: its method, href, headers, body and token. */
export function draftFromSent(method: string, href: string, sent: SentRequest, sessionToken: string | undefined): Draft {
  const authorization = sent.headers.find(([n]) => n.toLowerCase() === 'authorization')?.[1];
  let token: TokenChoice = 'none';
  if (authorization !== undefined) token = sessionToken !== undefined && authorization === `Bearer ${sessionToken}` ? 'session' : 'original';
  return {
    method: isMethod(method) ? method : 'GET',
    href,
    headers: sent.headers.filter(([n]) => n.toLowerCase() !== 'authorization').map(([n, v]) => [n, v]),
    body: sent.body ?? '',
    token,
    originalAuthorization: token === 'original' ? authorization : undefined,
    note: 'The request as it was sent: change what you like and send it again.',
  };
}

// RFC 9110 field names: a token.
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers as the composer's text area shows them: one `Name: value` per line. */
export function headerLines(headers: ReadonlyArray<[string, string]>): string {
  return headers.map(([n, v]) => `${n}: ${v}`).join('\n');
}

/** Reads the composer's header lines; throws an Error naming the first line that is not `Name: value`. */
export function parseHeaderLines(text: string): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!FIELD_NAME.test(name)) throw new Error(`Header line ${i + 1} is not "Name: value": ${line}`);
    headers.push([name, line.slice(colon + 1).trim()]);
  });
  return headers;
}

/** The request headers of a draft with the Authorization its token choice gives (a typed one wins). */
export function draftHeaders(draft: Pick<Draft, 'headers' | 'token' | 'originalAuthorization'>, sessionToken: string | undefined): Array<[string, string]> {
  const headers = draft.headers.map(([n, v]): [string, string] => [n, v]);
  if (hasHeader(headers, 'Authorization')) return headers;
  if (draft.token === 'session' && sessionToken) headers.push(['Authorization', `Bearer ${sessionToken}`]);
  if (draft.token === 'original' && draft.originalAuthorization) headers.push(['Authorization', draft.originalAuthorization]);
  return headers;
}

// --- HAL-FORMS ----------------------------------------------------------------------------------

/** A HAL-FORMS template found for a link. */
export interface FoundTemplate {
  name: string;
  template: Json;
}

/**
 * The template of a HAL-FORMS body for this method and target (the resource itself when the
 * template names no target); the one named `rel` first, `default` last.
 */
export function findTemplate(body: unknown, method: HttpMethod, href: string, rel?: string): FoundTemplate | undefined {
  if (!isObject(body) || !isObject(body._templates)) return undefined;
  const self = halSelfHref(body);
  const candidates = Object.entries(body._templates)
    .filter((entry): entry is [string, Json] => isObject(entry[1]))
    .filter(([, t]) => String(t.method ?? '').toUpperCase() === method && (typeof t.target === 'string' ? t.target : self) === href)
    .sort(([a], [b]) => Number(b === rel) - Number(a === rel) || Number(a === 'default') - Number(b === 'default'));
  const first = candidates[0];
  return first ? { name: first[0], template: first[1] } : undefined;
}

function emptyValue(type: unknown): unknown {
  return type === 'number' ? 0 : '';
}

/**
 * A JSON body from a template's properties: each one that has a value (the resource as it is
 * now) or is required (with an empty value to fill in). Optional ones without a value are
 * left out and named, so the learner can add them.
 */
export function templateBody(template: Json): { body: Json; optional: string[] } {
  const body: Json = {};
  const optional: string[] = [];
  const properties = Array.isArray(template.properties) ? template.properties.filter(isObject) : [];
  for (const p of properties) {
    if (typeof p.name !== 'string') continue;
    if ('value' in p) body[p.name] = p.value;
    else if (p.required === true) body[p.name] = emptyValue(p.type);
    else optional.push(p.name);
  }
  return { body, optional };
}

// --- OpenAPI --------------------------------------------------------------------------------------

/** An operation of the OpenAPI document, with the path template it is listed under. */
export interface FoundOperation {
  path: string;
  operation: Json;
}

function pathPattern(template: string): RegExp {
  const escaped = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[^/]+')}$`);
}

/** The operation of this method whose path template matches the href's path (a template without variables first). */
export function findOperation(doc: unknown, method: HttpMethod, href: string): FoundOperation | undefined {
  if (!isObject(doc) || !isObject(doc.paths)) return undefined;
  let pathname: string;
  try {
    pathname = new URL(href, 'http://page.invalid').pathname;
  } catch {
    return undefined;
  }
  const matching = Object.entries(doc.paths)
    .filter(([path, item]) => isObject(item) && isObject(item[method.toLowerCase()]) && pathPattern(path).test(pathname))
    .sort(([a], [b]) => Number(a.includes('{')) - Number(b.includes('{')));
  const first = matching[0];
  return first ? { path: first[0], operation: (first[1] as Json)[method.toLowerCase()] as Json } : undefined;
}

// A reference to a component, as the API's document writes them: `#/components/schemas/Note`.
// OpenAPI allows only `[a-zA-Z0-9.-_]` in component names, so no JSON Pointer escapes occur.
const COMPONENT_REF = /^#\/components\/(\w+)\/([\w.-]+)$/;

function resolve(doc: Json, schema: unknown): Json | undefined {
  if (!isObject(schema)) return undefined;
  if (typeof schema.$ref !== 'string') return schema;
  const [, kind = '', name = ''] = COMPONENT_REF.exec(schema.$ref) ?? [];
  const components = isObject(doc.components) ? doc.components : {};
  const group = isObject(components[kind]) ? components[kind] : {};
  return isObject(group[name]) ? group[name] : undefined;
}

const MAX_EXAMPLE_DEPTH = 6;

/** An example value for a JSON Schema: its example, default or first enum value, else an empty value of its type. */
export function exampleFor(doc: Json, schema: unknown, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (!s || depth > MAX_EXAMPLE_DEPTH) return null;
  if ('example' in s) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || isObject(s.properties)) {
    const out: Json = {};
    for (const [name, property] of Object.entries(isObject(s.properties) ? s.properties : {})) out[name] = exampleFor(doc, property, depth + 1);
    return out;
  }
  if (type === 'array') return [];
  if (type === 'number' || type === 'integer') return 0;
  if (type === 'boolean') return false;
  if (type === 'string') return '';
  return null;
}

/** An example JSON body for an operation (from its `application/json` request schema), or undefined when it takes none. */
export function operationExample(doc: unknown, operation: Json): unknown {
  if (!isObject(doc)) return undefined;
  const requestBody = resolve(doc, operation.requestBody);
  const content = requestBody && isObject(requestBody.content) ? requestBody.content : undefined;
  const json = content && isObject(content['application/json']) ? content['application/json'] : undefined;
  return json ? exampleFor(doc, json.schema) : undefined;
}
