/**
 * The walkthrough's extras beside a step's outcome — the token's claims (statelessness), the
 * layers a request crossed (layered system), the widget and its trade-offs (code on demand) —
 * and the closing summary of what the walkthrough covered.
 */
import type { ApiResult } from '../api';
import { CLAIM_MEANINGS, claimDate, decodeJwt, timeUntil } from '../claims';
import { h } from '../dom';
import type { Link } from '../links';
import { CONSTRAINTS, STEPS, type Step, type StepPanel, type WalkState } from '../walkthrough';
import { renderLayers } from './layers';

/** One claim as a table row: name, value (dates for NumericDates), what it means. */
function claimRow(name: string, value: unknown, now: Date): HTMLElement {
  const date = name === 'exp' || name === 'iat' || name === 'nbf' ? claimDate(value) : undefined;
  const shown = date ? `${String(value)} = ${date.toLocaleString()}${name === 'exp' ? ` (${timeUntil(date, now)})` : ''}` : JSON.stringify(value);
  return h('tr', {}, h('th', { scope: 'row' }, h('code', {}, name)), h('td', {}, h('code', { class: 'claim-value' }, shown)), h('td', {}, CLAIM_MEANINGS[name] ?? ''));
}

function claimsTable(caption: string, claims: Record<string, unknown>, now: Date): HTMLElement {
  return h(
    'table',
    { class: 'claims' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Meaning'))),
    h('tbody', {}, Object.entries(claims).map(([name, value]) => claimRow(name, value, now))),
  );
}

/** The decoded token of the walkthrough user: header, payload, and when it stops working. */
function claimsPanel(state: WalkState): HTMLElement {
  const decoded = state.token ? decodeJwt(state.token) : undefined;
  if (!decoded) return h('p', { class: 'panel muted' }, 'No token to decode: run the "Log in" step first.');
  const exp = claimDate(decoded.payload.exp);
  return h(
    'section',
    { class: 'panel token-claims', 'aria-labelledby': 'claims-title' },
    h('h3', { id: 'claims-title' }, 'What the token carries'),
    h('p', { class: 'small muted' }, 'A JWT is three base64url parts: header, payload, signature. The page decodes the first two; only the server, which holds the key, can check the signature.'),
    claimsTable('Header', decoded.header, new Date()),
    claimsTable('Payload (claims)', decoded.payload, new Date()),
    h(
      'p',
      { class: 'token-exp' },
      exp
        ? `This token works until ${exp.toLocaleString()}, whatever the page does. Log out forgets it here and sends nothing: the server has no session to end.`
        : 'This token names no expiry.',
    ),
  );
}

/** The layers view of the step's exchange, or why there is none. */
function layersPanel(result: ApiResult | undefined): HTMLElement {
  const layers = result ? renderLayers(result.entry) : null;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'layers-title' },
    h('h3', { id: 'layers-title' }, 'The layers of this request'),
    layers ?? h('p', { class: 'muted' }, 'No Server-Timing header in this answer, so there is nothing to draw: the server runs with TN_SERVER_TIMING off.'),
  );
}

const CODE_ON_DEMAND_TRADE_OFFS = [
  'For: the server can add a feature to clients it does not control, without them installing anything; one script, updated in one place, reaches every page that loads it.',
  'Against: the client runs code it did not write. It must trust the server, and a page that embeds the script gives it the page\u2019s powers. This is why the constraint is optional.',
  'Against: visibility. A client that only reads representations can be checked and cached by anyone on the way; what a script does is known only by running it.',
  'Safety here: the script comes from the API\u2019s own origin, runs under a Content-Security-Policy without inline scripts or eval, and reads data only through the API, with a token the embedding page gives it.',
];

/** The widget script's entry point, as it announces itself on `window` once loaded. */
interface WidgetGlobal {
  ThunderNotesWidgets?: { latestNotes(options: { element: HTMLElement; token: string }): Promise<unknown> };
}

/** Loads a script once (by its URL); resolves when it has run. */
function loadScript(src: string): Promise<void> {
  const existing = document.querySelector<HTMLScriptElement>(`script[data-widget="${CSS.escape(src)}"]`);
  if (existing) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = h('script', { src, 'data-widget': src });
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => reject(new Error('The widget script did not load.')));
    document.head.append(script);
  });
}

/**
 * Runs the widget inside this page: loads the script the API linked to (same origin only, so
 * the page's Content-Security-Policy, scripts from 'self', allows it) and asks it to draw the
 * walkthrough user's latest notes into `target`.
 */
async function runWidget(widget: Link, token: string, target: HTMLElement, said: HTMLElement): Promise<void> {
  const src = new URL(widget.href, window.location.href);
  if (src.origin !== window.location.origin) throw new Error('The widget link points to another origin: this page runs code from its own origin only.');
  await loadScript(src.href);
  const widgets = (window as unknown as WidgetGlobal).ThunderNotesWidgets;
  if (!widgets) throw new Error('The script ran but offered no widget.');
  await widgets.latestNotes({ element: target, token });
  said.textContent = 'The card below was drawn by the API\u2019s script. Its requests are not in the HTTP log: the log shows what this page sends, and that code is not this page\u2019s.';
}

