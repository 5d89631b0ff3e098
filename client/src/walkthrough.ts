/**
 * The walkthrough's steps: the tutorial's sequence of requests, each sent for real with the
 * method the step is about and an href taken from an earlier answer. Besides the happy path it
 * teaches the error answers (400, 401, 404, 409, 412, 415), paging by page and by cursor, and
 * the six REST constraints; the summary (views/walkthrough.ts) lists what was covered from the
 * `constraint` and `lesson` of each step. Every request is marked as the walkthrough's in the log.
 */
import { send, type ApiResult, type SendOptions } from './api';
import { ENTRY_POINT } from './entry';
import { JSON_ACCEPT } from './explorer-compose';
import { findLink, linksOf, type Link } from './links';
import { describeField, problemMessages } from './problem';
import { parseTemplate } from 'url-template';
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
  /** The note's ETag as the read step saw it: stale once the PUT has changed the note. */
  noteEtag?: string;
  pageLinks: Link[];
  /** The search template of the HAL representation, which also offers page and cursor. */
  halSearch?: Link;
  /** The links of the last cursor page. */
  cursorLinks: Link[];
  /** The entry point's widget links (rel widget, widget-demo), for the code-on-demand step. */
  widget?: Link;
  widgetDemo?: Link;
}

/** The six REST constraints, each shown live by one or more steps. */
export type Constraint = 'client-server' | 'stateless' | 'cacheable' | 'uniform-interface' | 'layered' | 'code-on-demand';

/** The constraints in the order the tutorial introduces them, with their names for people. */
export const CONSTRAINTS: ReadonlyArray<readonly [Constraint, string]> = [
  ['client-server', 'Client-server'],
  ['stateless', 'Stateless'],
  ['cacheable', 'Cacheable'],
  ['uniform-interface', 'Uniform interface'],
  ['layered', 'Layered system'],
  ['code-on-demand', 'Code on demand'],
];

/** An extra the view draws under a step's outcome. */
export type StepPanel = 'claims' | 'layers' | 'code-on-demand';

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
  /** The REST constraint this step shows, for the summary. */
  constraint?: Constraint;
  /** Set on the error lessons: what the mistake was, for the summary. */
  lesson?: string;
  /** An extra view under the outcome: the token's claims, the layers, the widget. */
  panel?: StepPanel;
}

/** A fresh state for the given credentials. */
export function newWalkState(email: string, password: string): WalkState {
  return { email, password, rootLinks: [], authLinks: [], listLinks: [], noteLinks: [], pageLinks: [], cursorLinks: [] };
}

/** Sends a request as the walkthrough's own, so the log marks it apart from the user's. */
function walkSend(method: Link['method'], href: string, options: SendOptions = {}): Promise<ApiResult> {
  return send(method, href, { ...options, source: 'walkthrough' });
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

/** The texts of a page's notes, shortened, so the outcome shows which notes a page holds. */
function noteTexts(result: ApiResult): string {
  const notes = bodyOf(result).notes;
  if (!Array.isArray(notes) || notes.length === 0) return 'No notes on this page.';
  const texts = notes.map((n: { text?: unknown }) => {
    const text = typeof n.text === 'string' ? n.text : '';
    return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
  });
  return `On this page: ${texts.join(', ')}.`;
}

/** The problem's field errors as "sort: must be …", or its detail when it names no field. */
function problemSummary(result: ApiResult): string {
  const body = bodyOf(result);
  const fields = problemMessages(result.status, result.statusText, body).fields.map(describeField);
  if (fields.length > 0) return `The problem names the field: ${fields.join('; ')}.`;
  return typeof body.detail === 'string' ? `The problem says: ${body.detail}` : '';
}

/** An email nobody has registered, for the throwaway second user. */
function throwawayEmail(): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `second-learner-${Date.now().toString(36)}-${random}@example.com`;
}

/**
 * Runs `use` as a throwaway second user: registers one through the root's register link, logs
 * in, hands over the token, and deletes the account again through its profile's delete link,
 * so repeating the walkthrough leaves nothing behind. Returns what `use` returned, or the
 * failing registration or login answer.
 */
