/** The notes list: add a note, search / sort / page size, the notes, and the pager. */
import { follow } from '../api';
import { focusHeading, formatTime, h, replaceChildren } from '../dom';
import { ensureOk } from '../errors';
import { findLink, linksOf, type Link } from '../links';
import { fillTemplate } from '../template';
import type { AppContext } from './context';
import { onSubmit } from './form';

/** One note as the list shows it. */
interface NoteSummary {
  id: string;
  text: string;
  updatedAt?: number;
  createdAt?: number;
  links: Link[];
}

/** A page of the notes collection, as the API returns it. */
export interface NotesPage {
  notes: NoteSummary[];
  page?: { number: number; limit: number; totalItems: number; totalPages: number };
  links: Link[];
}

/** Reads a notes page out of a response body, tolerating missing parts. */
export function toNotesPage(body: unknown): NotesPage {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { notes?: unknown; page?: NotesPage['page'] };
  const notes = Array.isArray(b.notes) ? b.notes : [];
  return {
    notes: notes.map((n: Record<string, unknown>) => ({
      id: String(n.id ?? ''),
      text: String(n.text ?? ''),
      updatedAt: typeof n.updatedAt === 'number' ? n.updatedAt : undefined,
      createdAt: typeof n.createdAt === 'number' ? n.createdAt : undefined,
      links: linksOf(n),
    })),
    page: b.page,
    links: linksOf(body),
  };
}

// The search form remembers what the user chose, so the next page keeps the same query.
// The values are the template's variables; the URL itself always comes from the template.
// The defaults are the API's documented ones, which is what the plain notes link shows.
const SEARCH_DEFAULTS = { q: '', sort: 'updatedAt', order: 'asc', limit: '10' };
const search = { ...SEARCH_DEFAULTS };

/** Puts the search form back to the defaults, to match a list loaded from the plain notes link. */
export function resetSearch(): void {
  Object.assign(search, SEARCH_DEFAULTS);
}

const SORT_FIELDS: Array<[string, string]> = [
  ['updatedAt', 'Last updated'],
  ['createdAt', 'Created'],
];
const ORDERS: Array<[string, string]> = [
  ['asc', 'Oldest first'],
  ['desc', 'Newest first'],
];
const PAGE_SIZES = ['2', '5', '10', '20', '50'];

function select(id: string, label: string, options: Array<[string, string]>, value: string): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name: id.replace('search-', '') }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
  );
}

function addNoteForm(ctx: AppContext, addNote: Link, listHref: string): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'add-note-title' },
    h('h2', { id: 'add-note-title' }, 'Add a note'),
    h('div', { class: 'field' }, h('label', { for: 'new-note-text' }, 'Text'), h('textarea', { id: 'new-note-text', name: 'text', rows: 3 })),
    errors,
    h('button', { type: 'submit' }, 'Add note'),
  );
  onSubmit(form, ctx, { errors }, async (field) => {
    const result = ensureOk(await follow(addNote, { body: { text: field('text') } }));
    // Reload the same page through its self link: the new note's place depends on the sort.
    await ctx.showNotes(listHref);
    return `Note created (201 Created, Location: ${result.headers.get('Location') ?? 'none'}).`;
  });
  return form;
}

function searchForm(ctx: AppContext, template: Link): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { class: 'card search', role: 'search', 'aria-labelledby': 'search-title' },
    h('h2', { id: 'search-title' }, 'Find and sort'),
    h(
      'div',
      { class: 'search-fields' },
      h('div', { class: 'field' }, h('label', { for: 'search-q' }, 'Text contains'), h('input', { id: 'search-q', name: 'q', type: 'search', value: search.q })),
      select('search-sort', 'Sort by', SORT_FIELDS, search.sort),
      select('search-order', 'Order', ORDERS, search.order),
      select('search-limit', 'Notes per page', PAGE_SIZES.map((n) => [n, n]), search.limit),
    ),
    errors,
    h('button', { type: 'submit' }, 'Apply'),
  );
  onSubmit(form, ctx, { errors }, (field) => {
    search.q = field('q').trim();
    search.sort = field('sort');
    search.order = field('order');
    search.limit = field('limit');
    return ctx.showNotes(fillTemplate(template, search));
  });
  return form;
}

