/**
 * What a view does when the server refuses a change with 412 Precondition Failed: the version on
 * screen is not the current one (it was changed elsewhere, in another tab or on another device),
 * so instead of an error the user gets an alert that offers to reload the resource. The note view
 * and the profile's account forms share it.
 */
import { follow, type ApiResult } from '../api';
import { h, replaceChildren } from '../dom';
import { ApiProblem, ensureOk } from '../errors';
import type { Link } from '../links';
import type { AppContext } from './context';

/** The resource a change was aimed at. */
export interface Reloadable {
  /** How the messages name it: "note", "profile". */
  noun: string;
  /** Its self link, read again on "Reload". */
  self: Link;
  /** Shows the resource from the fresh answer (with its body and ETag). */
  show(current: ApiResult): Promise<void>;
}

function conflictBox(ctx: AppContext, target: Reloadable, box: Element): HTMLElement {
  const reload = h('button', { type: 'button', class: 'secondary' }, `Reload ${target.noun}`);
  reload.addEventListener('click', () => {
    reload.disabled = true;
    // Unconditional: the page's copy is the stale one, so a 304 against it would be no help.
    follow(target.self, { conditional: false })
      .then(async (result) => {
        await target.show(ensureOk(result));
        const noun = target.noun.charAt(0).toUpperCase() + target.noun.slice(1);
        ctx.announce(`${noun} reloaded: this is its current version. Your changes were not saved.`);
      })
      .catch((err: unknown) => ctx.fail(err, box)); // replaces this box, button and all
  });
  return h(
    'div',
    { class: 'error conflict', role: 'alert' },
    h(
      'p',
      {},
      h('strong', {}, `This ${target.noun} was changed elsewhere since you opened it (412 Precondition Failed).`),
      ' Reload to see the current version.',
    ),
    reload,
  );
}

/** The failure handling of a conditional change: a 412 gets the reload offer, the rest the usual box. */
export function conditionalFailures(ctx: AppContext, target: Reloadable): Pick<AppContext, 'announce' | 'fail'> {
  return {
    announce: (message) => ctx.announce(message),
    fail(err, box) {
      if (err instanceof ApiProblem && err.result.status === 412) replaceChildren(box, conflictBox(ctx, target, box));
      else ctx.fail(err, box);
    },
  };
}

/** The sentence a form's explanation adds about the `If-Match` it sends. */
export function ifMatchNote(etag: string | undefined, noun: string): string {
  return etag ? ` It carries If-Match: ${etag}, so it fails with 412 if the ${noun} changed since this version was loaded.` : '';
}
