/** The caller's profile, the resource the API caches with an ETag. */
import { follow } from '../api';
import { focusHeading, formatTime, h, replaceChildren } from '../dom';
import { ensureOk } from '../errors';
import { findLink, linksOf } from '../links';
import type { AppContext } from './context';

/** Renders the profile body, with a button that revalidates it (a 304 when nothing changed). */
export function renderProfile(ctx: AppContext, container: Element, body: unknown, focusRecheck = false): void {
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
              .then((result) => {
                ensureOk(result);
                renderProfile(ctx, container, result.body, true);
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
  );
  // Re-checking keeps the user on the button they pressed; arriving lands on the heading.
  const button = focusRecheck ? container.querySelector<HTMLElement>('#profile-recheck') : null;
  if (button) button.focus();
  else focusHeading(container);
}
