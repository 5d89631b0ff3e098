/** Renders one logged request/response pair: for the HTTP log and the walkthrough. */
import { h, type Child } from '../dom';
import type { LogEntry } from '../log';

/** A status line such as "304 Not Modified (revalidated)". */
export function statusLine(entry: LogEntry): string {
  if (entry.pending) return 'waiting…';
  if (entry.error) return 'no answer';
  const base = `${entry.status ?? ''} ${entry.statusText ?? ''}`.trim();
  return entry.revalidated ? `${base} (revalidated)` : base;
}

function statusClass(entry: LogEntry): string {
  const s = entry.status ?? 0;
  if (entry.pending) return 'pending';
  if (entry.revalidated || s === 304) return 's304';
  if (s >= 200 && s < 300) return 's2xx';
  if (s >= 400 && s < 500) return 's4xx';
  return 's5xx';
}

// Headers every response carries (security policy, CORS, connection) crowd out the ones a
// learner is looking for, so they are folded away under their own disclosure.
const BACKGROUND_HEADERS = new Set([
  'access-control-allow-origin',
  'access-control-expose-headers',
  'connection',
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'date',
  'keep-alive',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]);

function headerRows(headers: Array<[string, string]>, wanted: readonly string[]): HTMLElement[] {
  return headers.map(([name, value]) => {
    const marked = wanted.includes(name.toLowerCase());
    return h('div', { class: marked ? 'header highlight' : 'header' }, h('dt', {}, name), h('dd', {}, value));
  });
}

function headerList(headers: Array<[string, string]>, highlight: readonly string[]): HTMLElement {
  const wanted = highlight.map((name) => name.toLowerCase());
  if (headers.length === 0) return h('p', { class: 'muted' }, '(no headers)');
  const isBackground = ([name]: [string, string]) => BACKGROUND_HEADERS.has(name.toLowerCase()) && !wanted.includes(name.toLowerCase());
  const main = headers.filter((header) => !isBackground(header));
  const background = headers.filter(isBackground);
  return h(
    'div',
    {},
    h('dl', { class: 'headers' }, headerRows(main, wanted)),
    background.length > 0
      ? h(
          'details',
          { class: 'more-headers' },
          h('summary', {}, `${background.length} more headers (security, CORS, connection)`),
          h('dl', { class: 'headers' }, headerRows(background, wanted)),
        )
      : null,
  );
}

/** The summary line of an entry: method, URL, status, time; a badge when the walkthrough sent it. */
export function exchangeSummary(entry: LogEntry): HTMLElement {
  return h(
    'span',
    { class: 'summary-line' },
    entry.source === 'walkthrough' ? [h('span', { class: 'badge badge-walkthrough', title: 'Sent by the walkthrough, not by you' }, 'walkthrough'), ' '] : null,
    h('span', { class: 'method' }, entry.method),
    ' ',
    h('span', { class: 'url' }, entry.url),
    ' ',
    h('span', { class: `status ${statusClass(entry)}` }, statusLine(entry)),
    entry.durationMs !== undefined ? h('span', { class: 'time' }, ` ${entry.durationMs} ms`) : null,
  );
}

/**
 * The full exchange: request headers and body, response headers and body; `highlight` marks
 * header names; `beforeBody` goes between the response's headers and its body (the log puts
 * the answer's links table there, in sight without scrolling past the body).
 */
export function renderExchange(entry: LogEntry, highlight: readonly string[] = [], beforeBody: Child = null): HTMLElement {
  let responseBody: HTMLElement;
  if (entry.error) responseBody = h('p', { class: 'error-text' }, entry.error);
  else if (entry.revalidated) {
    responseBody = h('p', { class: 'muted' }, 'No body: the server said "not modified", so the page reused the copy it kept with this ETag.');
  } else if (entry.responseBody !== undefined) responseBody = h('pre', { class: 'body' }, entry.responseBody);
  else responseBody = h('p', { class: 'muted' }, entry.pending ? '' : '(no body)');

  return h(
    'div',
    { class: 'exchange' },
    h(
      'section',
      { class: 'request', 'aria-label': 'Request' },
      h('h4', {}, 'Request'),
      h('p', { class: 'request-line' }, h('code', {}, `${entry.method} ${entry.url}`)),
      h('p', { class: 'muted small' }, `Sent at ${entry.startedAt.toLocaleTimeString()}`),
      headerList(entry.requestHeaders, highlight),
      entry.requestBody !== undefined ? h('pre', { class: 'body' }, entry.requestBody) : null,
    ),
    h(
      'section',
      { class: 'response', 'aria-label': 'Response' },
      h('h4', {}, 'Response'),
      h('p', { class: `status-line status ${statusClass(entry)}` }, statusLine(entry), entry.durationMs !== undefined ? ` · ${entry.durationMs} ms` : ''),
      headerList(entry.responseHeaders, highlight),
      beforeBody,
      responseBody,
    ),
  );
}
