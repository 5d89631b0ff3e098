/**
 * The links table of an answer: rel, method, href and where the link was found, each with a
 * button that uses it. A GET link is followed at once; any other method (and a templated link,
 * whose variables are still to be filled) opens the request composer pre-filled.
 */
import { h } from '../dom';
import { SOURCE_LABELS, type LinkRow } from '../explorer-links';

/** What a row's button does. */
export type FollowRow = (row: LinkRow) => void;

/** True when following the row sends it at once (a plain GET link). */
export function followsDirectly(row: LinkRow): boolean {
  return row.method === 'GET' && !row.templated;
}

function actionButton(row: LinkRow, follow: FollowRow): HTMLElement {
  const direct = followsDirectly(row);
  const label = direct ? 'Follow' : 'Compose…';
  // The rest of the name is for screen readers (which button of which row), not an aria-label,
  // so a search for a form field by its label never finds these buttons as well.
  return h('button', { type: 'button', class: 'secondary small', onclick: () => follow(row) }, label, h('span', { class: 'visually-hidden' }, ` ${row.rel} (${row.method} ${row.href})`));
}

function methodCell(row: LinkRow): HTMLElement {
  if (row.methodStated) return h('td', { class: 'method' }, row.method);
  return h('td', { class: 'method' }, row.method, h('span', { class: 'muted small', title: 'This representation names no method; GET is assumed.' }, ' (assumed)'));
}

/** The table of an answer's links; `follow` is called with the row whose button was pressed. */
export function renderLinksTable(rows: readonly LinkRow[], follow: FollowRow): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted small links-none' }, 'No links in this answer.');
  return h(
    'table',
    { class: 'links-table' },
    h('caption', {}, `Links (${rows.length})`),
    h('thead', {}, h('tr', {}, ['Rel', 'Method', 'Href', 'From', 'Use'].map((name) => h('th', { scope: 'col' }, name)))),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          { 'data-rel': row.rel, 'data-source': row.source },
          h('td', { class: 'rel' }, row.rel),
          methodCell(row),
          h('td', { class: 'href' }, h('code', {}, row.href), row.templated ? h('span', { class: 'muted small' }, ' (template)') : null),
          h('td', { class: 'from' }, SOURCE_LABELS[row.source], row.at ? h('span', { class: 'muted small' }, ` · ${row.at}`) : null),
          h('td', {}, actionButton(row, follow)),
        ),
      ),
    ),
  );
}
