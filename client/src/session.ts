/**
 * The signed-in user for this browser tab. sessionStorage keeps the token across a reload of
 * the tab but not beyond it, and never shares it with other tabs.
 */
import { linksOf, type Link } from './links';

/** Who is signed in, with the token and the links the login response handed out. */
export interface Session {
  token: string;
  user: { id: string; name: string; email: string };
  links: Link[];
}

const STORAGE_KEY = 'thunder-notes.session';
let current: Session | undefined;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the session then lasts until the page is reloaded
  }
}

/** Builds a session from a successful login body; undefined when the body lacks a token. */
export function sessionFromLogin(body: unknown): Session | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { access_token?: unknown; user?: { id?: unknown; name?: unknown; email?: unknown } };
  if (typeof b.access_token !== 'string') return undefined;
  const u = b.user ?? {};
  return {
    token: b.access_token,
    user: { id: String(u.id ?? ''), name: String(u.name ?? ''), email: String(u.email ?? '') },
    links: linksOf(body),
  };
}

/** The current session, restored from this tab's storage on first use. */
export function getSession(): Session | undefined {
  if (current) return current;
  const raw = storage()?.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Session;
    if (typeof parsed.token === 'string' && Array.isArray(parsed.links)) current = parsed;
  } catch {
    storage()?.removeItem(STORAGE_KEY);
  }
  return current;
}

/** Starts a session (after a login). */
export function setSession(session: Session): void {
  current = session;
  storage()?.setItem(STORAGE_KEY, JSON.stringify(session));
}

/** Ends the session (log out, or the API said the token is no longer valid). */
export function clearSession(): void {
  current = undefined;
  storage()?.removeItem(STORAGE_KEY);
}
