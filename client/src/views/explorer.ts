/**
 * The explorer: the page as a general HTTP client for this API. It shows the answer it last
 * got with that answer's links, follows any link with its method, and composes requests
 * (method, URL, headers, JSON body, token), pre-filled from the resource's HAL-FORMS template
 * or, where there is none, from the OpenAPI document. "Edit & resend" in the HTTP log opens a
 * logged request here. Every request goes through api.ts, so it is logged like the others.
 */
import { send } from '../api';
import { h, replaceChildren } from '../dom';
import { ENTRY_POINT } from '../entry';
import {
  draftForLink,
  draftFromSent,
  draftHeaders,
  findOperation,
  findTemplate,
  HAL_FORMS,
  headerLines,
  operationExample,
  parseHeaderLines,
  takesBody,
  templateBody,
  withHeader,
  type Draft,
  type TokenChoice,
} from '../explorer-compose';
import type { LinkRow } from '../explorer-links';
import { isSameOrigin, type HistoryMode } from '../hash-route';
import { findLink, HTTP_METHODS, isMethod, type HttpMethod } from '../links';
import type { LogEntry } from '../log';
import { getSession } from '../session';
import { fillTemplate } from '../template';
import type { AppContext } from './context';
import { renderExchange } from './exchange';
import { followsDirectly, renderLinksTable } from './explorer-links';

/** What the explorer needs of the page shell. */
export interface ExplorerHost {
  ctx: Pick<AppContext, 'announce' | 'fail' | 'rootLinks'>;
  /**
   * Puts the explorer on screen; with `href`, the resource a GET loaded goes into the address
   * bar. Focus moves to the heading unless `focus` is false.
   */
  show(href?: string, mode?: HistoryMode, focus?: boolean): void;
}

// Kept at module level: leaving the explorer and coming back finds the same draft and answer.
const start = draftForLink('GET', ENTRY_POINT, false);
const state = {
  draft: start,
  headersText: headerLines(start.headers),
  current: undefined as LogEntry | undefined,
};
let host: ExplorerHost | undefined;

/** Connects the explorer to the page shell (once, at start). */
export function initExplorer(shell: ExplorerHost): void {
  host = shell;
}

function shell(): ExplorerHost {
  if (!host) throw new Error('initExplorer() was not called');
  return host;
}

function setDraft(draft: Draft): void {
  state.draft = draft;
  state.headersText = headerLines(draft.headers);
}

/**
 * GETs an href and shows the answer with its links; the address bar names the resource, and the
 * composer holds the same GET, ready to be changed (a header, a query) and sent again.
 */
export async function exploreHref(href: string, mode: HistoryMode = 'push'): Promise<void> {
  const result = await send('GET', href);
  state.current = result.entry;
  setDraft(draftForLink('GET', href, getSession() !== undefined));
  shell().show(result.ok ? href : undefined, mode);
}

/** Shows the explorer as it was left (starting at the entry point the first time). */
export async function showExplorer(): Promise<void> {
  const current = state.current;
  if (!current) return exploreHref(ENTRY_POINT);
  shell().show(current.method === 'GET' && (current.status ?? 0) < 400 ? current.url : undefined);
}

/** Uses a row of a links table: a GET link is followed, any other opens the composer pre-filled. */
export function followRow(row: LinkRow, context: LogEntry | undefined): Promise<void> {
  if (followsDirectly(row)) return exploreHref(row.href);
  const href = row.templated ? fillTemplate({ rel: row.rel, href: row.href, method: row.method, templated: true }, {}) : row.href;
  return composeFor(row.method, href, row.rel, context?.method === 'GET' ? context.url : undefined);
}

/** Opens the composer with a logged request, to change and send again. */
export function editAndResend(entry: LogEntry): void {
  if (!entry.sent) {
    shell().ctx.announce('This request’s details were forgotten at log out: follow the link again instead.');
    return;
  }
  setDraft(draftFromSent(entry.method, entry.url, entry.sent, getSession()?.token));
  shell().show();
  focusComposer();
}

