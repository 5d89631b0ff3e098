/**
 * The caller's profile, the resource the API caches with an ETag, and the account it stands for:
 * change the name or the password (the `edit` link, PATCH) and delete the account (the `delete`
 * link). Each action is offered only while its link is there. Every change carries `If-Match`
 * with the ETag of the profile on screen, so a profile changed meanwhile elsewhere is never
 * overwritten (or deleted) unseen: the server answers 412 and the view offers to reload it.
 */
import { follow } from '../api';
import { focusHeading, formatTime, h, replaceChildren } from '../dom';
import { ensureOk } from '../errors';
import { findLink, linksOf, type Link } from '../links';
import { conditionalFailures, ifMatchNote } from './conflict';
import type { AppContext } from './context';
import { confirmAction, onSubmit } from './form';

/** What the page says on the login form after the account changed under the session. */
export const PASSWORD_CHANGED_MESSAGE =
  'Your password was changed. That ended every session of your account, this one too: log in with the new password.';
export const ACCOUNT_DELETED_MESSAGE = 'Your account and all its notes were deleted.';

type Failures = Pick<AppContext, 'announce' | 'fail'>;

function profileFailures(ctx: AppContext, self: Link | undefined): Failures {
  if (!self) return ctx;
  return conditionalFailures(ctx, { noun: 'profile', self, show: (current) => ctx.showProfile(current) });
}

function input(id: string, label: string, attrs: Record<string, string | boolean | number>, hint?: string): HTMLElement {
  const hintId = hint ? `${id}-hint` : undefined;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, 'aria-describedby': hintId, ...attrs }),
    hint ? h('p', { class: 'muted small', id: hintId }, hint) : null,
  );
}

function nameForm(ctx: AppContext, name: string, edit: Link, failures: Failures, etag: string | undefined): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'account-name-title' },
    h('h3', { id: 'account-name-title' }, 'Change name'),
    h('p', { class: 'explain' }, `Sends ${edit.method} with only the new name and asks for the changed profile back (Prefer: return=representation).${ifMatchNote(etag, 'profile')}`),
    input('account-name', 'Name', { name: 'name', type: 'text', autocomplete: 'name', required: true, value: name }),
    errors,
    h('button', { type: 'submit' }, 'Save name'),
  );
  onSubmit(form, failures, { errors, busy: true }, async (field) => {
    const result = ensureOk(await follow(edit, { body: { name: field('name').trim() }, ifMatch: etag, returnRepresentation: true }));
    // The answer's own copy when the server honoured Prefer (with its new ETag); else read again.
    await ctx.showProfile(result.etag ? result : undefined, 'account-name');
    return `Name changed (${result.status} ${result.statusText}).`;
  });
  return form;
}

function passwordForm(ctx: AppContext, email: string, edit: Link, failures: Failures, etag: string | undefined): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'account-password-title' },
    h('h3', { id: 'account-password-title' }, 'Change password'),
    h(
      'p',
      { class: 'explain' },
      `Sends ${edit.method} with the new password and the current one, which proves it is you. Afterwards every access token of the account is refused (401), this page's too, so you log in again.${ifMatchNote(etag, 'profile')}`,
    ),
    // Tells password managers whose password this is (they look for a username next to it).
    h('input', { type: 'email', name: 'username', autocomplete: 'username', value: email, hidden: true, readonly: true, tabindex: -1 }),
    input('account-current-password', 'Current password', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true }),
    input(
      'account-new-password',
      'New password',
      { name: 'password', type: 'password', autocomplete: 'new-password', required: true },
      'At least 8 characters.',
    ),
    errors,
    h('button', { type: 'submit' }, 'Change password'),
  );
  onSubmit(form, failures, { errors, busy: true }, async (field) => {
    const result = ensureOk(await follow(edit, { body: { password: field('password'), currentPassword: field('currentPassword') }, ifMatch: etag }));
    // The token this page holds is no longer valid: the session is over.
    ctx.signOut(`${PASSWORD_CHANGED_MESSAGE} (${result.status} ${result.statusText})`);
  });
  return form;
}

