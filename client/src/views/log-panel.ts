/** The learner panel: every request the page made, newest first, each expandable. */
import { h } from '../dom';
import { clearLog, subscribe, type LogEntry } from '../log';
import { exchangeSummary, renderExchange } from './exchange';

function renderItem(entry: LogEntry, open: boolean): HTMLElement {
  return h('li', { class: 'log-entry' }, h('details', { open }, h('summary', {}, exchangeSummary(entry)), renderExchange(entry)));
}

/** Renders the log into the given list and keeps it current; the button empties it. */
export function mountLogPanel(list: HTMLElement, clearButton: HTMLButtonElement, counter: HTMLElement): void {
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
      const li = renderItem(entry, wasOpen);
      if (known) known.li.replaceWith(li);
      else list.prepend(li);
      items.set(entry.id, { li, pending: entry.pending });
    }
    empty.hidden = entries.length > 0;
  });
}
