/**
 * The account in the page: the profile's `edit` and `delete` links become "Change name",
 * "Change password" and "Delete account". Each change carries `If-Match` with the ETag of the
 * profile on screen; a password change or a deletion ends the session and returns to the login
 * form with a message. Passwords never appear in the HTTP log.
 */
import type { Locator, Page } from 'playwright-core';
import { uniqueEmail } from '../helpers/ids';
import { arrangeUser, logIn, screenshot, useBrowser, type TestServer } from './helpers';

const session = useBrowser();
let server: TestServer;

beforeAll(() => {
  server = session.server;
});

const VIEWPORT = { width: 1280, height: 900 };
const PASSWORD_CHANGED = 'Your password was changed. That ended every session of your account, this one too: log in with the new password.';
const ACCOUNT_DELETED = 'Your account and all its notes were deleted.';
const CONFLICT = 'This profile was changed elsewhere since you opened it (412 Precondition Failed). Reload to see the current version.';

async function openProfile(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Profile' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
}

async function waitForStatus(page: Page, text: string): Promise<void> {
  await page.getByRole('status').filter({ hasText: text }).waitFor();
}

/** The newest HTTP log entry of this method, opened, as text (headers and bodies). */
async function lastExchange(page: Page, method: string): Promise<string> {
  const entry = page.locator('#log > li > details').filter({ has: page.locator('summary .method', { hasText: new RegExp(`^${method}$`) }) }).first();
  await entry.locator('> summary').click();
  return (await entry.textContent()) ?? '';
}

/** The ETag of the newest GET in the page's log (the profile version the view was built from). */
async function etagShown(page: Page): Promise<string> {
  const exchange = await lastExchange(page, 'GET');
  const etag = /ETag("[^"]+")/i.exec(exchange)?.[1];
  if (!etag) throw new Error(`no ETag in the last GET: ${exchange}`);
  return etag;
}

/** Every log entry opened (with its folded headers), then the whole page's markup and text. */
async function everythingShown(page: Page): Promise<string> {
  await page.evaluate("document.querySelectorAll('#log details').forEach((d) => { d.open = true; })");
  return `${await page.content()}\n${await page.locator('body').innerText()}`;
}

/** A property of the element that has the keyboard focus (the tests compile without the DOM types). */
function focusedElement(page: Page, property: 'id' | 'textContent'): Promise<unknown> {
  return page.evaluate(`document.activeElement?.${property}`);
}

async function changeName(page: Page, name: string): Promise<Locator> {
  const form = page.getByRole('form', { name: 'Change name' });
  await form.getByLabel('Name').fill(name);
  await form.getByRole('button', { name: 'Save name' }).click();
  return form;
}

async function changePassword(page: Page, current: string, next: string): Promise<Locator> {
  const form = page.getByRole('form', { name: 'Change password' });
  await form.getByLabel('Current password').fill(current);
  await form.getByLabel('New password').fill(next);
  await form.getByRole('button', { name: 'Change password' }).click();
  return form;
}

/** Tries the login form and returns the alert it shows (or '' when it got to the notes). */
async function tryLogIn(page: Page, email: string, password: string): Promise<string> {
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
  const notes = page.getByRole('heading', { level: 1, name: 'Your notes' });
  const alert = form.getByRole('alert');
  await Promise.race([notes.waitFor(), alert.waitFor()]);
  return (await notes.isVisible()) ? '' : ((await alert.textContent()) ?? '');
}

