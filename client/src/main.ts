/**
 * The page shell: fetches the entry point, keeps the session, and switches between views.
 * Views get an AppContext instead of reaching into each other.
 *
 * The address bar follows the views (hash-route.ts): each view that shows a resource puts its
 * href into the fragment, so Back, reload and bookmarks return to it. Reading a fragment back,
 * the page GETs the href and lets the answer decide the view (a page of notes, a note, the
 * profile, anything else in the explorer): the page still knows no URL but the entry point.
 */
import { follow, forgetCache, send, type ApiResult } from './api';
import { focusHeading, h, replaceChildren } from './dom';
import { ENTRY_POINT } from './entry';
import { ApiProblem, ensureOk, errorBox } from './errors';
import { hashFor, isSameOrigin, routeFromHash, type HistoryMode, type Route } from './hash-route';
import { findLink, linksOf, type Link } from './links';
import { forgetSentRequests } from './log';
import { clearSession, getSession, setSession, type Session } from './session';
import { renderAuth } from './views/auth';
import type { AppContext } from './views/context';
import { editAndResend, exploreHref, followRow, initExplorer, renderExplorer, showExplorer } from './views/explorer';
import { mountLogPanel } from './views/log-panel';
import { renderNote, toNote } from './views/note';
import { renderNotes, resetSearch, toNotesPage } from './views/notes';
import { renderProfile } from './views/profile';
import { renderWalkthrough } from './views/walkthrough';

type ViewName = 'auth' | 'notes' | 'note' | 'profile' | 'walkthrough' | 'explorer';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const view = byId('view');
const nav = byId('nav');
const statusRegion = byId('status');
const pageError = byId('page-error');

let rootLinks: Link[] = [];
let notesHref: string | undefined;
let current: ViewName = 'auth';
// The fragment the page last showed: Back, Forward or a typed fragment differ from it.
let shownHash = window.location.hash;
// A resource the address named before the user logged in, shown once the login succeeded.
let pendingHref: string | undefined;

/** Puts a route into the address bar (none: no fragment), as a new history entry or in place. */
function setRoute(route: Route | undefined, mode: HistoryMode): void {
  const hash = route ? hashFor(route) : '';
  // Compared as the browser writes it (percent-encoded), so the same place never makes two entries.
  const wanted = hash === '' ? '' : new URL(hash, window.location.href).hash;
  if (wanted !== window.location.hash) {
    const url = hash === '' ? `${window.location.pathname}${window.location.search}` : hash;
    if (mode === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }
  shownHash = window.location.hash;
}

function setView(name: ViewName): void {
  current = name;
  // Messages belong to the view they were said in; a new view starts without them.
  replaceChildren(pageError);
  statusRegion.textContent = '';
  renderNav();
}

function sessionLink(rel: string): Link | undefined {
  const session = getSession();
  return session ? findLink(session.links, rel) : undefined;
}

function navButton(label: string, name: ViewName, action: () => void): HTMLElement {
  return h('button', { type: 'button', class: 'nav-button', 'aria-current': current === name ? 'page' : undefined, onclick: action }, label);
}

/** "API reference": the root's `service-doc` link (the /docs page), when the server offers one. */
function apiReferenceLink(): HTMLElement | null {
  const doc = findLink(rootLinks, 'service-doc');
  return doc ? h('a', { class: 'nav-link', href: doc.href }, 'API reference') : null;
}

function renderNav(): void {
  const session = getSession();
  const items: Array<HTMLElement | null> = session
    ? [
        sessionLink('notes') ? navButton('Notes', 'notes', () => void ctx.showNotes()) : null,
        sessionLink('profile') ? navButton('Profile', 'profile', () => void ctx.showProfile()) : null,
        navButton('Explorer', 'explorer', () => void showExplorer().catch(failOnPage)),
        navButton('Walkthrough', 'walkthrough', () => ctx.showWalkthrough()),
        h('button', { type: 'button', class: 'nav-button', onclick: () => ctx.signOut('You are logged out.') }, 'Log out'),
        apiReferenceLink(),
      ]
    : [
        navButton('Log in or register', 'auth', () => {
          setRoute(undefined, 'push');
          ctx.showAuth();
        }),
        navButton('Explorer', 'explorer', () => void showExplorer().catch(failOnPage)),
        navButton('Walkthrough', 'walkthrough', () => ctx.showWalkthrough()),
        apiReferenceLink(),
      ];
  replaceChildren(
    nav,
    session ? h('span', { class: 'who' }, `Signed in as ${session.user.name || session.user.email}`) : null,
    h('ul', {}, items.filter((i): i is HTMLElement => i !== null).map((i) => h('li', {}, i))),
  );
}

/** After the profile changed (a new name), the header and the stored session say so too. */
function keepUserInSession(body: unknown): void {
  const session = getSession();
  if (!session || typeof body !== 'object' || body === null) return;
  const { id, name, email } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id !== session.user.id || typeof name !== 'string' || typeof email !== 'string') return;
  if (name !== session.user.name || email !== session.user.email) setSession({ ...session, user: { ...session.user, name, email } });
}