async function asSecondUser(state: WalkState, use: (token: string) => Promise<ApiResult>): Promise<ApiResult> {
  const register = need(findLink(state.rootLinks, 'register'), 'register');
  const auth = need(findLink(state.rootLinks, 'auth'), 'auth');
  const account = { name: 'Second learner', email: throwawayEmail(), password: 'second learner password' };
  const registered = await walkSend(register.method, register.href, { body: account, token: null });
  if (registered.status !== 201) return registered;
  const login = await walkSend(auth.method, auth.href, { body: { email: account.email, password: account.password }, token: null });
  const token = bodyOf(login).access_token;
  if (typeof token !== 'string') return login;
  try {
    return await use(token);
  } finally {
    const profileLink = findLink(linksOf(login.body), 'profile');
    const profile = profileLink ? await walkSend(profileLink.method, profileLink.href, { token, conditional: false }) : undefined;
    const remove = profile ? findLink(linksOf(profile.body), 'delete') : undefined;
    if (remove) await walkSend(remove.method, remove.href, { token });
  }
}

const HAL = 'application/hal+json';

/** The HAL `_links.search` of a body as a Link, when it is there. */
function halSearchLink(body: unknown): Link | undefined {
  const links = typeof body === 'object' && body !== null ? (body as { _links?: Record<string, unknown> })._links : undefined;
  const search = links?.search as { href?: unknown; templated?: unknown } | undefined;
  return typeof search?.href === 'string' ? { rel: 'search', href: search.href, method: 'GET', templated: search.templated === true } : undefined;
}

/** What a cursor page says about itself: how many notes in all, and that it has no page numbers. */
function cursorInfo(result: ApiResult, state: WalkState): string {
  const page = bodyOf(result).page as { totalItems?: number; cursor?: string } | undefined;
  const start = page?.cursor === '' ? 'The start of the list (cursor empty)' : 'A page after a cursor';
  return `${start}, ${page?.totalItems ?? '?'} notes in all, no page numbers. Links: ${rels(state.cursorLinks)}. ${noteTexts(result)}`;
}

/** Follows the next link of the page whose links are kept under `key`, and keeps the new page's links there. */
async function followNext(state: WalkState, key: 'pageLinks' | 'cursorLinks'): Promise<ApiResult> {
  const next = need(findLink(state[key], 'next'), 'next');
  const result = await walkSend(next.method, next.href, { token: state.token });
  state[key] = linksOf(result.body);
  return result;
}

