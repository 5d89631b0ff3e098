/** One note: read it, edit its text (PATCH), replace it (PUT), delete it. */
import { follow } from '../api';
import { focusHeading, formatTime, h, replaceChildren } from '../dom';
import { ensureOk } from '../errors';
import { findLink, linksOf, type Link } from '../links';
import type { AppContext } from './context';
import { onSubmit } from './form';

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

function editForm(ctx: AppContext, note: Note, link: Link, self: Link): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'edit-title' },
    h('h2', { id: 'edit-title' }, 'Edit the text'),
    h('p', { class: 'explain' }, `Sends ${link.method} with only the new text; the server keeps the other fields.`),
    h('div', { class: 'field' }, h('label', { for: 'edit-text' }, 'Text'), h('textarea', { id: 'edit-text', name: 'text', rows: 4 }, note.text)),
    errors,
    h('button', { type: 'submit' }, 'Save text'),
  );
  onSubmit(form, ctx, { errors }, async (field) => {
    const result = ensureOk(await follow(link, { body: { text: field('text') } }));
    await ctx.showNote(self.href);
    return `Text saved (${result.status} ${result.statusText}).`;
  });
  return form;
}

function replaceForm(ctx: AppContext, note: Note, link: Link, self: Link): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const representation = JSON.stringify({ id: note.id, text: note.text, createdAt: note.createdAt, updatedAt: note.updatedAt }, null, 2);
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'replace-title' },
    h('h2', { id: 'replace-title' }, 'Replace the whole note'),
    h(
      'p',
      { class: 'explain', id: 'replace-help' },
      `Sends ${link.method} with the full representation: id, text, createdAt and updatedAt must all be there. Change the text and send it back.`,
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
  onSubmit(form, ctx, { errors }, async (field) => {
    let body: unknown;
    try {
      body = JSON.parse(field('json'));
    } catch {
      throw new Error('That is not valid JSON: check the quotes and commas.');
    }
    const result = ensureOk(await follow(link, { body }));
    await ctx.showNote(self.href);
    return `Note replaced (${result.status} ${result.statusText}).`;
  });
  return form;
}

function deleteSection(ctx: AppContext, note: Note, link: Link): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const confirmBox = h('div', { class: 'confirm', hidden: true });
  const ask = h('button', { type: 'button', class: 'danger' }, 'Delete note');
  const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, delete it');
  const no = h('button', { type: 'button', class: 'secondary' }, 'Keep it');
  replaceChildren(confirmBox, h('p', {}, 'Delete this note for good?'), yes, ' ', no);
  ask.addEventListener('click', () => {
    confirmBox.hidden = false;
    ask.hidden = true;
    no.focus();
  });
  no.addEventListener('click', () => {
    confirmBox.hidden = true;
    ask.hidden = false;
    ask.focus();
  });
  yes.addEventListener('click', () => {
    replaceChildren(errors);
    follow(link)
      .then(async (result) => {
        ensureOk(result);
        await ctx.showNotes(backHref(ctx, note));
        ctx.announce(`Note deleted (${result.status} ${result.statusText}).`);
      })
      .catch((err: unknown) => ctx.fail(err, errors));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'delete-title' }, h('h2', { id: 'delete-title' }, 'Delete'), ask, confirmBox, errors);
}

/** Renders a note with the actions its links allow, and only those. */
export function renderNote(ctx: AppContext, container: Element, note: Note): void {
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
      edit && self ? editForm(ctx, note, edit, self) : null,
      update && self ? replaceForm(ctx, note, update, self) : null,
    ),
    del ? deleteSection(ctx, note, del) : null,
  );
  focusHeading(container);
}