/** Shows a notes page from an answer that holds it (loaded from `href`). */
function showNotesPage(href: string, result: ApiResult, focus: 'top' | 'summary' | undefined, mode: HistoryMode): void {
  const page = toNotesPage(result.body);
  // Remember the page by its self link (what the server calls it), for "back to notes".
  notesHref = findLink(page.links, 'self')?.href ?? href;
  setView('notes');
  renderNotes(ctx, view, notesHref, page, focus);
  setRoute({ kind: 'resource', href: notesHref }, mode);
}

async function showNotesAt(href: string | undefined, focus: 'top' | 'summary' | undefined, mode: HistoryMode): Promise<void> {
  const plain = sessionLink('notes')?.href;
  const target = href ?? plain;
  if (!target) return ctx.showAuth();
  // The plain collection link carries no query, so the form must not claim one.
  if (target === plain) resetSearch();
  try {
    showNotesPage(target, ensureOk(await send('GET', target)), focus, mode);
  } catch (err) {
    ctx.fail(err, pageError);
  }
}

function showNoteFrom(href: string, result: Pick<ApiResult, 'body' | 'etag'>, mode: HistoryMode): void {
  setView('note');
  renderNote(ctx, view, toNote(result.body), result.etag);
  setRoute({ kind: 'resource', href }, mode);
}

function showProfileFrom(href: string, result: Pick<ApiResult, 'body' | 'etag'>, focusId: string | undefined, mode: HistoryMode): void {
  keepUserInSession(result.body);
  setView('profile');
  renderProfile(ctx, view, result.body, result.etag, focusId);
  setRoute({ kind: 'resource', href }, mode);
}

/** Shows the page's error box (for actions that have no box of their own). */
function failOnPage(err: unknown): void {
  ctx.fail(err, pageError);
}

const ctx: AppContext = {
  rootLinks: () => rootLinks,

  showAuth(message) {
    setView('auth');
    renderAuth(ctx, view, message);
  },

  showNotes(href, focus) {
    return showNotesAt(href, focus, 'push');
  },

  async showNote(href, current) {
    try {
      showNoteFrom(href, current ?? ensureOk(await send('GET', href)), 'push');
    } catch (err) {
      ctx.fail(err, pageError);
    }
  },

  async showProfile(current, focusId) {
    const profile = sessionLink('profile');
    if (!profile) return;
    try {
      showProfileFrom(profile.href, current ?? ensureOk(await follow(profile)), focusId, 'push');
    } catch (err) {
      ctx.fail(err, pageError);
    }
  },

  showWalkthrough() {
    setView('walkthrough');
    renderWalkthrough(ctx, view);
    setRoute({ kind: 'walkthrough' }, 'push');
  },

  announce(message) {
    // Clearing first makes screen readers repeat a message that is the same as the last one.
    statusRegion.textContent = '';
    window.setTimeout(() => (statusRegion.textContent = message), 50);
  },

  async signIn(session: Session) {
    setSession(session);
    notesHref = undefined;
    const pending = pendingHref;
    pendingHref = undefined;
    // The address named before the login comes first; otherwise the notes, in place of the login form.
    if (pending) await showResource(pending, 'replace');
    else await showNotesAt(undefined, undefined, 'replace');
    ctx.announce(`Logged in as ${session.user.name || session.user.email}.`);
  },

  signOut(message) {
    clearSession();
    forgetCache();
    forgetSentRequests();
    notesHref = undefined;
    pendingHref = undefined;
    setRoute(undefined, 'replace');
    ctx.showAuth(message);
  },

  fail(err, box) {
    // A 401 on a request that carried the token means the token expired or is no longer valid.
    const sentToken = err instanceof ApiProblem && err.result.entry.requestHeaders.some(([name]) => name === 'Authorization');
    if (err instanceof ApiProblem && err.result.status === 401 && sentToken && getSession()) {
      ctx.signOut('Your session has ended. Please log in again.');
      return;
    }
    replaceChildren(box, errorBox(err));
  },

  lastNotesHref: () => notesHref,
};

