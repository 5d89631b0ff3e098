/**
 * The documentation of the API's own link relations (issue 13): one short, static HTML page per
 * rel at `/rels/{rel}` (the URI a `Link` header names for it, and HAL's `tn:` CURIE), and an
 * index at `/rels`. Pages are plain HTML: no scripts, no styles, so the API's Content Security
 * Policy needs no exception. Rels registered with IANA (`self`, `edit`, `search`, …) are
 * documented there, not here.
 */
import { relDocPath } from './hateoasController';

/** One way of following a rel: the method, where it goes, what it takes and what it answers. */
interface RelUse {
  method: string;
  target: string;
  body?: string;
  statuses: string;
}

/** A rel's documentation. */
interface RelDoc {
  meaning: string;
  uses: RelUse[];
}

const TOKEN = 'Needs Authorization: Bearer <token> (from the auth rel).';

/** Every custom rel the API's links use; tests check that each rel in the link builders is here. */
const REL_DOCS: Readonly<Record<string, RelDoc>> = {
  root: {
    meaning: 'The entry point of the API, where every client starts; error responses link back to it. With a valid token its Link header adds the caller\'s profile and notes.',
    uses: [{ method: 'GET', target: '/', statuses: '200 (304 with a matching If-None-Match). Never 401: an invalid token only means fewer links.' }],
  },
  auth: {
    meaning: 'Log in: exchange an email and a password for an access token (JWT, Bearer).',
    uses: [
      {
        method: 'POST',
        target: '/auth',
        body: 'application/json {"email": string, "password": string}',
        statuses: '200 with access_token (also in X-Access-Token) and expires_in; 400 for a missing or non-string field; 401 for wrong credentials; 429 when rate limited.',
      },
    ],
  },
  register: {
    meaning: 'Create an account. Then follow auth to log in; the 201 links to both auth and the new profile.',
    uses: [
      {
        method: 'POST',
        target: '/users',
        body: 'application/json {"name": string (1–100 characters), "email": string (an email address), "password": string (8–1,024 characters)}; optional Idempotency-Key header',
        statuses: '201 with Location and the profile; 400 for an invalid field; 409 when the email is taken; 415 for another media type; 429 when rate limited.',
      },
    ],
  },
  notes: {
    meaning: 'The caller\'s notes, one page at a time (filter with q, sort, order, limit, page; see the search link).',
    uses: [{ method: 'GET', target: '/notes', statuses: `200 (304 with a matching If-None-Match); 400 naming a bad query parameter; 401 without a valid token. ${TOKEN}` }],
  },
  'add-note': {
    meaning: 'Create a note in the caller\'s notes.',
    uses: [
      {
        method: 'POST',
        target: '/notes',
        body: 'application/json {"text": string (1–10,000 characters, not blank)}; optional Idempotency-Key and Prefer: return=minimal headers',
        statuses: `201 with Location and the note; 400 for an invalid text; 401; 415 for another media type. ${TOKEN}`,
      },
    ],
  },
  'edit-text': {
    meaning: 'Change the text of a note, leaving everything else as it is.',
    uses: [
      {
        method: 'PATCH',
        target: '/notes/{id}',
        body: 'application/json {"text": string}, application/merge-patch+json {"text": string}, or application/json-patch+json operations on /text (Accept-Patch lists them); If-Match with the note\'s ETag',
        statuses: `204 (200 with Prefer: return=representation); 400; 401; 404 for a note that is not the caller's; 412 when If-Match is stale; 415; 428 when the server requires If-Match and none came. ${TOKEN}`,
      },
    ],
  },
  update: {
    meaning: 'Replace a note with a full representation, as GET shows it.',
    uses: [
      {
        method: 'PUT',
        target: '/notes/{id}',
        body: 'application/json {"id": the path\'s id, "text": string, "createdAt": number, "updatedAt": number}; If-Match with the note\'s ETag',
        statuses: `204 (200 with Prefer: return=representation); 400 (also when id differs from the path); 401; 404; 412; 415; 428. ${TOKEN}`,
      },
    ],
  },
  delete: {
    meaning: 'Delete the resource the link comes from: a note, or (from the profile) the account with all of its notes.',
    uses: [
      { method: 'DELETE', target: '/notes/{id}', statuses: `204; 401; 404 (also when deleted already); 412 when If-Match is stale; 428. ${TOKEN}` },
      { method: 'DELETE', target: '/users/{id}', statuses: `204; 401; 404 for another user's id; 412; 428. ${TOKEN}` },
    ],
  },
  profile: {
    meaning: 'The caller\'s own profile (name, email, creation date); from there, edit or delete the account.',
    uses: [{ method: 'GET', target: '/users/{id}', statuses: `200 (304 with a matching If-None-Match or If-Modified-Since); 401; 404 for any id but the caller's. ${TOKEN}` }],
  },
  client: {
    meaning: 'The bundled web page: a browser client of this API, served by the same server.',
    uses: [{ method: 'GET', target: '/client/', statuses: '200 text/html.' }],
  },
  widget: {
    meaning: 'Code on demand: a script any web page can load (<script src>) to show a "my latest notes" card. It finds the notes by following links from the API\'s entry point, with a token its page passes to ThunderNotesWidgets.latestNotes({element, token}); no eval, no inline code, so it runs under a strict Content Security Policy.',
    uses: [{ method: 'GET', target: '/client/widget/latest-notes.js', statuses: '200 text/javascript (Cross-Origin-Resource-Policy: cross-origin, so other sites may embed it).' }],
  },
  'widget-demo': {
    meaning: 'A page that loads the widget script and runs it with a token pasted into its form or passed in the URL fragment (#token=…, removed from the address bar at once).',
    uses: [{ method: 'GET', target: '/client/widget/demo.html', statuses: '200 text/html.' }],
  },
};