function deleteSection(ctx: AppContext, del: Link, failures: Failures, etag: string | undefined): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const { ask, box: confirmBox } = confirmAction(
    {
      ask: 'Delete account',
      question: h('strong', {}, 'Delete your account and all its notes for good? This cannot be undone.'),
      yes: 'Yes, delete my account',
      no: 'Keep my account',
    },
    errors,
    (err, into) => failures.fail(err, into),
    async () => {
      const result = ensureOk(await follow(del, { ifMatch: etag }));
      ctx.signOut(`${ACCOUNT_DELETED_MESSAGE} (${result.status} ${result.statusText})`);
    },
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'account-delete-title' },
    h('h3', { id: 'account-delete-title' }, 'Delete account'),
    h('p', { class: 'explain' }, `Sends ${del.method}: the account and every note of it are deleted, and the email can be registered again.${ifMatchNote(etag, 'profile')}`),
    ask,
    confirmBox,
    errors,
  );
}

/** The account actions the profile's links allow, and only those; null when there are none. */
function accountSection(ctx: AppContext, b: Record<string, unknown>, links: Link[], etag: string | undefined): HTMLElement | null {
  const edit = findLink(links, 'edit');
  const del = findLink(links, 'delete');
  if (!edit && !del) return null;
  const failures = profileFailures(ctx, findLink(links, 'self'));
  return h(
    'section',
    { class: 'account', 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title' }, 'Account'),
    h(
      'div',
      { class: 'columns' },
      edit ? nameForm(ctx, String(b.name ?? ''), edit, failures, etag) : null,
      edit ? passwordForm(ctx, String(b.email ?? ''), edit, failures, etag) : null,
    ),
    del ? deleteSection(ctx, del, failures, etag) : null,
  );
}

/**
 * Renders the profile body, with a button that revalidates it (a 304 when nothing changed) and
 * the account actions. `etag` is the ETag of this version; every change sends it as `If-Match`.
 */
export function renderProfile(ctx: AppContext, container: Element, body: unknown, etag?: string, focusId?: string): void {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const links = linksOf(body);
  const self = findLink(links, 'self');
  const notes = findLink(links, 'notes');
  const errors = h('div', { class: 'form-errors' });
  const recheck = self
    ? h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'profile-recheck',
          onclick: () => {
            replaceChildren(errors);
            follow(self)
              .then(async (result) => {
                await ctx.showProfile(ensureOk(result), 'profile-recheck');
                ctx.announce(
                  result.revalidated
                    ? 'Unchanged: the server answered 304 Not Modified and the page reused its copy.'
                    : `Reloaded (${result.status} ${result.statusText}).`,
                );
              })
              .catch((err: unknown) => ctx.fail(err, errors));
          },
        },
        'Check for changes',
      )
    : null;
  replaceChildren(
    container,
    notes ? h('button', { type: 'button', class: 'link-button', onclick: () => void ctx.showNotes(notes.href) }, '← Your notes') : null,
    h('h1', {}, 'Your profile'),
    h(
      'dl',
      { class: 'card profile' },
      h('dt', {}, 'Name'),
      h('dd', {}, String(b.name ?? '')),
      h('dt', {}, 'Email'),
      h('dd', {}, String(b.email ?? '')),
      h('dt', {}, 'Member since'),
      h('dd', {}, formatTime(b.createdAt)),
    ),
    h(
      'p',
      { class: 'explain' },
      'The profile comes with an ETag. "Check for changes" asks again with If-None-Match; when nothing changed the server answers 304 without a body. Watch the HTTP log.',
    ),
    recheck,
    errors,
    accountSection(ctx, b, links, etag),
  );
  // An action keeps the user where they were; arriving lands on the heading.
  const target = focusId ? container.querySelector<HTMLElement>(`#${focusId}`) : null;
  if (target) target.focus();
  else focusHeading(container);
}