function runHere(state: WalkState): HTMLElement | null {
  const { widget, token } = state;
  if (!widget || !token) return null;
  const target = h('div', { class: 'widget-here' });
  const said = h('p', { class: 'small muted', role: 'status' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Run the widget in this page');
  button.addEventListener('click', () => {
    button.disabled = true;
    runWidget(widget, token, target, said).catch((err: unknown) => {
      said.textContent = err instanceof Error ? err.message : String(err);
      button.disabled = false;
    });
  });
  return h('div', { class: 'widget-run' }, button, said, target);
}

/** The demo page, plain and, when there is a token, with it in the fragment (which browsers never send). */
function demoLinks(state: WalkState): HTMLElement {
  const demo = state.widgetDemo;
  if (!demo) return h('p', { class: 'muted' }, 'The entry point offers no widget-demo link.');
  const withToken = state.token ? `${demo.href}#token=${encodeURIComponent(state.token)}` : undefined;
  return h(
    'p',
    {},
    h('a', { href: demo.href, target: '_blank', rel: 'noopener', class: 'widget-demo-link' }, 'Open the widget demo page'),
    ' (a new tab; paste a token there)',
    withToken ? [' or ', h('a', { href: withToken, target: '_blank', rel: 'noopener noreferrer' }, 'open it with the walkthrough user\u2019s token'), ' (in the address\u2019s fragment, which is never sent to a server; the demo removes it at once)'] : null,
    '.',
  );
}

/** The widget run in this page, its demo page, and the constraint's trade-offs. */
function codeOnDemandPanel(state: WalkState): HTMLElement {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'cod-title' },
    h('h3', { id: 'cod-title' }, 'Run it'),
    runHere(state),
    demoLinks(state),
    h('h3', {}, 'Trade-offs'),
    h('ul', { class: 'trade-offs' }, CODE_ON_DEMAND_TRADE_OFFS.map((t) => h('li', {}, t))),
  );
}

/** The extra view a step asks for, under its outcome. */
export function stepPanel(panel: StepPanel | undefined, state: WalkState, result: ApiResult | undefined): HTMLElement | null {
  if (panel === 'claims') return result ? claimsPanel(state) : null;
  if (panel === 'layers') return result ? layersPanel(result) : null;
  if (panel === 'code-on-demand') return result ? codeOnDemandPanel(state) : null;
  return null;
}

/** What the summary needs to know about each step: its answer's status, if it was sent. */
export type StatusOf = (index: number) => number | undefined;

function outcomeText(step: Step, status: number | undefined): string {
  if (status === undefined) return 'not sent';
  return status === step.expectStatus ? `${status}, as expected` : `${status}, expected ${step.expectStatus}`;
}

const CONSTRAINT_POINTS: Readonly<Record<string, string>> = {
  'client-server': 'The page and the API are separate programs that share only HTTP and one address, the entry point; either can change while that holds.',
  stateless: 'Every request carries the token; the server keeps no session, so logging out is the client forgetting the token, which lives until exp.',
  cacheable: 'Answers say whether they may be kept (Cache-Control) and name their version (ETag); a 304 spared sending the profile again.',
  'uniform-interface': 'Resources are named by hrefs from links and changed through representations with the standard methods; media types and status codes describe each message.',
  layered: 'The page talks to the API only; the database server behind it shows up only in the API\u2019s own Server-Timing account.',
  'code-on-demand': 'The API serves a script that other pages load and run: optional, and a matter of trust.',
};

/** The closing summary: constraints, error lessons, paging, with each step's live outcome. */
export function summaryView(statusOf: StatusOf): HTMLElement {
  const indexed = STEPS.map((step, index) => ({ step, index, status: statusOf(index) }));
  const asExpected = indexed.filter((s) => s.status === s.step.expectStatus).length;
  const sent = indexed.filter((s) => s.status !== undefined).length;
  const stepRef = (s: (typeof indexed)[number]) => h('li', {}, `Step ${s.index + 1}, ${s.step.title}: `, h('span', { class: 'summary-status' }, outcomeText(s.step, s.status)));
  return h(
    'section',
    { class: 'walk-summary card', 'aria-labelledby': 'walk-step-title' },
    h('h2', { id: 'walk-step-title' }, 'Summary: what the walkthrough covered'),
    h('p', { class: 'summary-count' }, `${sent} of ${STEPS.length} requests sent, ${asExpected} answered as the tutorial expects.`),
    h('h3', {}, 'The six REST constraints, live'),
    h(
      'dl',
      { class: 'summary-constraints' },
      CONSTRAINTS.map(([key, name]) => [
        h('dt', {}, name),
        h('dd', {}, h('p', {}, CONSTRAINT_POINTS[key] ?? ''), h('ul', {}, indexed.filter((s) => s.step.constraint === key).map(stepRef))),
      ]),
    ),
    h('h3', {}, 'Error answers'),
    h(
      'table',
      { class: 'summary-errors' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Mistake'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Live answer'))),
      h(
        'tbody',
        {},
        indexed
          .filter((s) => s.step.lesson)
          .map((s) => h('tr', {}, h('td', {}, s.step.lesson ?? ''), h('td', {}, String(s.step.expectStatus)), h('td', {}, outcomeText(s.step, s.status)))),
      ),
    ),
    h('h3', {}, 'Also covered'),
    h(
      'ul',
      {},
      h('li', {}, 'Hypermedia: every href came from a link; the page knows only the entry point.'),
      h('li', {}, '201 Created with Location, 204 No Content, 405 with Allow, idempotent DELETE.'),
      h('li', {}, 'Paging by page number with limit=2 (next and last until they disappear) and by cursor; search with q; sorting.'),
    ),
  );
}
