/**
 * The explorer's links table: every hypermedia control an answer offers, wherever the
 * representation put it, as rows of rel, method and href with the place it came from:
 * - the JSON body's `links` arrays (`{rel, href, method}`), at any depth (each note of a page);
 * - HAL `_links` (keyed by rel; HAL states no method, so it is taken from the HAL-FORMS template
 *   of the same rel when the body has one, else GET is assumed and the row says so);
 * - HAL-FORMS `_templates` (method and target of each action; `default` repeats another one);
 * - the `Link` header (RFC 8288; the API names a method other than GET in the `title`).
 * Pure: no DOM, so it is unit-tested in Node.
 */
import { unquote } from '../../src/types/httpSyntax';
import { isMethod, linksOf, type HttpMethod } from './links';

/** Where a link was found. */
export type LinkSource = 'json' | 'hal' | 'hal-forms' | 'header';

/** How the links table names each place. */
export const SOURCE_LABELS: Readonly<Record<LinkSource, string>> = {
  json: 'JSON links',
  hal: 'HAL _links',
  'hal-forms': 'HAL-FORMS _templates',
  header: 'Link header',
};

/** One row of the links table. */
export interface LinkRow {
  rel: string;
  method: HttpMethod;
  /** False when the representation names no method and GET is assumed (a HAL link without a template). */
  methodStated: boolean;
  href: string;
  templated: boolean;
  source: LinkSource;
  /** Where in the body: '' at the top, else a path such as `notes[0]` or `_embedded.item[1]`. */
  at: string;
}

/** A JSON object, as the representations read here are made of. */
export type Json = Record<string, unknown>;

const MAX_DEPTH = 8;

/** True for a JSON object (not null, not an array). */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The href of a HAL resource's `_links.self`, when it has one (the target of a HAL-FORMS template that names none). */
export function halSelfHref(resource: Json): string | undefined {
  const links = isObject(resource._links) ? resource._links : {};
  return isObject(links.self) && typeof links.self.href === 'string' ? links.self.href : undefined;
}

/** `tn:edit-text` → `edit-text`: the name a CURIE'd HAL rel has in `_templates`. */
function bareRel(rel: string): string {
  return /^[\w.-]+:([^/]+)$/.exec(rel)?.[1] ?? rel;
}

function templateRows(templates: Json, selfHref: string | undefined, at: string): LinkRow[] {
  const named = Object.keys(templates).filter((key) => key !== 'default');
  // `default` is the first template again; it is a row of its own only when it is the only one.
  const keys = named.length > 0 ? named : Object.keys(templates);
  return keys.flatMap((key) => {
    const t = templates[key];
    if (!isObject(t)) return [];
    const method = typeof t.method === 'string' ? t.method.toUpperCase() : '';
    const href = typeof t.target === 'string' ? t.target : selfHref; // HAL-FORMS: no target means the resource itself
    if (!isMethod(method) || href === undefined) return [];
    return [{ rel: key, method, methodStated: true, href, templated: false, source: 'hal-forms' as const, at }];
  });
}

function halRows(halLinks: Json, templates: Json | undefined, at: string): LinkRow[] {
  return Object.entries(halLinks).flatMap(([rel, value]) => {
    if (rel === 'curies') return [];
    const objects = (Array.isArray(value) ? value : [value]).filter(isObject);
    return objects.flatMap((link) => {
      if (typeof link.href !== 'string') return [];
      const template = templates?.[bareRel(rel)];
      const method = isObject(template) && typeof template.method === 'string' ? template.method.toUpperCase() : undefined;
      const stated = isMethod(method);
      return [{ rel, method: stated ? method : 'GET', methodStated: stated, href: link.href, templated: link.templated === true, source: 'hal' as const, at }];
    });
  });
}

function bodyRows(value: unknown, at: string, depth: number): LinkRow[] {
  if (depth > MAX_DEPTH) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => bodyRows(item, `${at}[${i}]`, depth + 1));
  if (!isObject(value)) return [];
  const rows: LinkRow[] = [];
  const templates = isObject(value._templates) ? value._templates : undefined;
  const halLinks = isObject(value._links) ? value._links : undefined;
  if (Array.isArray(value.links)) {
    rows.push(...linksOf(value).map((l) => ({ rel: l.rel, method: l.method, methodStated: true, href: l.href, templated: l.templated === true, source: 'json' as const, at })));
  }
  if (halLinks) rows.push(...halRows(halLinks, templates, at));
  if (templates) rows.push(...templateRows(templates, halSelfHref(value), at));
  for (const [name, member] of Object.entries(value)) {
    if (name === 'links' || name === '_links' || name === '_templates') continue;
    rows.push(...bodyRows(member, at === '' ? name : `${at}.${name}`, depth + 1));
  }
  return rows;
}

/** Splits a header value at the commas that separate its items (not those inside `<…>` or quotes). */
function splitItems(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let inUri = false;
  let inQuotes = false;
  for (const char of value) {
    if (char === '<' && !inQuotes) inUri = true;
    else if (char === '>' && !inQuotes) inUri = false;
    else if (char === '"' && !inUri) inQuotes = !inQuotes;
    if (char === ',' && !inUri && !inQuotes) {
      items.push(current);
      current = '';
    } else current += char;
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** One `Link` header item: its target and parameters (names lower-cased, quotes removed). */
export interface HeaderLink {
  href: string;
  params: Record<string, string>;
}

/** Parses a `Link` header (RFC 8288) into its items; malformed items are skipped. */
export function parseLinkHeader(value: string): HeaderLink[] {
  return splitItems(value).flatMap((item) => {
    const target = /^<([^>]*)>(.*)$/s.exec(item);
    if (!target) return [];
    const params: Record<string, string> = {};
    for (const match of (target[2] ?? '').matchAll(/;\s*([^\s=;]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;]*))?/g)) {
      const name = (match[1] ?? '').toLowerCase();
      if (!(name in params)) params[name] = unquote(match[2] ?? ''); // the first occurrence counts (RFC 8288 §3)
    }
    return [{ href: target[1] ?? '', params }];
  });
}

function headerRows(value: string): LinkRow[] {
  return parseLinkHeader(value).flatMap(({ href, params }) => {
    const title = (params.title ?? '').toUpperCase();
    const stated = isMethod(title);
    // `rel` may name several relation types at once, separated by spaces.
    return (params.rel ?? '')
      .split(/\s+/)
      .filter((rel) => rel !== '')
      .map((rel) => ({ rel, method: stated ? title : 'GET', methodStated: stated, href, templated: false, source: 'header' as const, at: '' }));
  });
}

/** Every link of an answer: from its parsed body (any representation) and its `Link` header. */
export function linkRows(body: unknown, linkHeader: string | null | undefined): LinkRow[] {
  return [...bodyRows(body, '', 0), ...(linkHeader ? headerRows(linkHeader) : [])];
}
