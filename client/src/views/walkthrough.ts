/**
 * The walkthrough: one tutorial step at a time, its explanation beside the live exchange, the
 * step's extra panel (token claims, layers, widget) under its outcome, and a closing summary
 * after the last step.
 */
import type { ApiResult } from '../api';
import { focusHeading, h, replaceChildren } from '../dom';
import { errorBox } from '../errors';
import { newWalkState, STEPS, type WalkState } from '../walkthrough';
import type { AppContext } from './context';
import { renderExchange, statusLine } from './exchange';
import { onSubmit } from './form';
import { stepPanel, summaryView } from './walkthrough-panels';

interface StepOutcome {
  result?: ApiResult;
  error?: unknown;
}

// Kept at module level so leaving the walkthrough and coming back resumes where the user was.
const walk = {
  index: 0,
  reached: 0,
  state: undefined as WalkState | undefined,
  outcomes: new Map<number, StepOutcome>(),
  stepsOpen: false,
};

function restart(email: string, password: string): void {
  walk.index = 0;
  walk.reached = 0;
  walk.state = newWalkState(email, password);
  walk.outcomes.clear();
}

function credentialsForm(state: WalkState, ctx: AppContext, container: Element): HTMLElement {
  const form = h(
    'form',
    { class: 'card credentials', 'aria-labelledby': 'walk-user-title' },
    h('h2', { id: 'walk-user-title' }, 'Walkthrough user'),
    h('p', { class: 'explain' }, 'The walkthrough logs in on its own, as this user, and leaves your own session alone. It creates one note and deletes it again.'),
    h(
      'div',
      { class: 'search-fields' },
      h('div', { class: 'field' }, h('label', { for: 'walk-email' }, 'Email'), h('input', { id: 'walk-email', name: 'email', type: 'email', value: state.email })),
      h('div', { class: 'field' }, h('label', { for: 'walk-password' }, 'Password'), h('input', { id: 'walk-password', name: 'password', type: 'password', value: state.password })),
    ),
    h('button', { type: 'submit', class: 'secondary' }, 'Start over with this user'),
  );
  onSubmit(form, ctx, {}, (field) => {
    restart(field('email').trim(), field('password'));
    renderWalkthrough(ctx, container, 'step');
  });
  return form;
}

function outcomeView(index: number): HTMLElement | null {
  const outcome = walk.outcomes.get(index);
  const step = STEPS[index];
  if (!outcome || !step) return null;
  if (outcome.error !== undefined || !outcome.result) return errorBox(outcome.error);
  const { result } = outcome;
  const asExpected = result.status === step.expectStatus;
  const observation = walk.state && step.observe ? step.observe(result, walk.state) : '';
  return h(
    'div',
    { class: asExpected ? 'outcome good' : 'outcome unexpected', role: 'status' },
    h('p', {}, h('strong', {}, statusLine(result.entry)), asExpected ? ' — as expected.' : ` — the tutorial expects ${step.expectStatus}.`),
    observation ? h('p', {}, observation) : null,
  );
}

/** The live status of each step that was sent, for the summary. */
function statusOf(index: number): number | undefined {
  return walk.outcomes.get(index)?.result?.status;
}

/** The step list: every step, then the summary; a step opens once the one before it was sent. */
function stepList(index: number, go: (to: number) => void): HTMLElement {
  const item = (label: string, i: number) =>
    h(
      'li',
      {},
      h('button', { type: 'button', class: 'step-link', 'aria-current': i === index ? 'step' : undefined, disabled: i > walk.reached, onclick: () => go(i) }, label),
    );
  return h('ol', { class: 'steps' }, STEPS.map((s, i) => item(s.title, i)), item('Summary', STEPS.length));
}

