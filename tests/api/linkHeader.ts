/** A small RFC 8288 `Link` header parser for the tests: `<href>; rel="…"; title="…"`, comma-separated. */

/** One link of a `Link` header. */
export interface HeaderLink {
  href: string;
  rel: string;
  title?: string;
}

/** Parses a Link header strictly: every entry must be `<uri>` followed by quoted parameters; throws otherwise. */
export function parseLinkHeader(value: string | undefined): HeaderLink[] {
  if (value === undefined) return [];
  const links: HeaderLink[] = [];
  const entry = /\s*<([^<>\s]*)>((?:\s*;\s*[a-z*]+="[^"]*")*)\s*(,|$)/iy;
  while (entry.lastIndex < value.length) {
    const match = entry.exec(value);
    if (!match) throw new Error(`malformed Link header at ${entry.lastIndex}: ${value}`);
    const params = Object.fromEntries([...match[2].matchAll(/;\s*([a-z*]+)="([^"]*)"/gi)].map((p) => [p[1].toLowerCase(), p[2]]));
    if (params.rel === undefined) throw new Error(`Link without rel: ${match[0]}`);
    links.push({ href: match[1], rel: params.rel, ...(params.title !== undefined ? { title: params.title } : {}) });
    if (match[3] === '') break;
  }
  return links;
}

/** The rel URI of one of the API's own relation types, as the app writes it for a supertest request. */
export function relUri(res: { request: { url: string } }, rel: string): string {
  return `${new URL(res.request.url).origin}/rels/${rel}`;
}
