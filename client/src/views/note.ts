/**
 * One note: read it, edit its text (PATCH), replace it (PUT), delete it. Every change carries
 * `If-Match` with the ETag of the version on screen, so a version saved meanwhile elsewhere
 * (another tab, another device) is never overwritten unseen: the server answers 412 and the
 * view offers to reload the note.
 */
import { follow, type ApiResult } from '../api';
import { focusHeading, formatTime, h, replaceChildren } from '../dom';
import { ensureOk } from '../errors';
import { findLink, linksOf, type Link } from '../links';
import { conditionalFailures, ifMatchNote } from './conflict';
import type { AppContext } from './context';
import { confirmAction, onSubmit } from './form';

/** A note as `GET` on its self link returns it. */
export interface Note {
  id: string;
  text: string;
  createdAt: unknown;
  updatedAt: unknown;
  links: Link[];
}

/** Reads a note out of a response body. */
export function toNote(body: unknown): Note {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return { id: String(b.id ?? ''), text: String(b.text ?? ''), createdAt: b.createdAt, updatedAt: b.updatedAt, links: linksOf(body) };
}

function backHref(ctx: AppContext, note: Note): string | undefined {
  return ctx.lastNotesHref() ?? findLink(note.links, 'notes')?.href;
}

/** What a change of this note does with a failure: a 412 offers to reload the note. */
function noteFailures(ctx: AppContext, self: Link): Pick<AppContext, 'announce' | 'fail'> {
  return conditionalFailures(ctx, { noun: 'note', self, show: (current) => ctx.showNote(self.href, current) });
}

function editForm(ctx: AppContext, note: Note, link: Link, self: Link, etag: string | undefined): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'edit-title' },
    h('h2', { id: 'edit-title' }, 'Edit the text'),
    h('p', { class: 'explain' }, `Sends ${link.method} with only the new text; the server keeps the other fields.${ifMatchNote(etag, 'note')}`),
    h('div', { class: 'field' }, h('label', { for: 'edit-text' }, 'Text'), h('textarea', { id: 'edit-text', name: 'text', rows: 4 }, note.text)),
    errors,
    h('button', { type: 'submit' }, 'Save text'),
  );
  onSubmit(form, noteFailures(ctx, self), { errors, busy: true }, async (field) => {
    const result = ensureOk(await follow(link, { body: { text: field('text') }, ifMatch: etag, returnRepresentation: true }));
    await showChanged(ctx, self, result);
    return `Text saved (${result.status} ${result.statusText}).`;
  });
  return form;
}

/**
 * Shows the note as the change left it: the answer's own copy when the server honoured
 * `Prefer: return=representation` (no second request), otherwise read again. It never keeps
 * the old body with the old ETag, which would make the next edit fail with 412.
 */
async function showChanged(ctx: AppContext, self: Link, result: ApiResult): Promise<void> {
  await ctx.showNote(self.href, result.etag ? result : undefined);
}

function replaceForm(ctx: AppContext, note: Note, link: Link, self: Link, etag: string | undefined): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const representation = JSON.stringify({ id: note.id, text: note.text, createdAt: note.createdAt, updatedAt: note.updatedAt }, null, 2);
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'replace-title' },
    h('h2', { id: 'replace-title' }, 'Replace the whole note'),
    h(
      'p',
      { class: 'explain', id: 'replace-help' },
      `Sends ${link.method} with the full representation: id, text, createdAt and updatedAt must all be there. Change the text and send it back.${ifMatchNote(etag, 'note')}`,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'replace-json' }, 'Note as JSON'),
      h('textarea', { id: 'replace-json', name: 'json', rows: 7, class: 'code', spellcheck: 'false', 'aria-describedby': 'replace-help' }, representation),
    ),
    errors,
    h('button', { type: 'submit' }, 'Replace note'),
  );
  onSubmit(form, noteFailures(ctx, self), { errors, busy: true }, async (field) => {
    let body: unknown;
    try {
      body = JSON.parse(field('json'));
    } catch {
      throw new Error('That is not valid JSON: check the quotes and commas.');
    }
    const result = ensureOk(await follow(link, { body, ifMatch: etag, returnRepresentation: true }));
    await showChanged(ctx, self, result);
    return `Note replaced (${result.status} ${result.statusText}).`;
  });
  return form;
}

function deleteSection(ctx: AppContext, note: Note, link: Link, self: Link | undefined, etag: string | undefined): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const failures = self ? noteFailures(ctx, self) : ctx;
  const { ask, box } = confirmAction(
    { ask: 'Delete note', question: 'Delete this note for good?', yes: 'Yes, delete it', no: 'Keep it' },
    errors,
    (err, into) => failures.fail(err, into),
    async () => {
      const result = ensureOk(await follow(link, { ifMatch: etag }));
      await ctx.showNotes(backHref(ctx, note));
      ctx.announce(`Note deleted (${result.status} ${result.statusText}).`);
    },
  );
  return h('section', { class: 'card', 'aria-labelledby': 'delete-title' }, h('h2', { id: 'delete-title' }, 'Delete'), ask, box, errors);
}

/**
 * Renders a note with the actions its links allow, and only those. `etag` is the ETag of this
 * version of the note; every change sends it back as `If-Match` (none when it is unknown).
 */
export function renderNote(ctx: AppContext, container: Element, note: Note, etag?: string): void {
  const self = findLink(note.links, 'self');
  const edit = findLink(note.links, 'edit-text');
  const update = findLink(note.links, 'update');
  const del = findLink(note.links, 'delete');
  const back = backHref(ctx, note);
  replaceChildren(
    container,
    back ? h('button', { type: 'button', class: 'link-button', onclick: () => void ctx.showNotes(back) }, '← Back to notes') : null,
    h('h1', {}, `Note ${note.id}`),
    h('article', { class: 'card note-full' }, h('p', { class: 'note-text' }, note.text)),
    h('p', { class: 'meta' }, `Created ${formatTime(note.createdAt)} · Updated ${formatTime(note.updatedAt)}`),
    h(
      'div',
      { class: 'columns' },
      edit && self ? editForm(ctx, note, edit, self, etag) : null,
      update && self ? replaceForm(ctx, note, update, self, etag) : null,
    ),
    del ? deleteSection(ctx, note, del, self, etag) : null,
  );
  focusHeading(container);
}