/** The step's card: explanation, buttons, outcome and its panel; or the summary after the last step. */
function stepCard(index: number, state: WalkState, sendButton: HTMLElement, go: (to: number) => void): HTMLElement {
  const step = STEPS[index];
  const buttons = h(
    'div',
    { class: 'walk-buttons' },
    step ? sendButton : null,
    h('button', { type: 'button', class: 'secondary', disabled: index === 0, onclick: () => go(index - 1) }, 'Previous step'),
    h('button', { type: 'button', class: 'secondary', id: 'walk-next', disabled: index >= walk.reached || index >= STEPS.length, onclick: () => go(index + 1) }, index === STEPS.length - 1 ? 'Next step: summary' : 'Next step'),
  );
  if (!step) return h('div', { class: 'walk-step' }, summaryView(statusOf), buttons);
  return h(
    'section',
    { class: 'walk-step card', 'aria-labelledby': 'walk-step-title' },
    h('h2', { id: 'walk-step-title' }, `Step ${index + 1} of ${STEPS.length}: ${step.title}`),
    step.explain.map((p) => h('p', {}, p)),
    step.highlight.length > 0 ? h('p', { class: 'look-for' }, 'Look for: ', step.highlight.join(', '), ' (highlighted).') : null,
    h('p', { class: 'expect' }, `Expected status: ${step.expectStatus}.`),
    buttons,
    outcomeView(index),
    stepPanel(step.panel, state, walk.outcomes.get(index)?.result),
  );
}

/** Renders the current step; `focus` says where keyboard focus lands afterwards. */
export function renderWalkthrough(ctx: AppContext, container: Element, focus: 'top' | 'step' | 'send' = 'top'): void {
  if (!walk.state) restart('saurabh@example.com', 'abcd1234');
  const state = walk.state as WalkState;
  const index = walk.index;
  const step = STEPS[index];
  const outcome = walk.outcomes.get(index);

  const go = (to: number) => {
    walk.index = to;
    renderWalkthrough(ctx, container, 'step');
  };

  const sendButton = h('button', { type: 'button', id: 'walk-send' }, outcome ? 'Send again' : 'Send the request');
  sendButton.addEventListener('click', () => {
    if (!step) return;
    sendButton.disabled = true;
    step
      .run(state)
      .then((result) => walk.outcomes.set(index, { result }))
      .catch((error: unknown) => walk.outcomes.set(index, { error }))
      .finally(() => {
        if (walk.outcomes.get(index)?.result) walk.reached = Math.max(walk.reached, index + 1);
        renderWalkthrough(ctx, container, 'send');
      });
  });

  const entry = outcome?.result?.entry;
  replaceChildren(
    container,
    h('h1', {}, 'Walkthrough'),
    h(
      'p',
      { class: 'lead' },
      `${STEPS.length} requests from the tutorial, sent one at a time against this server: the happy path, the error answers, paging, and the six REST constraints. Read the step, send its request, look at the answer. The log marks these requests as the walkthrough's.`,
    ),
    credentialsForm(state, ctx, container),
    h(
      'div',
      { class: 'walk-frame' },
      h(
        'div',
        { class: step ? 'walk' : 'walk walk-done' },
        h(
          'nav',
          { class: 'walk-nav', 'aria-label': 'Walkthrough steps' },
          h(
            'details',
            { open: walk.stepsOpen, ontoggle: (ev: Event) => (walk.stepsOpen = (ev.target as HTMLDetailsElement).open) },
            h('summary', {}, `All steps (${Math.min(walk.reached, STEPS.length)} of ${STEPS.length} done)`),
            stepList(index, go),
          ),
        ),
        stepCard(index, state, sendButton, go),
        step
          ? h(
              'section',
              { class: 'walk-live', 'aria-label': 'This step\'s request and response' },
              entry ? renderExchange(entry, step.highlight) : h('p', { class: 'muted' }, 'The request and response appear here once sent.'),
            )
          : null,
      ),
    ),
  );
  if (focus === 'send') container.querySelector<HTMLElement>('#walk-send')?.focus();
  else if (focus === 'step') {
    const heading = container.querySelector<HTMLElement>('#walk-step-title');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  } else focusHeading(container);
}
