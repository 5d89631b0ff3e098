/**
 * The address bar mirrors what the page shows, in the fragment, so Back, reload and bookmarks
 * work without the page knowing any API path: the fragment holds an href the page got from a
 * link, and reading it back gives that href again.
 * - `#/notes/3`, `#/notes?limit=2&page=2`, `#/users/1`: a resource shown by its view (the href as is);
 * - `#/explore/<encoded href>`: a resource shown raw in the explorer;
 * - `#walkthrough`: the walkthrough.
 * Any other fragment (`#view` of the skip link) is not a route. Pure, so it is unit-tested in Node.
 */

/** What a fragment asks the page to show. */
export type Route = { kind: 'walkthrough' } | { kind: 'explorer'; href: string } | { kind: 'resource'; href: string };

const WALKTHROUGH = '#walkthrough';
const EXPLORE = '#/explore/';

/** A root-relative href (`/x`, not `//host/x`), which can stand in the fragment as it is. */
function rootRelative(href: string): boolean {
  return /^\/(?!\/)/.test(href);
}

/** The fragment for a route. */
export function hashFor(route: Route): string {
  if (route.kind === 'walkthrough') return WALKTHROUGH;
  if (route.kind === 'resource' && rootRelative(route.href)) return `#${route.href}`;
  return `${EXPLORE}${encodeURIComponent(route.href)}`;
}

/** The route a fragment names, or undefined when it names none. */
export function routeFromHash(hash: string): Route | undefined {
  if (hash === WALKTHROUGH) return { kind: 'walkthrough' };
  if (hash.startsWith(EXPLORE)) {
    try {
      const href = decodeURIComponent(hash.slice(EXPLORE.length));
      return href === '' ? undefined : { kind: 'explorer', href };
    } catch {
      return undefined; // a broken percent-encoding names nothing
    }
  }
  const href = hash.slice(1);
  return hash.startsWith('#') && rootRelative(href) ? { kind: 'resource', href } : undefined;
}

/**
 * True when the href, resolved against the page's address, stays on the page's origin. A
 * fragment comes from the address bar, so anyone can write one: the page only requests (and
 * sends its token to) hrefs on its own origin, the API's.
 */
export function isSameOrigin(href: string, pageUrl: string): boolean {
  try {
    return new URL(href, pageUrl).origin === new URL(pageUrl).origin;
  } catch {
    return false;
  }
}

/** How a view change goes into the history: a new entry (Back returns), or in place of the current one. */
export type HistoryMode = 'push' | 'replace';
