/**
 * HAL and HAL-FORMS renderings of the API's JSON bodies (issue 13). Every body the API sends has
 * the same link model, `links: [{rel, href, method, templated?}]`; this module maps it:
 * - `_links` keyed by rel: IANA-registered rels as they are, the API's own with the CURIE `tn:`
 *   (`curies` points at `/rels/{rel}`, where each has a documentation page), each link with its
 *   `href`, `templated` when it is a template, and a `title`. Links added for the response with
 *   `addLinks` (no dead ends) join them.
 * - a page of notes puts its notes into `_embedded.item` (each a HAL note) and keeps `page`;
 * - HAL-FORMS adds `_templates`: one per state-changing link the body offers (what the caller may
 *   do now), `default` being the first, each with its method, target, content type and the
 *   properties of the request body, generated from the zod schema that validates that request
 *   (required, maxLength, minLength, regex), never written twice.
 * The JSON body itself is not changed by any of this.
 */
import { z } from 'zod';
import { notesSearchLink, notesSearchLinkFull } from '../controllers/hateoasController';
import * as authSchemas from '../schemas/authSchemas';
import * as noteSchemas from '../schemas/noteSchemas';
import * as userSchemas from '../schemas/userSchemas';
import type { Link } from '../types/hypermedia';
import type { Format } from '../middlewares/negotiate';

/** Relation types registered with IANA that the API uses as they are; every other rel is the API's own (`tn:`). */
export const IANA_RELS: ReadonlySet<string> = new Set(['self', 'first', 'prev', 'next', 'last', 'search', 'edit', 'item', 'describedby', 'service-desc', 'service-doc']);

/** The CURIE of the API's own relation types: `tn:add-note` expands to `/rels/add-note`. */
export const CURIES = [{ name: 'tn', href: '/rels/{rel}', templated: true }] as const;

/** A HAL link object. */
export interface HalLink {
  href: string;
  templated?: true;
  title?: string;
}

/** What each relation offers, for a person reading `_links` (HAL's `title`). */
const TITLES: Record<string, string> = {
  self: 'This resource',
  first: 'The first page',
  prev: 'The previous page',
  next: 'The next page',
  last: 'The last page',
  search: 'Search, sort and page the notes',
  edit: 'Change the profile (PATCH)',
  root: 'The entry point',
  auth: 'Log in: get an access token (POST)',
  register: 'Create an account (POST)',
  notes: 'Your notes',
  'add-note': 'Create a note (POST)',
  'edit-text': 'Change the text (PATCH)',
  update: 'Replace the note (PUT)',
  delete: 'Delete (DELETE)',
  profile: 'Your profile',
  client: 'The bundled web page',
};

/** A rel as HAL names it. */
export function halRel(rel: string): string {
  return IANA_RELS.has(rel) ? rel : `tn:${rel}`;
}

/** `_links` for these links (a rel given twice becomes an array, as HAL allows). */
function halLinks(links: readonly Link[], withCuries: boolean): Record<string, unknown> {
  const out: Record<string, HalLink | HalLink[] | readonly object[]> = {};
  for (const link of links) {
    const rel = halRel(link.rel);
    // HAL clients get the full search template: offset and cursor paging (JSON's stays as it was).
    const href = link.rel === 'search' && link.href === notesSearchLink().href ? notesSearchLinkFull().href : link.href;
    const object: HalLink = { href };
    if (link.templated) object.templated = true;
    const title = TITLES[link.rel];
    if (title) object.title = title;
    const existing = out[rel];
    if (existing === undefined) out[rel] = object;
    else if (Array.isArray(existing)) {
      if (!existing.some((e: HalLink) => e.href === object.href)) (existing as HalLink[]).push(object);
    } else if ((existing as HalLink).href !== object.href) out[rel] = [existing as HalLink, object];
  }
  if (withCuries && Object.keys(out).some((rel) => rel.startsWith('tn:'))) out.curies = CURIES;
  return out;
}

/** A body of the API, with its links (any member but `links` is data). */
type Body = Record<string, unknown> & { links?: Link[] };

function isLinked(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray((value as Body).links);
}

/** One resource in HAL: its data, `_links`, and, for a page, `_embedded.item`. */
function halResource(body: Body, extra: readonly Link[], top: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'links' || name === 'notes') continue;
    out[name] = value;
  }
  out._links = halLinks([...(body.links ?? []), ...extra], top);
  if (Array.isArray(body.notes)) {
    out._embedded = { item: (body.notes as unknown[]).map((note) => (isLinked(note) ? halResource(note, [], false) : note)) };
  }
  return out;
}

