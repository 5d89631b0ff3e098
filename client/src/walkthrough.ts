/**
 * The walkthrough's steps: the tutorial's sequence of requests, each sent for real with the
 * method the step is about and an href taken from an earlier answer.
 */
import { send, type ApiResult } from './api';
import { ENTRY_POINT } from './entry';
import { findLink, linksOf, type Link } from './links';
import { fillTemplate } from './template';

/** What the steps learn from the answers and hand on to later steps. */
export interface WalkState {
  email: string;
  password: string;
  rootLinks: Link[];
  token?: string;
  userName?: string;
  authLinks: Link[];
  listLinks: Link[];
  searchTerm?: string;
  location?: string;
  note?: Record<string, unknown>;
  noteLinks: Link[];
  pageLinks: Link[];
}

/** One step: what to read, what to look at, and the request to send. */
export interface Step {
  title: string;
  explain: string[];
  /** Header names worth looking at in this step's exchange. */
  highlight: string[];
  expectStatus: number;
  run(state: WalkState): Promise<ApiResult>;
  /** A sentence about the live answer, for after the request. */
  observe?(result: ApiResult, state: WalkState): string;
}

/** A fresh state for the given credentials. */
export function newWalkState(email: string, password: string): WalkState {
  return { email, password, rootLinks: [], authLinks: [], listLinks: [], noteLinks: [], pageLinks: [] };
}

function need(link: Link | undefined, what: string): Link {
  if (!link) throw new Error(`No "${what}" link yet: run the earlier steps first.`);
  return link;
}

function rels(links: Link[]): string {
  return links.map((l) => l.rel).join(', ') || 'none';
}

function bodyOf(result: ApiResult): Record<string, unknown> {
  return typeof result.body === 'object' && result.body !== null ? (result.body as Record<string, unknown>) : {};
}

function pageInfo(result: ApiResult): string {
  const page = bodyOf(result).page as { number?: number; totalPages?: number; totalItems?: number } | undefined;
  if (!page) return '';
  return `Page ${page.number ?? '?'} of ${page.totalPages ?? '?'}, ${page.totalItems ?? '?'} matching notes. `;
}

// A word from the user's own first note, so the search step finds something whatever the data.
function pickSearchTerm(result: ApiResult): string | undefined {
  const notes = bodyOf(result).notes;
  const first = Array.isArray(notes) ? (notes[0] as { text?: unknown } | undefined) : undefined;
  const words = typeof first?.text === 'string' ? first.text.match(/[\p{L}]{4,}/gu) : null;
  return words?.sort((a, b) => b.length - a.length)[0]?.toLowerCase();
}