/** Which date a list is sorted by: the `sort` of its self link, or the API's default, updatedAt. */
function sortedBy(listHref: string): 'createdAt' | 'updatedAt' {
  const sort = new URL(listHref, 'http://page.invalid').searchParams.get('sort');
  return sort === 'createdAt' ? 'createdAt' : 'updatedAt';
}

/**
 * The start of a note's text for an accessible name: its first line, whole when short, else cut
 * at a word boundary with an ellipsis, so "Open" buttons tell notes apart without reading them out.
 */
function textStart(text: string, max = 80): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  if (line.length <= max) return line || '(empty note)';
  const cut = line.slice(0, max);
  const atWord = cut.slice(0, cut.lastIndexOf(' ') > max / 2 ? cut.lastIndexOf(' ') : max);
  return `${atWord.trimEnd()}…`;
}

/** The note's date the list is sorted by, labelled, as a <time>. */
function sortDate(note: NoteSummary, sort: 'createdAt' | 'updatedAt'): HTMLElement | null {
  const value = note[sort];
  if (value === undefined) return null;
  return h('span', { class: 'note-date' }, sort === 'createdAt' ? 'Created ' : 'Updated ', h('time', { datetime: new Date(value).toISOString() }, formatTime(value)));
}

function noteItem(ctx: AppContext, note: NoteSummary, sort: 'createdAt' | 'updatedAt'): HTMLElement {
  const self = findLink(note.links, 'self');
  const preview = note.text.length > 200 ? `${note.text.slice(0, 200)}…` : note.text;
  return h(
    'li',
    { class: 'note' },
    h('p', { class: 'note-text' }, preview),
    h(
      'p',
      { class: 'meta' },
      sortDate(note, sort),
      self
        ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Open note: ${textStart(note.text)}`, onclick: () => void ctx.showNote(self.href) }, 'Open')
        : null,
    ),
  );
}

const PAGER: Array<[string, string]> = [
  ['first', 'First'],
  ['prev', 'Previous'],
  ['next', 'Next'],
  ['last', 'Last'],
];

function pager(ctx: AppContext, links: Link[]): HTMLElement {
  // A button exists only while its link does: no "Next" on the last page.
  const buttons = PAGER.flatMap(([rel, label]) => {
    const link = findLink(links, rel);
    return link ? [h('button', { type: 'button', class: 'secondary', 'data-rel': rel, onclick: () => void ctx.showNotes(link.href, 'summary') }, label)] : [];
  });
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, buttons);
}

/** Renders a notes page with every control its links allow; `focus` picks where keyboard focus lands. */
export function renderNotes(ctx: AppContext, container: Element, listHref: string, page: NotesPage, focus: 'top' | 'summary' = 'top'): void {
  const info = page.page;
  const addNote = findLink(page.links, 'add-note');
  const template = findLink(page.links, 'search');
  const sort = sortedBy(listHref);
  const order = new URL(listHref, 'http://page.invalid').searchParams.get('order') === 'desc' ? 'newest first' : 'oldest first';
  const sortText = `sorted by ${sort === 'createdAt' ? 'creation' : 'last update'} date, ${order}`;
  const summary = info ? `Page ${info.number} of ${info.totalPages} · ${info.totalItems} ${info.totalItems === 1 ? 'note' : 'notes'} · ${sortText}` : '';
  replaceChildren(
    container,
    h('h1', {}, 'Your notes'),
    h('div', { class: 'columns' }, addNote ? addNoteForm(ctx, addNote, listHref) : null, template ? searchForm(ctx, template) : null),
    h('h2', { class: 'page-summary', id: 'page-summary' }, summary),
    page.notes.length > 0
      ? h('ul', { class: 'notes', 'aria-labelledby': 'page-summary' }, page.notes.map((n) => noteItem(ctx, n, sort)))
      : h('p', { class: 'empty' }, info && info.totalItems > 0 ? 'No notes on this page.' : 'No notes here yet.'),
    pager(ctx, page.links),
  );
  // After paging, land on "Page x of y" so the pager is a few tabs away, not the whole form.
  const summaryHeading = container.querySelector<HTMLElement>('#page-summary');
  if (focus === 'summary' && summaryHeading) {
    summaryHeading.tabIndex = -1;
    summaryHeading.focus();
  } else focusHeading(container);
}
