/** The one way the page's forms handle a submit. */
import { fieldValue, h, replaceChildren, type Child } from '../dom';
import type { AppContext } from './context';

/** The value of a named control of the submitted form, as typed (callers trim where it fits). */
export type FieldReader = (name: string) => string;

/** What a form does with its submit besides running its action. */
export interface SubmitOptions {
  /** Emptied on every submit; whatever the action throws is shown here through `ctx.fail`. */
  errors?: Element;
  /** Disables the submit button until the action has settled. */
  busy?: boolean;
}

/**
 * Handles a form's submit: no page load, the error box emptied, the submit button disabled
 * while `busy`, then the action with the form's fields. A message the action returns is
 * announced; an error it throws goes to the error box (or, without one, stays unhandled).
 */
export function onSubmit(
  form: HTMLFormElement,
  ctx: Pick<AppContext, 'announce' | 'fail'>,
  options: SubmitOptions,
  action: (field: FieldReader) => string | void | Promise<string | void>,
): void {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const { errors, busy = false } = options;
    if (errors) replaceChildren(errors);
    const button = busy ? form.querySelector<HTMLButtonElement>('button[type=submit]') : null;
    if (button) button.disabled = true;
    let outcome: Promise<string | void>;
    try {
      // Started synchronously, like a plain listener, so a sync action renders at once.
      outcome = Promise.resolve(action((name) => fieldValue(form, name)));
    } catch (err) {
      outcome = Promise.reject(err);
    }
    void outcome
      .then((message) => {
        if (message) ctx.announce(message);
      })
      .catch((err: unknown) => {
        if (!errors) throw err;
        ctx.fail(err, errors);
      })
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

/** The words of a destructive action and its confirmation. */
export interface ConfirmTexts {
  ask: string;
  question: Child;
  yes: string;
  no: string;
}

/**
 * A destructive action behind a confirmation: `ask` reveals the question with its confirm and
 * keep buttons (focus on keep); keep hides them again. Confirm empties `errors` and stays
 * disabled while `action` runs (a second click would only find the resource gone); when the
 * action fails it is enabled again and `fail` shows the error in `errors`.
 */
export function confirmAction(
  texts: ConfirmTexts,
  errors: Element,
  fail: (err: unknown, errors: Element) => void,
  action: () => Promise<void>,
): { ask: HTMLButtonElement; box: HTMLElement } {
  const box = h('div', { class: 'confirm', hidden: true });
  const ask = h('button', { type: 'button', class: 'danger' }, texts.ask);
  const yes = h('button', { type: 'button', class: 'danger' }, texts.yes);
  const no = h('button', { type: 'button', class: 'secondary' }, texts.no);
  replaceChildren(box, h('p', {}, texts.question), yes, ' ', no);
  ask.addEventListener('click', () => {
    box.hidden = false;
    ask.hidden = true;
    no.focus();
  });
  no.addEventListener('click', () => {
    box.hidden = true;
    ask.hidden = false;
    ask.focus();
  });
  yes.addEventListener('click', () => {
    replaceChildren(errors);
    yes.disabled = true;
    action().catch((err: unknown) => {
      yes.disabled = false;
      fail(err, errors);
    });
  });
  return { ask, box };
}
