/**
 * The page as a notes app: register, log in, page by links, search, sort, create, edit,
 * replace, delete, profile, log out, and the API's error messages, in Debian's Chromium.
 */
import type { Page } from 'playwright-core';
import { uniqueEmail } from '../helpers/ids';
import { arrangeUser, DEMO, logIn, screenshot, useBrowser, type TestServer } from './helpers';

const session = useBrowser();
let server: TestServer;
let page: Page;

beforeAll(() => {
  server = session.server;
});

beforeEach(async () => {
  page = await session.open({ width: 1280, height: 900 });
});

const notesList = () => page.locator('ul.notes > li .note-text');
const pagerButton = (name: string) => page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name, exact: true });
const logEntries = () => page.locator('#log > li > details');
const logSummaries = () => page.locator('#log > li > details > summary').allTextContents();

async function waitForSummary(text: string): Promise<void> {
  await page.locator('#page-summary', { hasText: text }).waitFor();
}

describe('the bundled page as a notes app', () => {
  it('registers a new user through the form, logs them in and shows an empty list', async () => {
    const email = uniqueEmail('new');
    await page.goto(server.clientUrl);
    const form = page.getByRole('form', { name: 'Create an account' });
    await form.getByLabel('Name').fill('Nadia Newcomer');
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill('a long enough password');
    await screenshot(page, 'login-register');

    await form.getByRole('button', { name: 'Create account' }).click();

    await page.getByRole('heading', { level: 1, name: 'Your notes' }).waitFor();
    await waitForSummary('Page 1 of 1 · 0 notes');
    expect(await page.getByText('No notes here yet.').isVisible()).toBe(true);
    expect(await page.getByText('Signed in as Nadia Newcomer').isVisible()).toBe(true);
    const summaries = await logSummaries();
    expect(summaries.some((s) => /^POST \S+ 201 Created/.test(s))).toBe(true);
    expect(summaries.some((s) => /^POST \S+ 200 OK/.test(s))).toBe(true);
  });

  it('shows the API message "Invalid credentials" for a wrong password and stays on the login form', async () => {
    await page.goto(server.clientUrl);
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(DEMO.email);
    await form.getByLabel('Password').fill('not-the-password');
    await form.getByRole('button', { name: 'Log in' }).click();

    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Invalid credentials.*HTTP 401/);
    expect(await page.getByRole('heading', { name: 'Your notes' }).count()).toBe(0);
    await screenshot(page, 'error-wrong-password');
  });

  it('shows the field errors of a validation problem when the password is too short', async () => {
    await page.goto(server.clientUrl);
    const form = page.getByRole('form', { name: 'Create an account' });
    await form.getByLabel('Name').fill('Shorty');
    await form.getByLabel('Email').fill(uniqueEmail('short'));
    await form.getByLabel('Password').fill('short');
    await form.getByRole('button', { name: 'Create account' }).click();

    const alert = form.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('HTTP 400');
    expect(text).toMatch(/password:/);
  });

  it('logs in as the demo user and lists three notes on one page, with no paging buttons', async () => {
    await page.goto(server.clientUrl);
    await page.getByRole('button', { name: 'Fill in the demo user' }).click();
    await page.getByRole('form', { name: 'Log in' }).getByRole('button', { name: 'Log in' }).click();

    await waitForSummary('Page 1 of 1 · 3 notes');
    expect(await notesList().allTextContents()).toEqual([
      'Shark-Tank Pitch for my disruptive Startup Idea',
      'Exotic Vacation plan',
      'Grocery list for the weekend',
    ]);
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('button').count()).toBe(0);
    await screenshot(page, 'notes-list');
  });

  it('pages forward and back by the next, last, prev and first links, hiding buttons whose link is absent', async () => {
    const user = await arrangeUser(server.baseUrl, ['Note A', 'Note B', 'Note C', 'Note D', 'Note E']);
    await logIn(page, server.clientUrl, user.email, user.password);
    await page.getByLabel('Notes per page').selectOption('2');
    await page.getByRole('button', { name: 'Apply' }).click();

    await waitForSummary('Page 1 of 3 · 5 notes');
    expect(await notesList().allTextContents()).toEqual(['Note A', 'Note B']);
    expect(await pagerButton('First').count()).toBe(0);
    expect(await pagerButton('Previous').count()).toBe(0);

    await pagerButton('Next').click();
    await waitForSummary('Page 2 of 3');
    expect(await notesList().allTextContents()).toEqual(['Note C', 'Note D']);
    for (const name of ['First', 'Previous', 'Next', 'Last']) expect(await pagerButton(name).count()).toBe(1);

    await pagerButton('Next').click();
    await waitForSummary('Page 3 of 3');
    expect(await notesList().allTextContents()).toEqual(['Note E']);
    expect(await pagerButton('Next').count()).toBe(0);
    expect(await pagerButton('Last').count()).toBe(0);
    await screenshot(page, 'notes-last-page');

    await pagerButton('Previous').click();
    await waitForSummary('Page 2 of 3');
    await pagerButton('First').click();
    await waitForSummary('Page 1 of 3');
    expect(await notesList().allTextContents()).toEqual(['Note A', 'Note B']);
  });

  it('searches by text through the filled search template', async () => {
    const user = await arrangeUser(server.baseUrl, ['Buy milk', 'Call mum', 'Milkshake recipe', 'Pay rent']);
    await logIn(page, server.clientUrl, user.email, user.password);
    await page.getByLabel('Text contains').fill('MILK');
    await page.getByRole('button', { name: 'Apply' }).click();

    await waitForSummary('Page 1 of 1 · 2 notes');
    expect(await notesList().allTextContents()).toEqual(['Buy milk', 'Milkshake recipe']);
    const summaries = await logSummaries();
    expect(summaries[0]).toMatch(/^GET \S*\?q=MILK&sort=updatedAt&order=asc&limit=10 200 OK/);

    // Opening a note and going back keeps the search; the plain Notes link clears it.
    await page.getByRole('button', { name: 'Open note: Milkshake recipe' }).click();
    await page.getByRole('button', { name: '← Back to notes' }).click();
    await waitForSummary('Page 1 of 1 · 2 notes');
    expect(await page.getByLabel('Text contains').inputValue()).toBe('MILK');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Notes' }).click();
    await waitForSummary('Page 1 of 1 · 4 notes');
    expect(await page.getByLabel('Text contains').inputValue()).toBe('');
  });

  it('sorts by creation date, newest first', async () => {
    const user = await arrangeUser(server.baseUrl, ['oldest', 'middle', 'newest']);
    await logIn(page, server.clientUrl, user.email, user.password);
    await waitForSummary('3 notes');
    expect(await notesList().allTextContents()).toEqual(['oldest', 'middle', 'newest']);

    await page.getByLabel('Sort by').selectOption('createdAt');
    await page.getByLabel('Order').selectOption('desc');
    await page.getByRole('button', { name: 'Apply' }).click();

    await page.locator('ul.notes > li:first-child .note-text', { hasText: 'newest' }).waitFor();
    expect(await notesList().allTextContents()).toEqual(['newest', 'middle', 'oldest']);
  });

  it('creates a note, edits its text (PATCH), replaces it (PUT) and deletes it', async () => {
    const user = await arrangeUser(server.baseUrl);
    await logIn(page, server.clientUrl, user.email, user.password);

    await page.getByLabel('Text', { exact: true }).fill('First draft');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByRole('status').filter({ hasText: 'Note created (201 Created, Location:' }).waitFor();
    expect(await notesList().allTextContents()).toEqual(['First draft']);

    await page.getByRole('button', { name: 'Open note: First draft' }).click();
    await page.getByRole('heading', { level: 1, name: /^Note \d+$/ }).waitFor();
    const edit = page.getByRole('form', { name: 'Edit the text' });
    await edit.getByLabel('Text').fill('Second draft');
    await edit.getByRole('button', { name: 'Save text' }).click();
    // The page asks for the changed note back (Prefer: return=representation), hence 200, not 204.
    await page.getByRole('status').filter({ hasText: 'Text saved (200 OK).' }).waitFor();
    expect(await page.locator('.note-full .note-text').textContent()).toBe('Second draft');
    expect((await logSummaries()).some((s) => /^PATCH \S+ 200 OK/.test(s))).toBe(true);
    await screenshot(page, 'note-detail');

    const replace = page.getByRole('form', { name: 'Replace the whole note' });
    const json = JSON.parse(await replace.getByLabel('Note as JSON').inputValue()) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['createdAt', 'id', 'text', 'updatedAt']);
    await replace.getByLabel('Note as JSON').fill(JSON.stringify({ ...json, text: 'Third draft, replaced' }));
    await replace.getByRole('button', { name: 'Replace note' }).click();
    await page.getByRole('status').filter({ hasText: 'Note replaced (200 OK).' }).waitFor();
    expect(await page.locator('.note-full .note-text').textContent()).toBe('Third draft, replaced');
    expect((await logSummaries()).some((s) => /^PUT \S+ 200 OK/.test(s))).toBe(true);

    await page.getByRole('button', { name: 'Delete note' }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('status').filter({ hasText: 'Note deleted (204 No Content).' }).waitFor();
    await waitForSummary('0 notes');
    expect(await page.getByText('No notes here yet.').isVisible()).toBe(true);
  });

  it('shows the API validation message when a note is added with empty text', async () => {
    const user = await arrangeUser(server.baseUrl);
    await logIn(page, server.clientUrl, user.email, user.password);
    await page.getByLabel('Text', { exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Add note' }).click();

    const alert = page.getByRole('form', { name: 'Add a note' }).getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('HTTP 400');
    expect(text).toMatch(/text:/);
  });

  it('shows the profile and revalidates it with a 304 that the HTTP log marks as such', async () => {
    await logIn(page, server.clientUrl, DEMO.email, DEMO.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Profile' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
    expect(await page.locator('dl.profile').textContent()).toContain(DEMO.email);

    await page.getByRole('button', { name: 'Check for changes' }).click();
    await page.getByRole('status').filter({ hasText: '304 Not Modified' }).waitFor();
    expect((await logSummaries())[0]).toMatch(/^GET \S+ 304 Not Modified \(revalidated\)/);

    await logEntries().first().locator('> summary').click();
    const exchange = (await logEntries().first().textContent()) ?? '';
    expect(exchange).toContain('If-None-Match');
    expect(exchange).toContain('reused the copy');
  });

  it('keeps the login for the tab across a reload, masks the token in the log, and forgets it on log out', async () => {
    await logIn(page, server.clientUrl, DEMO.email, DEMO.password);
    await page.reload();
    await waitForSummary('3 notes');

    // The request log starts afresh after the reload; open every entry and look for a JWT.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Profile' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
    for (const summary of await page.locator('#log summary').all()) await summary.click(); // entries and their folded headers
    const logText = (await page.locator('#log').textContent()) ?? '';
    expect(logText).toContain('Authorization');
    expect(logText).toContain('(masked)');
    expect(await page.content()).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Welcome to Thunder Notes' }).waitFor();
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
  });
});