async function composeFor(method: HttpMethod, href: string, rel: string | undefined, contextHref: string | undefined): Promise<void> {
  setDraft(draftForLink(method, href, getSession() !== undefined));
  shell().show();
  focusComposer();
  if (method === 'GET') return;
  const draft = state.draft;
  if ((await prefillFromHalForms(draft, rel, contextHref)) || !takesBody(method)) return;
  await prefillFromOpenApi(draft);
}

function focusComposer(): void {
  document.getElementById('compose-method')?.focus();
}

/** Re-renders the composer when the draft a prefill was for is still the one on screen. */
function refreshIfCurrent(draft: Draft): void {
  if (state.draft !== draft) return;
  // The user may be typing in the composer meanwhile: the same control keeps the focus.
  const focused = document.activeElement?.id;
  setDraft(draft);
  shell().show(undefined, 'push', false);
  if (focused) document.getElementById(focused)?.focus();
}

/**
 * Reads the resource's HAL-FORMS templates: first the resource the link was found on, then the
 * link's target. A template for this method and target fills the body; a change of the target
 * itself gets `If-Match` with the ETag of the version read.
 */
async function prefillFromHalForms(draft: Draft, rel: string | undefined, contextHref: string | undefined): Promise<boolean> {
  const places = [...new Set([contextHref, draft.href].filter((href): href is string => href !== undefined))];
  for (const place of places) {
    const result = await send('GET', place, { accept: HAL_FORMS, conditional: false });
    const found = result.ok ? findTemplate(result.body, draft.method, draft.href, rel) : undefined;
    if (!found) continue;
    const { body, optional } = templateBody(found.template);
    if (takesBody(draft.method)) draft.body = JSON.stringify(body, null, 2);
    if (result.etag && place === draft.href && draft.method !== 'POST') draft.headers = withHeader(draft.headers, 'If-Match', result.etag);
    const more = optional.length > 0 ? ` Optional, left out: ${optional.join(', ')}.` : '';
    draft.note = `Pre-filled from the HAL-FORMS template "${found.name}" of ${place} (asked for with Accept: ${HAL_FORMS}).${more}`;
    refreshIfCurrent(draft);
    return true;
  }
  return false;
}

/** Builds an example body from the OpenAPI document (the root's `service-desc` link) for this method and href. */
async function prefillFromOpenApi(draft: Draft): Promise<boolean> {
  const desc = findLink(shell().ctx.rootLinks(), 'service-desc');
  if (!desc) return false;
  const result = await send('GET', desc.href, { token: null });
  const found = result.ok ? findOperation(result.body, draft.method, draft.href) : undefined;
  const example = found ? operationExample(result.body, found.operation) : undefined;
  if (!found || example === undefined) {
    draft.note = `The OpenAPI document (${desc.href}) has no JSON request body for ${draft.method} ${draft.href}.`;
  } else {
    draft.body = JSON.stringify(example, null, 2);
    draft.note = `Example body from the OpenAPI document (${desc.href}): ${draft.method} ${found.path}. Fill in the values.`;
  }
  refreshIfCurrent(draft);
  return found !== undefined;
}

/** Sends the draft as composed; the answer becomes the explorer's current one. */
async function sendDraft(): Promise<string> {
  const draft = state.draft;
  const headers = parseHeaderLines(state.headersText);
  // The session's token (or a logged one) goes to the page's own origin only.
  const own = isSameOrigin(draft.href, window.location.href);
  const withToken = draftHeaders({ ...draft, headers, token: own ? draft.token : 'none' }, getSession()?.token);
  const body = draft.method !== 'GET' && draft.body.trim() !== '' ? draft.body : undefined;
  const result = await send(draft.method, draft.href, { headers: withToken, rawBody: body, token: null });
  state.current = result.entry;
  shell().show(draft.method === 'GET' && result.ok ? draft.href : undefined);
  return `${draft.method} ${draft.href}: ${result.status} ${result.statusText}.`;
}

function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'muted small' }, hint) : null);
}

function tokenOptions(draft: Draft): Array<[TokenChoice, string]> {
  const options: Array<[TokenChoice, string]> = [];
  if (getSession()) options.push(['session', 'My session’s token']);
  if (draft.originalAuthorization) options.push(['original', 'The token the logged request carried']);
  options.push(['none', 'No token']);
  return options;
}