describe('the page manages the account through the profile’s links', () => {
  it('changes the name of a user registered through the page; the header and the profile show it', async () => {
    const page = await session.open(VIEWPORT);
    const email = uniqueEmail('account');
    await page.goto(server.clientUrl);
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Rosa Before');
    await register.getByLabel('Email').fill(email);
    await register.getByLabel('Password').fill('first password 1');
    await register.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your notes' }).waitFor();
    expect(await page.getByText('Signed in as Rosa Before').isVisible()).toBe(true);

    await openProfile(page);
    const account = page.getByRole('region', { name: 'Account', exact: true });
    expect(await account.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['Change name', 'Change password', 'Delete account']);
    const form = page.getByRole('form', { name: 'Change name' });
    expect(await form.getByLabel('Name').inputValue()).toBe('Rosa Before');
    expect(await form.getByLabel('Name').getAttribute('autocomplete')).toBe('name');
    const etag = await etagShown(page);

    await changeName(page, '  Rosa After  ');
    await waitForStatus(page, 'Name changed (200 OK).');
    expect(await page.locator('dl.profile dd').first().textContent()).toBe('Rosa After');
    expect(await page.getByText('Signed in as Rosa After').isVisible()).toBe(true);
    // The focus stays on the field the user changed, not thrown back to the top.
    expect(await focusedElement(page, 'id')).toBe('account-name');
    const patch = await lastExchange(page, 'PATCH');
    expect(patch).toContain(`If-Match${etag}`);
    expect(patch).toContain('Preferreturn=representation');
    expect(patch).toMatch(/Preference-Appliedreturn=representation/i);
    expect(patch).toContain('"name": "Rosa After"');
    await screenshot(page, 'account-name-changed');

    // The header keeps the new name across a reload of the tab (the stored session has it); the
    // reload stays on the profile, which the address bar names since issue 15 (#/users/<id>).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
    expect(await page.getByText('Signed in as Rosa After').isVisible()).toBe(true);

    // A second change uses the ETag the first one returned, with no GET in between.
    await openProfile(page);
    await changeName(page, 'Rosa Again');
    await waitForStatus(page, 'Name changed (200 OK).');
    await changeName(page, 'Rosa Third');
    await page.locator('dl.profile dd', { hasText: /^Rosa Third$/ }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);

    // A name the API refuses shows its field error, and nothing changes.
    const refused = await changeName(page, 'x'.repeat(101));
    const alert = refused.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/HTTP 4(00|22)/);
    expect(await alert.textContent()).toContain('name:');
    expect(await page.locator('dl.profile dd').first().textContent()).toBe('Rosa Third');
  });

  it('changes the password: a wrong current password is refused, the right one ends the session; the old password fails, the new one works', async () => {
    const user = await arrangeUser(server.baseUrl, ['A note that outlives the password']);
    const next = 'second password 2';
    const page = await session.open(VIEWPORT);
    await logIn(page, server.clientUrl, user.email, user.password);
    await openProfile(page);
    const form = page.getByRole('form', { name: 'Change password' });
    expect(await form.getByLabel('Current password').getAttribute('autocomplete')).toBe('current-password');
    expect(await form.getByLabel('New password').getAttribute('autocomplete')).toBe('new-password');

    // Wrong current password: 403, shown in the form; the session and the password stay.
    const wrongTry = await changePassword(page, 'not my password', next);
    const alert = wrongTry.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('currentPassword is not the current password; nothing was changed.');
    expect(await alert.textContent()).toContain('HTTP 403');
    expect(await page.getByRole('heading', { level: 1, name: 'Your profile' }).isVisible()).toBe(true);

    await changePassword(page, user.password, next);
    await page.getByRole('heading', { level: 1, name: 'Welcome to Thunder Notes' }).waitFor();
    expect(await page.locator('.notice').textContent()).toBe(`${PASSWORD_CHANGED} (204 No Content)`);
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    const patch = await lastExchange(page, 'PATCH');
    expect(patch).toMatch(/If-Match"[^"]+"/);
    expect(patch).toContain('204 No Content');
    expect(patch).toContain('"currentPassword": "••••••(masked)"');
    // No password in clear anywhere on the page, the HTTP log included (the login's neither).
    const shown = await everythingShown(page);
    for (const secret of [user.password, next, 'not my password']) expect(shown).not.toContain(secret);
    await screenshot(page, 'account-password-changed');

    expect(await tryLogIn(page, user.email, user.password)).toContain('Invalid credentials');
    expect(await tryLogIn(page, user.email, next)).toBe('');
    await page.getByRole('button', { name: 'Open note: A note that outlives the password' }).waitFor();
  });

  it('deletes the account after a confirmation (by keyboard); logging in fails and the email can register again', async () => {
    const user = await arrangeUser(server.baseUrl, ['Gone with the account']);
    const page = await session.open(VIEWPORT);
    await logIn(page, server.clientUrl, user.email, user.password);
    await openProfile(page);
    const section = page.getByRole('region', { name: 'Delete account', exact: true });

    // "Keep my account" takes the question back and deletes nothing.
    await section.getByRole('button', { name: 'Delete account' }).click();
    expect(await focusedElement(page, 'textContent')).toBe('Keep my account');
    await page.keyboard.press('Enter');
    await section.getByRole('button', { name: 'Delete account' }).waitFor();
    expect(await section.getByRole('button', { name: 'Yes, delete my account' }).isVisible()).toBe(false);
    expect(await page.locator('#log summary .method', { hasText: /^DELETE$/ }).count()).toBe(0);

    await section.getByRole('button', { name: 'Delete account' }).focus();
    await page.keyboard.press('Enter');
    await section.getByText('Delete your account and all its notes for good? This cannot be undone.').waitFor();
    await screenshot(page, 'account-delete-confirm');
    await section.getByRole('button', { name: 'Yes, delete my account' }).focus();
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { level: 1, name: 'Welcome to Thunder Notes' }).waitFor();
    expect(await page.locator('.notice').textContent()).toBe(`${ACCOUNT_DELETED} (204 No Content)`);
    const del = await lastExchange(page, 'DELETE');
    expect(del).toMatch(/If-Match"[^"]+"/);
    expect(del).toContain('204 No Content');

    expect(await tryLogIn(page, user.email, user.password)).toContain('Invalid credentials');

    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Same Email, New Account');
    await register.getByLabel('Email').fill(user.email);
    await register.getByLabel('Password').fill('a brand new password');
    await register.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your notes' }).waitFor();
    await page.locator('#page-summary', { hasText: '0 notes' }).waitFor();
    expect(await page.getByText('Signed in as Same Email, New Account').isVisible()).toBe(true);
  });

  it('refuses a stale tab’s changes with 412 and a reload offer, then applies them to the current profile', async () => {
    const user = await arrangeUser(server.baseUrl);
    const a = await session.open(VIEWPORT);
    const b = await session.openTab();
    for (const tab of [a, b]) {
      await logIn(tab, server.clientUrl, user.email, user.password);
      await openProfile(tab);
    }
    const staleEtag = await etagShown(b);

    await changeName(a, 'Changed in tab A');
    await waitForStatus(a, 'Name changed (200 OK).');

    // Tab B's name change and its delete are both refused; nothing is written.
    const formB = await changeName(b, 'Changed in tab B');
    const alert = formB.getByRole('alert');
    await alert.waitFor();
    expect(((await alert.textContent()) ?? '').replace(/Reload profile$/, '')).toBe(CONFLICT);
    const patchB = await lastExchange(b, 'PATCH');
    expect(patchB).toContain(`If-Match${staleEtag}`);
    expect(patchB).toContain('412 Precondition Failed');

    const deleteB = b.getByRole('region', { name: 'Delete account', exact: true });
    await deleteB.getByRole('button', { name: 'Delete account' }).click();
    await deleteB.getByRole('button', { name: 'Yes, delete my account' }).click();
    await deleteB.getByRole('alert').filter({ hasText: CONFLICT }).waitFor();
    expect(await lastExchange(b, 'DELETE')).toContain('412 Precondition Failed');
    await screenshot(b, 'account-conflict');

    // Reload profile (by keyboard): B now shows A's name, and its next change goes through.
    await deleteB.getByRole('button', { name: 'Reload profile' }).focus();
    await b.keyboard.press('Enter');
    await waitForStatus(b, 'Profile reloaded: this is its current version. Your changes were not saved.');
    expect(await b.locator('dl.profile dd').first().textContent()).toBe('Changed in tab A');
    expect(await b.getByText('Signed in as Changed in tab A').isVisible()).toBe(true);
    const currentEtag = await etagShown(b);
    expect(currentEtag).not.toBe(staleEtag);
    await changeName(b, 'Changed in tab B');
    await waitForStatus(b, 'Name changed (200 OK).');
    expect(await lastExchange(b, 'PATCH')).toContain(`If-Match${currentEtag}`);
    expect(await b.locator('dl.profile dd').first().textContent()).toBe('Changed in tab B');
  });
});
