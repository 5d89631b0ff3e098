/**
 * The page shell: fetches the entry point, keeps the session, and switches between views.
 * Views get an AppContext instead of reaching into each other.
 */
import { follow, forgetCache, send } from './api';
import { h, replaceChildren } from './dom';
import { ENTRY_POINT } from './entry';
import { ApiProblem, ensureOk, errorBox } from './errors';
import { findLink, linksOf, type Link } from './links';
import { clearSession, getSession, setSession, type Session } from './session';
import { renderAuth } from './views/auth';
import type { AppContext } from './views/context';
import { mountLogPanel } from './views/log-panel';
import { renderNote, toNote } from './views/note';
import { loadNotes, renderNotes, resetSearch } from './views/notes';
import { renderProfile } from './views/profile';
import { renderWalkthrough } from './views/walkthrough';

type ViewName = 'auth' | 'notes' | 'note' | 'profile' | 'walkthrough';

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
        navButton('Walkthrough', 'walkthrough', () => ctx.showWalkthrough()),
        h('button', { type: 'button', class: 'nav-button', onclick: () => ctx.signOut('You are logged out.') }, 'Log out'),
        apiReferenceLink(),
      ]
    : [navButton('Log in or register', 'auth', () => ctx.showAuth()), navButton('Walkthrough', 'walkthrough', () => ctx.showWalkthrough()), apiReferenceLink()];
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

const ctx: AppContext = {
  rootLinks: () => rootLinks,

  showAuth(message) {
    setView('auth');
    renderAuth(ctx, view, message);
  },

  async showNotes(href, focus) {
    const plain = sessionLink('notes')?.href;
    const target = href ?? plain;
    if (!target) return ctx.showAuth();
    // The plain collection link carries no query, so the form must not claim one.
    if (target === plain) resetSearch();
    try {
      const page = await loadNotes(target);
      // Remember the page by its self link (what the server calls it), for "back to notes".
      notesHref = findLink(page.links, 'self')?.href ?? target;
      setView('notes');
      renderNotes(ctx, view, notesHref, page, focus);
    } catch (err) {
      ctx.fail(err, pageError);
    }
  },

  async showNote(href, current) {
    try {
      const result = current ?? ensureOk(await send('GET', href));
      setView('note');
      renderNote(ctx, view, toNote(result.body), result.etag);
    } catch (err) {
      ctx.fail(err, pageError);
    }
  },

  async showProfile(current, focusId) {
    const profile = sessionLink('profile');
    if (!profile) return;
    try {
      const result = current ?? ensureOk(await follow(profile));
      keepUserInSession(result.body);
      setView('profile');
      renderProfile(ctx, view, result.body, result.etag, focusId);
    } catch (err) {
      ctx.fail(err, pageError);
    }
  },

  showWalkthrough() {
    setView('walkthrough');
    renderWalkthrough(ctx, view);
  },

  announce(message) {
    // Clearing first makes screen readers repeat a message that is the same as the last one.
    statusRegion.textContent = '';
    window.setTimeout(() => (statusRegion.textContent = message), 50);
  },

  async signIn(session: Session) {
    setSession(session);
    notesHref = undefined;
    await ctx.showNotes();
    ctx.announce(`Logged in as ${session.user.name || session.user.email}.`);
  },

  signOut(message) {
    clearSession();
    forgetCache();
    notesHref = undefined;
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
  if (getSession()) await ctx.showNotes();
  else ctx.showAuth();
}

mountLogPanel(byId('log'), byId<HTMLButtonElement>('log-clear'), byId('log-count'));
void boot();
