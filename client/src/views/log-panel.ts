/**
 * The learner panel: every request the page made, newest first, each expandable to its
 * exchange, the layers it crossed, its links (each usable), "Edit & resend" and "Copy as curl".
 * The walkthrough's own requests carry a badge, so they are told apart from the user's.
 */
import { curlCommand } from '../curl';
import { h, replaceChildren } from '../dom';
import type { LinkRow } from '../explorer-links';
import { clearLog, subscribe, type LogEntry } from '../log';
import { exchangeSummary, renderExchange } from './exchange';
import { renderLinksTable } from './explorer-links';
import { renderLayers } from './layers';

/** What the panel's buttons do, provided by the page shell. */
export interface LogActions {
  /** Uses a link of an entry's answer (follow it, or compose a request with it). */
  follow(row: LinkRow, entry: LogEntry): void;
  /** Opens the composer with the entry's request. */
  editAndResend(entry: LogEntry): void;
}

/**
 * Copies the curl command of an entry's request, with the real token, and says so in `said`.
 * Where the clipboard is not available (a page served over plain HTTP from another host), the
 * command is shown in a text field to copy by hand, with a warning that it holds the token.
 */
function copyAsCurl(entry: LogEntry, said: HTMLElement): void {
  const sent = entry.sent;
  if (!sent) {
    replaceChildren(said, 'This request’s token and body were forgotten at log out, so it cannot be copied exactly.');
    return;
  }
  const command = curlCommand({ method: entry.method, url: sent.url, headers: sent.headers, body: sent.body });
  const manual = () =>
    replaceChildren(
      said,
      h('label', { for: `curl-${entry.id}` }, 'The clipboard is not available here: copy the command (it contains your token).'),
      h('textarea', { id: `curl-${entry.id}`, class: 'code', rows: 4, readonly: true, spellcheck: 'false' }, command),
    );
  if (!navigator.clipboard) return manual();
  navigator.clipboard.writeText(command).then(() => replaceChildren(said, 'Copied as curl, with the real token: paste it into a terminal.'), manual);
}

function entryActions(entry: LogEntry, actions: LogActions): HTMLElement {
  const said = h('div', { class: 'muted small', role: 'status' });
  // Which request the button is for, said to screen readers only (see views/explorer-links.ts).
  const which = () => h('span', { class: 'visually-hidden' }, ` ${entry.method} ${entry.url}`);
  return h(
    'div',
    { class: 'entry-actions' },
    h('button', { type: 'button', class: 'secondary small', onclick: () => actions.editAndResend(entry) }, 'Edit & resend', which()),
    h('button', { type: 'button', class: 'secondary small', onclick: () => copyAsCurl(entry, said) }, 'Copy as curl', which()),
    said,
  );
}

function renderItem(entry: LogEntry, open: boolean, actions: LogActions): HTMLElement {
  const walkthrough = entry.source === 'walkthrough';
  return h(
    'li',
    { class: walkthrough ? 'log-entry log-walkthrough' : 'log-entry' },
    h(
      'details',
      { open },
      h('summary', {}, exchangeSummary(entry)),
      entryActions(entry, actions),
      renderExchange(entry, [], entry.pending ? null : renderLinksTable(entry.links, (row) => actions.follow(row, entry))),
      entry.pending ? null : renderLayers(entry),
    ),
  );
}

/** Renders the log into the given list and keeps it current; the button empties it. */
export function mountLogPanel(list: HTMLElement, clearButton: HTMLButtonElement, counter: HTMLElement, actions: LogActions): void {
  // Items are updated in place rather than re-rendered, so an entry the user opened stays
  // open and keyboard focus inside the log is not lost when another request goes out.
  const items = new Map<number, { li: HTMLElement; pending: boolean }>();
  const empty = h('li', { class: 'muted' }, 'No requests yet.');
  list.append(empty);
  clearButton.addEventListener('click', () => clearLog());

  subscribe((entries) => {
    counter.textContent = `${entries.length} ${entries.length === 1 ? 'request' : 'requests'}`;
    const alive = new Set(entries.map((e) => e.id));
    for (const [id, item] of items) {
      if (!alive.has(id)) {
        item.li.remove();
        items.delete(id);
      }
    }
    for (const entry of entries) {
      const known = items.get(entry.id);
      if (known && known.pending === entry.pending) continue;
      const wasOpen = known?.li.querySelector('details')?.open ?? false;
      const li = renderItem(entry, wasOpen, actions);
      if (known) known.li.replaceWith(li);
      else list.prepend(li);
      items.set(entry.id, { li, pending: entry.pending });
    }
    empty.hidden = entries.length > 0;
  });
}