/** The view of an answer, decided by what the answer is (the page knows no URL to tell it by). */
function viewOf(href: string, body: unknown): 'notes' | 'note' | 'profile' | 'explorer' {
  if (typeof body !== 'object' || body === null) return 'explorer';
  const b = body as Record<string, unknown>;
  const self = findLink(linksOf(body), 'self')?.href;
  if (Array.isArray(b.notes)) return 'notes';
  const profile = sessionLink('profile')?.href;
  if (profile !== undefined && (href === profile || self === profile)) return 'profile';
  if (typeof b.text === 'string' && self !== undefined) return 'note';
  return 'explorer';
}

/** Shows the resource an address names: GET it, then the view its answer calls for. */
async function showResource(href: string, mode: HistoryMode): Promise<void> {
  const result = await send('GET', href);
  if (result.status === 401 && !getSession()) {
    pendingHref = href;
    ctx.showAuth('Log in to open the page this address names.');
    return;
  }
  ensureOk(result);
  const kind = viewOf(href, result.body);
  if (kind === 'notes') showNotesPage(href, result, 'top', mode);
  else if (kind === 'note') showNoteFrom(href, result, mode);
  else if (kind === 'profile') showProfileFrom(href, result, undefined, mode);
  else await exploreHref(href, mode);
}

/** The start view: the notes when logged in, else the login form. */
async function showStart(mode: HistoryMode): Promise<void> {
  if (getSession()) await showNotesAt(undefined, undefined, mode);
  else {
    setRoute(undefined, mode);
    ctx.showAuth();
  }
}

/** Shows what the address bar's fragment names (after a reload, Back, Forward, or a bookmark). */
async function showRoute(hash: string): Promise<void> {
  const route = routeFromHash(hash);
  if (!route) {
    if (hash === '' || hash === '#') await showStart('replace');
    return; // another fragment (the skip link's #view) is no place of the app
  }
  if (route.kind === 'walkthrough') {
    setView('walkthrough');
    renderWalkthrough(ctx, view);
    setRoute(route, 'replace');
    return;
  }
  try {
    if (!isSameOrigin(route.href, window.location.href)) throw new Error('That address points to another site; the page only follows links of this API.');
    if (route.kind === 'explorer') await exploreHref(route.href, 'replace');
    else await showResource(route.href, 'replace');
  } catch (err) {
    // The resource is gone or out of reach (404, another user's): start over, and say why.
    await showStart('replace');
    ctx.fail(err, pageError);
  }
}

function onAddressChange(): void {
  if (window.location.hash === shownHash) return;
  shownHash = window.location.hash;
  void showRoute(shownHash);
}

async function boot(): Promise<void> {
  try {
    const result = ensureOk(await send('GET', ENTRY_POINT, { token: null }));
    rootLinks = linksOf(result.body);
  } catch (err) {
    setView('auth');
    replaceChildren(
      view,
      h('h1', {}, 'Thunder Notes'),
      errorBox(err),
      h('button', { type: 'button', onclick: () => void boot() }, 'Try again'),
    );
    return;
  }
  await showRoute(window.location.hash);
}

initExplorer({
  ctx,
  show(href, mode = 'push', focus = true) {
    setView('explorer');
    renderExplorer(view);
    if (href !== undefined) setRoute({ kind: 'explorer', href }, mode);
    if (focus) focusHeading(view);
  },
});
mountLogPanel(byId('log'), byId<HTMLButtonElement>('log-clear'), byId('log-count'), {
  follow: (row, entry) => void followRow(row, entry).catch(failOnPage),
  editAndResend,
});
// Back, Forward and a fragment typed into the address bar; one change may fire both events.
window.addEventListener('popstate', onAddressChange);
window.addEventListener('hashchange', onAddressChange);
// The skip link moves focus without writing its #view into the address (and the history).
document.querySelector('.skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  view.focus();
});
void boot();