// --- HAL-FORMS ----------------------------------------------------------------------------------

/** The body schema of each state-changing action, by rel and method: the same schemas that validate the requests. */
const ACTION_SCHEMAS: Record<string, z.ZodType | null> = {
  'POST add-note': noteSchemas.createNote.body,
  'PATCH edit-text': noteSchemas.editNote.body,
  'PUT update': noteSchemas.replaceNote.body,
  'DELETE delete': null,
  'POST auth': authSchemas.login.body,
  'POST register': userSchemas.register.body,
  'PATCH edit': userSchemas.editProfile.body,
};

/** A HAL-FORMS property. */
export interface FormProperty {
  name: string;
  required: boolean;
  type?: string;
  maxLength?: number;
  minLength?: number;
  regex?: string;
  value?: unknown;
}

/** A HAL-FORMS template. */
export interface FormTemplate {
  title?: string;
  method: string;
  target: string;
  contentType?: string;
  properties: FormProperty[];
}

interface JsonSchemaProperty {
  type?: string | string[];
  format?: string;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
}

const propertiesCache = new Map<z.ZodType, FormProperty[]>();

/** The HAL-FORMS properties of a body schema, from its JSON Schema (zod's own conversion). */
export function formProperties(schema: z.ZodType): FormProperty[] {
  const known = propertiesCache.get(schema);
  if (known) return known;
  // The output schema has the formats and patterns (a piped email); the input schema the lengths checked before them.
  const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as { properties?: Record<string, JsonSchemaProperty>; required?: string[] };
  const input = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as { properties?: Record<string, JsonSchemaProperty> };
  const required = new Set(json.required ?? []);
  const properties = Object.entries(json.properties ?? {}).map(([name, output]) => {
    const p = { ...input.properties?.[name], ...output };
    if (p.maxLength === undefined && input.properties?.[name]?.maxLength !== undefined) p.maxLength = input.properties[name].maxLength;
    const property: FormProperty = { name, required: required.has(name) };
    const type = Array.isArray(p.type) ? p.type[0] : p.type;
    if (/password/i.test(name)) property.type = 'password';
    else if (p.format === 'email' || name === 'email') property.type = 'email';
    else if (type === 'number' || type === 'integer') property.type = 'number';
    else property.type = 'text';
    if (p.maxLength !== undefined) property.maxLength = p.maxLength;
    if (p.minLength !== undefined) property.minLength = p.minLength;
    if (p.pattern !== undefined) property.regex = p.pattern;
    return property;
  });
  propertiesCache.set(schema, properties);
  return properties;
}

/** `_templates` for the state-changing links of a body, with the current values of a resource the action changes. */
function templates(body: Body, extra: readonly Link[]): Record<string, FormTemplate> {
  const out: Record<string, FormTemplate> = {};
  for (const link of [...(body.links ?? []), ...extra]) {
    if (link.method === 'GET' || link.method === undefined) continue;
    const key = `${link.method} ${link.rel}`;
    const schema = ACTION_SCHEMAS[key];
    if (schema === undefined) continue;
    const properties = (schema ? formProperties(schema) : []).map((p) => {
      // A change of this resource starts from what it is now (PUT/PATCH of the resource itself).
      const current = link.method !== 'POST' && link.href === body.links?.find((l) => l.rel === 'self')?.href ? body[p.name] : undefined;
      return current === undefined || p.type === 'password' ? p : { ...p, value: current };
    });
    const template: FormTemplate = { title: TITLES[link.rel], method: link.method, target: link.href, properties };
    if (schema) template.contentType = 'application/json';
    if (Object.keys(out).length === 0) out.default = template;
    out[link.rel] = template;
  }
  return out;
}

/** The body in the negotiated HAL style (JSON bodies pass through unchanged). */
export function render(body: unknown, format: Format, extra: readonly Link[] = []): unknown {
  if (format === 'json' || !isLinked(body)) {
    if (format === 'json' || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    // A body without links (e.g. a 201 of a client that asked minimal): HAL needs at least _links.
    return { ...body, _links: halLinks(extra, true) };
  }
  const hal = halResource(body, extra, true);
  if (format === 'hal-forms') {
    const forms = templates(body, extra);
    if (Object.keys(forms).length > 0) hal._templates = forms;
  }
  return hal;
}

/** The `_links` a problem body carries in HAL style. */
export function problemLinks(links: readonly Link[], extra: readonly Link[]): Record<string, unknown> {
  return halLinks([...links, ...extra], true);
}
