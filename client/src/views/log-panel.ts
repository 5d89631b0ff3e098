/** The learner panel: every request the page made, newest first, each expandable. */
import { h, replaceChildren } from '../dom';
import { clearLog, subscribe } from '../log';
import { exchangeSummary, renderExchange } from './exchange';

/** Renders the log into the given list and keeps it current; the button empties it. */
export function mountLogPanel(list: HTMLElement, clearButton: HTMLButtonElement, counter: HTMLElement): void {
  // Re-rendering would close every open <details>, so remember which ones the user opened.
  const open = new Set<number>();
  clearButton.addEventListener('click', () => {
    open.clear();
    clearLog();
  });
  subscribe((entries) => {
    counter.textContent = `${entries.length} ${entries.length === 1 ? 'request' : 'requests'}`;
    const items = [...entries].reverse().map((entry) => {
      const details = h(
        'details',
        { open: open.has(entry.id), 'data-entry': entry.id },
        h('summary', {}, exchangeSummary(entry)),
        renderExchange(entry),
      );
      details.addEventListener('toggle', () => {
        if (details.open) open.add(entry.id);
        else open.delete(entry.id);
      });
      return h('li', { class: 'log-entry' }, details);
    });
    replaceChildren(list, items.length > 0 ? items : h('li', { class: 'muted' }, 'No requests yet.'));
  });
}