/** The steps, in the tutorial's order. */
export const STEPS: Step[] = [
  {
    title: 'The entry point',
    explain: [
      'The page was given a single address, the entry point. Its answer is a greeting and a list of links: each has a rel (what it is for), an href (where) and a method (how to use it).',
      'Every request after this one uses an href from an answer. Nothing else is hard-coded.',
    ],
    highlight: ['Content-Type', 'ETag'],
    expectStatus: 200,
    async run(state) {
      const result = await send('GET', ENTRY_POINT, { token: null, conditional: false });
      state.rootLinks = linksOf(result.body);
      return result;
    },
    observe: (_r, state) => `Links offered: ${rels(state.rootLinks)}.`,
  },
  {
    title: 'Log in',
    explain: [
      'The auth link says POST. The page sends the email and password as JSON and gets back a bearer token (access_token in the body, also in the X-Access-Token header) and new links: notes, add-note and profile.',
      'From now on every request carries the token in an Authorization header. The log masks it.',
    ],
    highlight: ['X-Access-Token', 'Content-Type'],
    expectStatus: 200,
    async run(state) {
      const auth = need(findLink(state.rootLinks, 'auth'), 'auth');
      const result = await send(auth.method, auth.href, { body: { email: state.email, password: state.password }, token: null });
      const body = bodyOf(result);
      if (typeof body.access_token === 'string') {
        state.token = body.access_token;
        state.userName = String((body.user as { name?: unknown } | undefined)?.name ?? '');
        state.authLinks = linksOf(body);
      }
      return result;
    },
    observe: (_r, state) => (state.token ? `Logged in as ${state.userName}. New links: ${rels(state.authLinks)}.` : ''),
  },
  {
    title: 'List the notes',
    explain: [
      'GET on the notes link returns one page of notes, a page object (number, limit, totalItems, totalPages) and the links that make sense from here: self, add-note, a search template, and paging links when there is more than one page.',
      'Each note carries its own self link. The headers add X-Total-Count and an ETag.',
    ],
    highlight: ['X-Total-Count', 'ETag', 'Link', 'Cache-Control'],
    expectStatus: 200,
    async run(state) {
      const notes = need(findLink(state.authLinks, 'notes'), 'notes');
      const result = await send(notes.method, notes.href, { token: state.token, conditional: false });
      state.listLinks = linksOf(result.body);
      state.searchTerm = pickSearchTerm(result) ?? state.searchTerm;
      return result;
    },
    observe: (result, state) => `${pageInfo(result)}Links: ${rels(state.listLinks)}.`,
  },
  {
    title: 'Create a note: 201 Created and Location',
    explain: [
      'add-note is a POST to the collection with the text as JSON. A successful create answers 201 Created, names the new note in the Location header, and returns the note with its links.',
    ],
    highlight: ['Location'],
    expectStatus: 201,
    async run(state) {
      const add = need(findLink(state.authLinks, 'add-note') ?? findLink(state.listLinks, 'add-note'), 'add-note');
      const result = await send(add.method, add.href, { body: { text: 'Written by the walkthrough' }, token: state.token });
      state.location = result.headers.get('Location') ?? undefined;
      return result;
    },
    observe: (_r, state) => (state.location ? `The new note lives at ${state.location}.` : 'No Location header came back.'),
  },
  {
    title: 'Read the new note',
    explain: [
      'The page follows the Location it was just given. The note arrives with five links: self, edit-text (PATCH), update (PUT), delete (DELETE) and notes.',
      'ETag and Last-Modified let a client ask later whether its copy is still current.',
    ],
    highlight: ['ETag', 'Last-Modified', 'Cache-Control'],
    expectStatus: 200,
    async run(state) {
      if (!state.location) throw new Error('No Location yet: run the "Create a note" step first.');
      const result = await send('GET', state.location, { token: state.token, conditional: false });
      state.note = bodyOf(result);
      state.noteLinks = linksOf(result.body);
      return result;
    },
    observe: (_r, state) => `Links: ${rels(state.noteLinks)}.`,
  },
  {
    title: 'PUT on the collection: 405 and Allow',
    explain: [
      'Replacing the whole collection is not something this API does. The page takes the href of the notes link, the address it lists notes from, and sends PUT to it.',
      'The server answers 405 Method Not Allowed, and the Allow header says which methods that address does accept.',
    ],
    highlight: ['Allow'],
    expectStatus: 405,
    run(state) {
      const notes = need(findLink(state.authLinks, 'notes'), 'notes');
      return send('PUT', notes.href, { token: state.token });
    },
    observe: (result) => `Allow: ${result.headers.get('Allow') ?? '(missing)'}.`,
  },
  {
    title: 'Replace the note: PUT',
    explain: [
      'The update link says PUT. PUT sends the complete representation, id, text, createdAt and updatedAt, and the server stores it in place of the old one (it keeps createdAt and sets a new updatedAt).',
      '204 No Content means it worked and there is nothing to send back.',
    ],
    highlight: [],
    expectStatus: 204,
    run(state) {
      const update = need(findLink(state.noteLinks, 'update'), 'update');
      const note = state.note ?? {};
      const body = { id: note.id, text: 'Replaced by the walkthrough (PUT)', createdAt: note.createdAt, updatedAt: note.updatedAt };
      return send(update.method, update.href, { body, token: state.token });
    },
  },
  {
    title: 'Edit the text: PATCH',
    explain: [
      'The edit-text link says PATCH: change part of a resource. Only the new text is sent; the other fields stay as they are. Again 204.',
    ],
    highlight: [],
    expectStatus: 204,
    run(state) {
      const edit = need(findLink(state.noteLinks, 'edit-text'), 'edit-text');
      return send(edit.method, edit.href, { body: { text: 'Edited by the walkthrough (PATCH)' }, token: state.token });
    },
  },
  {
    title: 'Delete the note',
    explain: [
      'The delete link says DELETE. The answer is 204. Sending it again would give 404, since the note is gone, but the end state is the same: that is what makes DELETE idempotent.',
    ],
    highlight: [],
    expectStatus: 204,
    run(state) {
      const del = need(findLink(state.noteLinks, 'delete'), 'delete');
      return send(del.method, del.href, { token: state.token });
    },
  },
  {
    title: 'The profile: 200 with an ETag',
    explain: [
      'The profile link came with the login answer. Look at the caching headers: an ETag (a fingerprint of this representation), Last-Modified, and Cache-Control: private, no-cache, which means "you may keep a copy, but ask me before using it".',
      'The page keeps the body and the ETag.',
    ],
    highlight: ['ETag', 'Last-Modified', 'Cache-Control'],
    expectStatus: 200,
    run(state) {
      const profile = need(findLink(state.authLinks, 'profile'), 'profile');
      return send(profile.method, profile.href, { token: state.token, conditional: false });
    },
    observe: (result) => `ETag: ${result.headers.get('ETag') ?? '(missing)'}.`,
  },
  {
    title: 'The profile again: 304 Not Modified',
    explain: [
      'Same link, but now the page sends If-None-Match with the ETag it kept. Nothing changed, so the server answers 304 Not Modified with no body, and the page shows the copy it already has.',
      'A browser does this revalidation on its own but reports it to the page as a 200, so this page keeps its own copy to make the 304 visible.',
    ],
    highlight: ['If-None-Match', 'ETag'],
    expectStatus: 304,
    run(state) {
      const profile = need(findLink(state.authLinks, 'profile'), 'profile');
      return send(profile.method, profile.href, { token: state.token });
    },
    observe: (result) => (result.revalidated ? 'Revalidated: the cached profile is still current.' : ''),
  },
  {
    title: 'Paging: two notes per page',
    explain: [
      'The list offered a search link whose href is a URI template (RFC 6570) with the variables q, sort, order and limit. The page fills in limit=2 to get small pages.',
      'On page 1 the links include next and last, but not first or prev. The Link header carries the same targets.',
    ],
    highlight: ['Link', 'X-Total-Count'],
    expectStatus: 200,
    async run(state) {
      const search = need(findLink(state.listLinks, 'search'), 'search');
      const result = await send(search.method, fillTemplate(search, { limit: 2 }), { token: state.token });
      state.pageLinks = linksOf(result.body);
      return result;
    },
    observe: (result, state) => `${pageInfo(result)}Links: ${rels(state.pageLinks)}.`,
  },
  {
    title: 'Paging: follow next until it disappears',
    explain: [
      'The page follows the next link. The client never counts pages: on the last page the server leaves next and last out, so the "Next" button has nothing to stand on and goes away.',
      'While there is still a next link, send again to follow it.',
    ],
    highlight: ['Link'],
    expectStatus: 200,
    async run(state) {
      const next = need(findLink(state.pageLinks, 'next'), 'next');
      const result = await send(next.method, next.href, { token: state.token });
      state.pageLinks = linksOf(result.body);
      return result;
    },
    observe: (result, state) =>
      `${pageInfo(result)}Links: ${rels(state.pageLinks)}. ` +
      (findLink(state.pageLinks, 'next') ? 'There is still a next link: send again.' : 'No next link: this is the last page.'),
  },
  {
    title: 'Search with q',
    explain: [
      'The same template, filled with q: the server keeps the notes whose text contains the term, ignoring case. The links in the answer keep q, so paging stays inside the search.',
      'The term here is a word taken from your first note.',
    ],
    highlight: ['X-Total-Count'],
    expectStatus: 200,
    run(state) {
      const search = need(findLink(state.listLinks, 'search'), 'search');
      return send(search.method, fillTemplate(search, { q: state.searchTerm ?? 'note' }), { token: state.token });
    },
    observe: (result, state) => `${pageInfo(result)}Searched for "${state.searchTerm ?? 'note'}".`,
  },
  {
    title: 'Sort: newest first',
    explain: [
      'sort picks the field (createdAt or updatedAt) and order the direction. The server sorts all matching notes before cutting them into pages, so page 2 carries on where page 1 stopped.',
    ],
    highlight: [],
    expectStatus: 200,
    run(state) {
      const search = need(findLink(state.listLinks, 'search'), 'search');
      return send(search.method, fillTemplate(search, { sort: 'createdAt', order: 'desc' }), { token: state.token });
    },
    observe: (result) => `${pageInfo(result)}Newest first.`,
  },
];
