/** Log in and register: the two things a visitor can do from the entry point alone. */
import { follow } from '../api';
import { focusHeading, h, replaceChildren } from '../dom';
import { ensureOk } from '../errors';
import { findLink, type Link } from '../links';
import { sessionFromLogin } from '../session';
import type { AppContext } from './context';
import { onSubmit } from './form';

// The development server seeds these users on an empty database (see the README).
const DEMO_EMAIL = 'saurabh@example.com';
const DEMO_PASSWORD = 'abcd1234';

function field(id: string, label: string, attrs: Record<string, string | boolean>): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, ...attrs }));
}

async function logIn(ctx: AppContext, email: string, password: string): Promise<void> {
  const auth = findLink(ctx.rootLinks(), 'auth');
  if (!auth) throw new Error('The API offers no way to log in right now (no "auth" link).');
  const result = ensureOk(await follow(auth, { body: { email, password }, token: null }));
  const session = sessionFromLogin(result.body);
  if (!session) throw new Error('The login answer carried no access token.');
  await ctx.signIn(session);
}

function loginForm(ctx: AppContext): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { 'aria-labelledby': 'login-title', class: 'card' },
    h('h2', { id: 'login-title' }, 'Log in'),
    h(
      'div',
      { class: 'hint', id: 'demo-hint' },
      h('p', {}, 'Try the demo user: ', h('strong', {}, DEMO_EMAIL), ' (or arpita@example.com), password ', h('strong', {}, DEMO_PASSWORD), '.'),
      h('button', { type: 'button', class: 'secondary', onclick: () => fillDemo() }, 'Fill in the demo user'),
    ),
    field('login-email', 'Email', { name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field('login-password', 'Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    errors,
    h('button', { type: 'submit' }, 'Log in'),
  );
  const fillDemo = () => {
    (form.elements.namedItem('email') as HTMLInputElement).value = DEMO_EMAIL;
    (form.elements.namedItem('password') as HTMLInputElement).value = DEMO_PASSWORD;
    (form.querySelector('button[type=submit]') as HTMLButtonElement).focus();
  };
  onSubmit(form, ctx, { errors, busy: true }, (field) => logIn(ctx, field('email').trim(), field('password')));
  return form;
}

function registerForm(ctx: AppContext, register: Link): HTMLElement {
  const errors = h('div', { class: 'form-errors' });
  const form = h(
    'form',
    { 'aria-labelledby': 'register-title', class: 'card' },
    h('h2', { id: 'register-title' }, 'Create an account'),
    field('register-name', 'Name', { name: 'name', type: 'text', autocomplete: 'name', required: true }),
    field('register-email', 'Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field('register-password', 'Password (at least 8 characters)', {
      name: 'password',
      type: 'password',
      autocomplete: 'new-password',
      required: true,
    }),
    errors,
    h('button', { type: 'submit' }, 'Create account'),
  );
  onSubmit(form, ctx, { errors, busy: true }, async (field) => {
    const email = field('email').trim();
    const password = field('password');
    ensureOk(await follow(register, { body: { name: field('name').trim(), email, password }, token: null }));
    ctx.announce('Account created (201 Created). Logging you in…');
    await logIn(ctx, email, password);
  });
  return form;
}

/** Renders the login form (with the demo-user hint) and, when offered, the registration form. */
export function renderAuth(ctx: AppContext, container: Element, message?: string): void {
  const links = ctx.rootLinks();
  const register = findLink(links, 'register');
  replaceChildren(
    container,
    h('h1', {}, 'Welcome to Thunder Notes'),
    h(
      'p',
      { class: 'lead' },
      'A small notes app whose page knows a single address, the API entry point, and finds everything else by following links. ',
      'Every request it makes is listed in the HTTP log.',
    ),
    message ? h('p', { class: 'notice', role: 'status' }, message) : null,
    h(
      'div',
      { class: 'columns' },
      findLink(links, 'auth') ? loginForm(ctx) : h('p', {}, 'The API offers no login right now.'),
      register ? registerForm(ctx, register) : null,
    ),
  );
  focusHeading(container);
}