/** The steps, in the tutorial's order. */
export const STEPS: Step[] = [
  {
    title: 'The entry point',
    constraint: 'client-server',
    explain: [
      'The page was given a single address, the entry point. Its answer is a greeting and a list of links: each has a rel (what it is for), an href (where) and a method (how to use it).',
      'Every request after this one uses an href from an answer. Nothing else is hard-coded.',
    ],
    highlight: ['Content-Type', 'ETag'],
    expectStatus: 200,
    async run(state) {
      const result = await walkSend('GET', ENTRY_POINT, { token: null, conditional: false });
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
      const result = await walkSend(auth.method, auth.href, { body: { email: state.email, password: state.password }, token: null });
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
      const result = await walkSend(notes.method, notes.href, { token: state.token, conditional: false });
      state.listLinks = linksOf(result.body);
      state.searchTerm = pickSearchTerm(result) ?? state.searchTerm;
      return result;
    },
    observe: (result, state) => `${pageInfo(result)}Links: ${rels(state.listLinks)}.`,
  },
  {
    title: 'Stateless: the token carries who you are',
    constraint: 'stateless',
    panel: 'claims',
    explain: [
      'The server keeps no session. The token is signed data: its claims (below, decoded by the page) say who you are and until when. The page asks the entry point again, this time with the token: the server reads the token, and the Link header now adds your profile and your notes.',
      'Because nothing is stored on the server, "Log out" in this page sends no request at all: it only forgets the token. A copy of the token keeps working until its exp. Only a password change ends tokens early (their tv no longer matches).',
    ],
    highlight: ['Authorization', 'Link', 'Vary'],
    expectStatus: 200,
    run(state) {
      const self = need(findLink(state.rootLinks, 'self'), 'self');
      if (!state.token) throw new Error('No token yet: run the "Log in" step first.');
      return walkSend(self.method, self.href, { token: state.token, conditional: false });
    },
    observe: (result) => (/rel="[^"]*\bprofile"/.test(result.headers.get('Link') ?? '') ? 'The Link header names your profile: the server knew you from the token alone.' : ''),
  },
  {
    title: 'No token: 401 and WWW-Authenticate',
    lesson: 'A request without a token',
    explain: [
      'The same notes link, sent without the Authorization header. The server does not know who is asking, so it answers 401 Unauthorized.',
      'Every 401 carries a WWW-Authenticate header naming the scheme to use (Bearer). The problem body links to auth and register, the ways to get a token.',
    ],
    highlight: ['WWW-Authenticate'],
    expectStatus: 401,
    run(state) {
      const notes = need(findLink(state.authLinks, 'notes'), 'notes');
      return walkSend(notes.method, notes.href, { token: null });
    },
    observe: (result) => `WWW-Authenticate: ${result.headers.get('WWW-Authenticate') ?? '(missing)'}.`,
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
      const result = await walkSend(add.method, add.href, { body: { text: 'Written by the walkthrough' }, token: state.token });
      state.location = result.headers.get('Location') ?? undefined;
      return result;
    },
    observe: (_r, state) => (state.location ? `The new note lives at ${state.location}.` : 'No Location header came back.'),
  },
  {
    title: 'An empty note: 400 Bad Request',
    lesson: 'A body that misses a required field',
    explain: [
      'The same add-note link, but the body is an empty JSON object {}. The server checks every request against its schema before doing anything, and answers 400 Bad Request.',
      'The answer is a problem document (Content-Type: application/problem+json): a title, a detail, and an errors list naming the field that is wrong.',
    ],
    highlight: ['Content-Type'],
    expectStatus: 400,
    run(state) {
      const add = need(findLink(state.authLinks, 'add-note') ?? findLink(state.listLinks, 'add-note'), 'add-note');
      return walkSend(add.method, add.href, { body: {}, token: state.token });
    },
    observe: problemSummary,
  },
  {
    title: 'Read the new note',
    constraint: 'uniform-interface',
    explain: [
      'The page follows the Location it was just given. The note arrives with five links: self, edit-text (PATCH), update (PUT), delete (DELETE) and notes.',
      'ETag and Last-Modified let a client ask later whether its copy is still current.',
    ],
    highlight: ['ETag', 'Last-Modified', 'Cache-Control'],
    expectStatus: 200,
    async run(state) {
      if (!state.location) throw new Error('No Location yet: run the "Create a note" step first.');
      const result = await walkSend('GET', state.location, { token: state.token, conditional: false });
      state.note = bodyOf(result);
      state.noteLinks = linksOf(result.body);
      state.noteEtag = result.etag;
      return result;
    },
    observe: (_r, state) => `Links: ${rels(state.noteLinks)}.`,
  },
  {
    title: 'Someone else\'s note: 404, not 403',
    lesson: 'Another user\u2019s note',
    explain: [
      'The walkthrough registers a second, throwaway user, logs in as them, and asks for your new note with their token (the log shows every request).',
      'The answer is 404 Not Found, exactly as for a note that does not exist: a 403 would tell a stranger that the note is there. Afterwards the second account is deleted again.',
    ],
    highlight: [],
    expectStatus: 404,
    run(state) {
      const location = state.location;
      if (!location) throw new Error('No Location yet: run the "Create a note" step first.');
      return asSecondUser(state, (token) => walkSend('GET', location, { token, conditional: false }));
    },
    observe: (result) => (result.status === 404 ? 'To the second user your note does not exist.' : ''),
  },
  {
    title: 'A taken email: 409 Conflict',
    lesson: 'Registering an email that is taken',
    explain: [
      'The register link from the entry point, with the email of the walkthrough user, which already has an account.',
      'The request is well formed, so not a 400: it conflicts with the state of the server, and the answer is 409 Conflict, with the errors list naming the email field.',
    ],
    highlight: [],
    expectStatus: 409,
    run(state) {
      const register = need(findLink(state.rootLinks, 'register'), 'register');
      return walkSend(register.method, register.href, { body: { name: 'Someone else', email: state.email, password: 'another password' }, token: null });
    },
    observe: problemSummary,
  },
  {
    title: 'PUT on the collection: 405 and Allow',
    constraint: 'uniform-interface',
    explain: [
      'Replacing the whole collection is not something this API does. The page takes the href of the notes link, the address it lists notes from, and sends PUT to it.',
      'The server answers 405 Method Not Allowed, and the Allow header says which methods that address does accept.',
    ],
    highlight: ['Allow'],
    expectStatus: 405,
    run(state) {
      const notes = need(findLink(state.authLinks, 'notes'), 'notes');
      return walkSend('PUT', notes.href, { token: state.token });
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
      return walkSend(update.method, update.href, { body, token: state.token });
    },
  },
  {
    title: 'A stale If-Match: 412 Precondition Failed',
    lesson: 'Changing a version you never saw',
    explain: [
      'The page still holds the ETag the note had when it was read, before the PUT changed it. It sends a PATCH with If-Match set to that old ETag: "change it only if it is still this version".',
      'It is not, so the server changes nothing and answers 412 Precondition Failed: the guard against overwriting an edit made meanwhile (in another tab, by another client). The detail names the current ETag.',
    ],
    highlight: ['If-Match', 'ETag'],
    expectStatus: 412,
    run(state) {
      const edit = need(findLink(state.noteLinks, 'edit-text'), 'edit-text');
      if (!state.noteEtag) throw new Error('No ETag of the note yet: run the "Read the new note" step first.');
      return walkSend(edit.method, edit.href, { body: { text: 'This edit must not land' }, token: state.token, ifMatch: state.noteEtag });
    },
    observe: problemSummary,
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
      return walkSend(edit.method, edit.href, { body: { text: 'Edited by the walkthrough (PATCH)' }, token: state.token });
    },
  },
  {
    title: 'Plain text: 415 Unsupported Media Type',
    lesson: 'A body in a media type the API does not take',
    explain: [
      'The same edit-text link, but the new text is sent as it is, with Content-Type: text/plain. The API reads JSON (and two JSON patch formats) only.',
      'It answers 415 Unsupported Media Type, and its Accept-Patch header lists the media types a PATCH of a note may use: part of the uniform interface, a message that describes itself.',
    ],
    highlight: ['Content-Type', 'Accept-Patch'],
    expectStatus: 415,
    constraint: 'uniform-interface',
    run(state) {
      const edit = need(findLink(state.noteLinks, 'edit-text'), 'edit-text');
      const headers: Array<[string, string]> = [
        ['Accept', JSON_ACCEPT],
        ['Content-Type', 'text/plain'],
      ];
      return walkSend(edit.method, edit.href, { rawBody: 'Edited as plain text', headers, token: state.token });
    },
    observe: (result) => `Accept-Patch: ${result.headers.get('Accept-Patch') ?? '(missing)'}.`,
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
      return walkSend(del.method, del.href, { token: state.token });
    },
  },
  {
    title: 'The profile: 200 with an ETag',
    constraint: 'cacheable',
    explain: [
      'The profile link came with the login answer. Look at the caching headers: an ETag (a fingerprint of this representation), Last-Modified, and Cache-Control: private, no-cache, which means "you may keep a copy, but ask me before using it".',
      'The page keeps the body and the ETag.',
    ],
    highlight: ['ETag', 'Last-Modified', 'Cache-Control'],
    expectStatus: 200,
    run(state) {
      const profile = need(findLink(state.authLinks, 'profile'), 'profile');
      return walkSend(profile.method, profile.href, { token: state.token, conditional: false });
    },
    observe: (result) => `ETag: ${result.headers.get('ETag') ?? '(missing)'}.`,
  },
  {
    title: 'The profile again: 304 Not Modified',
    constraint: 'cacheable',
    explain: [
      'Same link, but now the page sends If-None-Match with the ETag it kept. Nothing changed, so the server answers 304 Not Modified with no body, and the page shows the copy it already has.',
      'A browser does this revalidation on its own but reports it to the page as a 200, so this page keeps its own copy to make the 304 visible.',
    ],
    highlight: ['If-None-Match', 'ETag'],
    expectStatus: 304,
    run(state) {
      const profile = need(findLink(state.authLinks, 'profile'), 'profile');
      return walkSend(profile.method, profile.href, { token: state.token });
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
      const result = await walkSend(search.method, fillTemplate(search, { limit: 2 }), { token: state.token });
      state.pageLinks = linksOf(result.body);
      return result;
    },
    observe: (result, state) => `${pageInfo(result)}Links: ${rels(state.pageLinks)}. ${noteTexts(result)}`,
  },
  {
    title: 'Paging: follow next until it disappears',
    explain: [
      'The page follows the next link. The client never counts pages: on the last page the server leaves next and last out, so the "Next" button has nothing to stand on and goes away.',
      'While there is still a next link, send again to follow it.',
    ],
    highlight: ['Link'],
    expectStatus: 200,
    run: (state) => followNext(state, 'pageLinks'),
    observe: (result, state) =>
      `${pageInfo(result)}Links: ${rels(state.pageLinks)}. ` +
      (findLink(state.pageLinks, 'next') ? 'There is still a next link: send again. ' : 'No next link: this is the last page. ') +
      noteTexts(result),
  },
  {
    title: 'One list, another media type: HAL',
    constraint: 'uniform-interface',
    explain: [
      'The same notes link, asked with Accept: application/hal+json. The resource is the same; its representation is HAL, whose links sit in _links and whose notes in _embedded. The Content-Type of the answer says which one came back, and Vary: Accept tells caches that it depends on the request.',
      'HAL\'s search template offers two more variables than the plain JSON one: page, and cursor.',
    ],
    highlight: ['Accept', 'Content-Type', 'Vary'],
    expectStatus: 200,
    async run(state) {
      const notes = need(findLink(state.authLinks, 'notes'), 'notes');
      const result = await walkSend(notes.method, notes.href, { token: state.token, accept: HAL, conditional: false });
      state.halSearch = halSearchLink(result.body) ?? state.halSearch;
      return result;
    },
    observe: (result, state) => `Content-Type: ${result.headers.get('Content-Type') ?? '(missing)'}. Search template: ${state.halSearch?.href ?? '(none)'}.`,
  },
  {
    title: 'Cursor paging: start with an empty cursor',
    explain: [
      'Page numbers shift when notes are added or deleted while someone pages. A cursor does not: it names the place in the sorted list where the next page starts. The page fills the HAL search template with limit=2 and an empty cursor, which means "from the start".',
      'The answer has no page numbers, only first and, while more notes follow, next: an opaque, signed cursor the client hands back as it was given.',
    ],
    highlight: ['Link'],
    expectStatus: 200,
    async run(state) {
      const search = need(state.halSearch, 'search (HAL)');
      // fillTemplate leaves empty values out; here the empty cursor is the point ("cursor=").
      const href = parseTemplate(search.href).expand({ limit: 2, cursor: '' });
      const result = await walkSend(search.method, href, { token: state.token });
      state.cursorLinks = linksOf(result.body);
      return result;
    },
    observe: cursorInfo,
  },
  {
    title: 'Cursor paging: follow next',
    explain: [
      'The page follows the next link of the cursor page. Its cursor stands after the last note of the previous page, so a note added meanwhile at the start would not push notes from one page onto the next.',
      'A changed or foreign cursor is refused with 400: the cursor is signed for this user and this view of the list.',
    ],
    highlight: ['Link'],
    expectStatus: 200,
    run: (state) => followNext(state, 'cursorLinks'),
    observe: cursorInfo,
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
      return walkSend(search.method, fillTemplate(search, { q: state.searchTerm ?? 'note' }), { token: state.token });
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
      return walkSend(search.method, fillTemplate(search, { sort: 'createdAt', order: 'desc' }), { token: state.token });
    },
    observe: (result) => `${pageInfo(result)}Newest first.`,
  },
  {
    title: 'A sort the API does not know: 400',
    lesson: 'A query parameter out of range',
    explain: [
      'The search template filled with sort=abc. The API sorts by createdAt or updatedAt only, so it answers 400 Bad Request, and the errors list names the query parameter and the values it takes.',
    ],
    highlight: [],
    expectStatus: 400,
    run(state) {
      const search = need(findLink(state.listLinks, 'search'), 'search');
      return walkSend(search.method, fillTemplate(search, { sort: 'abc' }), { token: state.token });
    },
    observe: problemSummary,
  },
  {
    title: 'Layered system: browser, API, database server',
    constraint: 'layered',
    panel: 'layers',
    explain: [
      'The page only ever talks to the API. Behind it the API talks to a database server over its own socket, and the page cannot tell, nor does it need to: another layer (a cache, a proxy, a second database) could sit in between without the page changing.',
      'In development the API reports what happened behind it in a Server-Timing header: the time spent waiting for the database and the number of database commands, and its own total. The drawing below is made from that header.',
    ],
    highlight: ['Server-Timing'],
    expectStatus: 200,
    run(state) {
      const notes = need(findLink(state.authLinks, 'notes'), 'notes');
      return walkSend(notes.method, notes.href, { token: state.token, conditional: false });
    },
    observe: (result) => (result.headers.get('Server-Timing') ? `Server-Timing: ${result.headers.get('Server-Timing') ?? ''}.` : 'This answer has no Server-Timing header: the server has timing switched off (TN_SERVER_TIMING).'),
  },
  {
    title: 'Code on demand: a widget the API serves',
    constraint: 'code-on-demand',
    panel: 'code-on-demand',
    explain: [
      'The one optional constraint: a server may extend its clients by sending code for them to run. The entry point links to a small widget script (rel widget) that shows a user\u2019s latest notes as a card on any page that loads it, and to a demo page (rel widget-demo) that does.',
      'The page fetches the script here to show it: JavaScript, served with a Content-Type that says so. Below, the page can also run it, or open the demo page that does.',
    ],
    highlight: ['Content-Type', 'Cache-Control'],
    expectStatus: 200,
    run(state) {
      const widget = need(findLink(state.rootLinks, 'widget'), 'widget');
      state.widget = widget;
      state.widgetDemo = findLink(state.rootLinks, 'widget-demo');
      return walkSend(widget.method, widget.href, { token: null, accept: 'text/javascript, application/javascript;q=0.9, */*;q=0.1', conditional: false });
    },
    observe: (result) => `Content-Type: ${result.headers.get('Content-Type') ?? '(missing)'}.`,
  },
];
