/**
 * Hypermedia controls as the API sends them. The page never writes a URL of its own: every
 * request starts from a link found here (or from the entry point the page was given).
 * `Link` and `HttpMethod` are the API's own declarations, bundled into the page.
 */
import { HTTP_METHODS } from '../../src/types/hypermedia';
import type { HttpMethod, Link } from '../../src/types/hypermedia';

export { HTTP_METHODS };
export type { HttpMethod, Link };

/** True when the value is a method a link may carry. */
export function isMethod(value: unknown): value is HttpMethod {
  return (HTTP_METHODS as readonly unknown[]).includes(value);
}

function isLink(value: unknown): value is Link {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.rel === 'string' && typeof v.href === 'string' && isMethod(v.method);
}

/** The well-formed links of a response body; an absent or malformed `links` gives none. */
export function linksOf(body: unknown): Link[] {
  if (typeof body !== 'object' || body === null) return [];
  const links = (body as { links?: unknown }).links;
  return Array.isArray(links) ? links.filter(isLink) : [];
}

/** The first link with this rel, or undefined when the server did not offer it. */
export function findLink(links: readonly Link[], rel: string): Link | undefined {
  return links.find((l) => l.rel === rel);
}

/** True when the server offered this rel (so the matching button may be shown). */
export function hasLink(links: readonly Link[], rel: string): boolean {
  return findLink(links, rel) !== undefined;
}