function composer(): HTMLElement {
  const draft = state.draft;
  const errors = h('div', { class: 'form-errors' });
  const method = h('select', { id: 'compose-method', name: 'method' }, HTTP_METHODS.map((m) => h('option', { value: m, selected: m === draft.method }, m)));
  const url = h('input', { id: 'compose-url', name: 'url', type: 'text', value: draft.href, spellcheck: 'false', autocomplete: 'off' });
  const headers = h('textarea', { id: 'compose-headers', name: 'headers', rows: 4, class: 'code', spellcheck: 'false' }, state.headersText);
  const token = h('select', { id: 'compose-token', name: 'token' }, tokenOptions(draft).map(([value, text]) => h('option', { value, selected: value === draft.token }, text)));
  const body = h('textarea', { id: 'compose-body', name: 'body', rows: 8, class: 'code', spellcheck: 'false' }, draft.body);
  const form = h(
    'form',
    { class: 'card composer', 'aria-labelledby': 'compose-title' },
    h('h2', { id: 'compose-title' }, 'Compose a request'),
    draft.note ? h('p', { class: 'hint compose-note' }, draft.note) : null,
    h('div', { class: 'compose-line' }, field('compose-method', 'Method', method), field('compose-url', 'URL', url)),
    field('compose-headers', 'Headers (one per line: Name: value)', headers, 'Authorization is added from the token choice below, unless you type one here.'),
    field('compose-token', 'Token', token),
    field('compose-body', 'Body (JSON)', body, 'Sent as typed, even when it is not valid JSON: try it and read the 400.'),
    errors,
    h(
      'div',
      { class: 'compose-buttons' },
      h('button', { type: 'submit' }, 'Send'),
      h('button', { type: 'button', class: 'secondary', onclick: () => void prefill(errors, 'hal-forms') }, 'Pre-fill from HAL-FORMS'),
      h('button', { type: 'button', class: 'secondary', onclick: () => void prefill(errors, 'openapi') }, 'Pre-fill from OpenAPI'),
    ),
  );
  // The draft follows the form as it is typed, so a re-render (a prefill arriving) keeps it.
  form.addEventListener('input', () => {
    state.draft.method = isMethod(method.value) ? method.value : 'GET';
    state.draft.href = url.value.trim();
    state.draft.token = token.value as TokenChoice;
    state.draft.body = body.value;
    state.headersText = headers.value;
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    replaceChildren(errors);
    sendDraft()
      .then((message) => shell().ctx.announce(message))
      .catch((err: unknown) => shell().ctx.fail(err, errors));
  });
  return form;
}

async function prefill(errors: Element, from: 'hal-forms' | 'openapi'): Promise<void> {
  replaceChildren(errors);
  try {
    state.draft.headers = parseHeaderLines(state.headersText);
    const draft = state.draft;
    const done = from === 'hal-forms' ? await prefillFromHalForms(draft, undefined, undefined) : await prefillFromOpenApi(draft);
    if (!done && from === 'hal-forms') {
      draft.note = `${draft.href} offers no HAL-FORMS template for ${draft.method}.`;
      refreshIfCurrent(draft);
    }
  } catch (err) {
    shell().ctx.fail(err, errors);
  }
}

/** Where a failed follow is reported: the page's error box. */
function errorBoxOf(): Element {
  return document.getElementById('page-error') ?? document.body;
}

function answer(): HTMLElement {
  const current = state.current;
  return h(
    'section',
    { class: 'explorer-answer', 'aria-labelledby': 'answer-title' },
    h('h2', { id: 'answer-title' }, current ? `Answer to ${current.method} ${current.url}` : 'Answer'),
    current
      ? [renderLinksTable(current.links, (row) => void followRow(row, current).catch((err: unknown) => shell().ctx.fail(err, errorBoxOf()))), renderExchange(current)]
      : h('p', { class: 'muted' }, 'Nothing sent from here yet.'),
  );
}

/** Renders the explorer: the composer, then the last answer with its links. */
export function renderExplorer(container: Element): void {
  replaceChildren(
    container,
    h('h1', {}, 'Explorer'),
    h(
      'p',
      { class: 'lead' },
      'Follow any link with its method, or compose a request of your own. Links are listed from every place an answer can carry them: the JSON body, HAL, HAL-FORMS and the Link header.',
    ),
    answer(),
    composer(),
  );
}