/** The documented rels, in the index's order. */
export function documentedRels(): string[] {
  return Object.keys(REL_DOCS);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function page(title: string, main: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>' + escapeHtml(title) + ' — Thunder Notes API</title></head>',
    '<body>',
    main,
    '<p><a href="' + relDocPath() + '">All link relations</a> · <a href="/">The API\'s entry point</a></p>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The HTML page of one rel, or undefined when the API has no such rel. */
export function relPage(rel: string): string | undefined {
  if (!Object.hasOwn(REL_DOCS, rel)) return undefined;
  const doc = REL_DOCS[rel];
  const uses = doc.uses
    .map(
      (u) =>
        '<dt><code>' + escapeHtml(`${u.method} ${u.target}`) + '</code></dt>\n<dd>' +
        (u.body ? '<p>Body: ' + escapeHtml(u.body) + '</p>' : '<p>No body.</p>') +
        '<p>Answers: ' + escapeHtml(u.statuses) + '</p></dd>',
    )
    .join('\n');
  return page(
    `Link relation ${rel}`,
    '<h1>Link relation <code>' + escapeHtml(rel) + '</code></h1>\n<p>' + escapeHtml(doc.meaning) + '</p>\n' +
      '<p>In a JSON body the link is <code>{"rel": "' + escapeHtml(rel) + '", "href", "method"}</code>; in a Link header its relation type is this page\'s URI and a method other than GET is its title; in HAL it is <code>tn:' + escapeHtml(rel) + '</code>.</p>\n' +
      '<h2>Method, body and answers</h2>\n<dl>\n' + uses + '\n</dl>\n<p>Errors are application/problem+json (RFC 9457).</p>',
  );
}

/** The HTML index of every documented rel. */
export function relIndexPage(): string {
  const items = documentedRels()
    .map((rel) => '<li><a href="' + relDocPath(rel) + '"><code>' + escapeHtml(rel) + '</code></a>: ' + escapeHtml(REL_DOCS[rel].meaning) + '</li>')
    .join('\n');
  return page('Link relations', '<h1>Link relations of the Thunder Notes API</h1>\n<p>The API\'s own relation types. Registered ones (self, edit, search, first, prev, next, last, item) mean what the IANA registry says.</p>\n<ul>\n' + items + '\n</ul>');
}
