/**
 * The walkthrough, end to end against the real server: every step of the tutorial's sequence,
 * including the 201 with Location, the 405 with Allow and the profile's 200 then 304. Also
 * the page at phone width.
 */
import type { Page } from 'playwright-core';
import { DEMO, logIn, screenshot, useBrowser, type TestServer } from './helpers';

const session = useBrowser();
let server: TestServer;
let page: Page;

beforeAll(() => {
  server = session.server;
});

/** Opens this test's page at a viewport size. */
async function open(width: number, height: number): Promise<void> {
  page = await session.open({ width, height });
}

const stepHeading = () => page.locator('#walk-step-title');
const live = () => page.locator('.walk-live');

/** Sends the current step's request; checks its title and returns the outcome text. */
async function runStep(number: number, title: string): Promise<string> {
  expect(await stepHeading().textContent()).toBe(`Step ${number} of 15: ${title}`);
  await page.getByRole('button', { name: 'Send the request' }).click();
  const outcome = page.locator('.walk-step .outcome');
  await outcome.waitFor();
  return (await outcome.textContent()) ?? '';
}

async function nextStep(): Promise<void> {
  await page.getByRole('button', { name: 'Next step' }).click();
}

/** The text of the highlighted response headers in the live exchange. */
async function highlightedResponseHeaders(): Promise<string[]> {
  return live().locator('.response .header.highlight').allTextContents();
}

describe('the walkthrough', () => {
  it('steps through the tutorial sequence with live 201 + Location, 405 + Allow and 200 then 304', async () => {
    await open(1400, 1000);
    await page.goto(server.clientUrl);
    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await page.getByRole('heading', { level: 1, name: 'Walkthrough' }).waitFor();

    expect(await runStep(1, 'The entry point')).toMatch(/200 OK — as expected\.Links offered: self, auth, register, notes, client, service-desc, service-doc\./);
    await nextStep();
    expect(await runStep(2, 'Log in')).toContain('Logged in as Saurabh. New links: self, notes, add-note, profile.');
    await nextStep();
    expect(await runStep(3, 'List the notes')).toContain('Page 1 of 1, 3 matching notes.');
    await nextStep();

    const created = await runStep(4, 'Create a note: 201 Created and Location');
    expect(created).toMatch(/201 Created — as expected\.The new note lives at \/notes\/\d+\./);
    expect((await highlightedResponseHeaders()).join()).toMatch(/^location\/notes\/\d+$/);
    await nextStep();
    expect(await runStep(5, 'Read the new note')).toContain('Links: self, edit-text, update, delete, notes.');
    await nextStep();

    const notAllowed = await runStep(6, 'PUT on the collection: 405 and Allow');
    expect(notAllowed).toMatch(/405 Method Not Allowed — as expected\.Allow: GET, (HEAD, )?POST(, OPTIONS)?\./);
    expect(await live().locator('.request-line').textContent()).toBe('PUT /notes');
    expect((await highlightedResponseHeaders()).join()).toMatch(/^allowGET, (HEAD, )?POST(, OPTIONS)?$/);
    await screenshot(page, 'walkthrough-405');
    await nextStep();

    expect(await runStep(7, 'Replace the note: PUT')).toContain('204 No Content — as expected.');
    await nextStep();
    expect(await runStep(8, 'Edit the text: PATCH')).toContain('204 No Content — as expected.');
    await nextStep();
    expect(await runStep(9, 'Delete the note')).toContain('204 No Content — as expected.');
    await nextStep();
    expect(await runStep(10, 'The profile: 200 with an ETag')).toMatch(/200 OK — as expected\.ETag: ".+"\./);
    await nextStep();

    const revalidated = await runStep(11, 'The profile again: 304 Not Modified');
    expect(revalidated).toContain('304 Not Modified (revalidated) — as expected.');
    expect(await live().locator('.request .header.highlight').allTextContents()).toEqual([expect.stringMatching(/^If-None-Match".+"$/)]);
    await screenshot(page, 'walkthrough-304');
    await nextStep();

    expect(await runStep(12, 'Paging: two notes per page')).toContain('Page 1 of 2, 3 matching notes. Links: self, add-note, search, next, last.');
    await nextStep();
    expect(await runStep(13, 'Paging: follow next until it disappears')).toContain(
      'Page 2 of 2, 3 matching notes. Links: self, add-note, search, first, prev. No next link: this is the last page.',
    );
    await nextStep();
    expect(await runStep(14, 'Search with q')).toMatch(/200 OK — as expected\.Page 1 of 1, 1 matching notes\. Searched for "\w+"\./);
    await nextStep();
    expect(await runStep(15, 'Sort: newest first')).toContain('Page 1 of 1, 3 matching notes. Newest first.');
    expect(await page.getByRole('button', { name: 'Next step' }).isDisabled()).toBe(true);
  });

  it('shows the 401 of a wrong walkthrough password, and the next step names the link it lacks', async () => {
    await open(1280, 900);
    await page.goto(server.clientUrl);
    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Start over with this user' }).click();

    await runStep(1, 'The entry point');
    await nextStep();
    expect(await runStep(2, 'Log in')).toContain('401 Unauthorized — the tutorial expects 200.');
    expect(await live().locator('.response pre.body').textContent()).toContain('Invalid credentials');
    await nextStep();

    await page.getByRole('button', { name: 'Send the request' }).click();
    const alert = page.locator('.walk-step').getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('No "notes" link yet: run the earlier steps first.');
  });

  it('works at 375 px: no sideways scrolling on the login, notes and walkthrough views', async () => {
    await open(375, 740);
    const scrollWidth = () => page.evaluate('document.documentElement.scrollWidth');

    await page.goto(server.clientUrl);
    await page.getByRole('heading', { level: 1, name: 'Welcome to Thunder Notes' }).waitFor();
    expect(await scrollWidth()).toBeLessThanOrEqual(375);

    await logIn(page, server.clientUrl, DEMO.email, DEMO.password);
    expect(await scrollWidth()).toBeLessThanOrEqual(375);
    await screenshot(page, 'mobile-notes');

    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.locator('.walk-step .outcome').waitFor();
    expect(await scrollWidth()).toBeLessThanOrEqual(375);
    await screenshot(page, 'mobile-walkthrough');
  });

  it('can be driven by keyboard alone: log in with Tab and Enter, focus lands on the new view', async () => {
    await open(1280, 900);
    await page.goto(server.clientUrl);
    await page.getByRole('heading', { level: 1, name: 'Welcome to Thunder Notes' }).waitFor();

    // Focus starts on the heading; Tab reaches the demo button, Enter fills the form and moves focus to "Log in".
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Fill in the demo user');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Log in');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { level: 1, name: 'Your notes' }).waitFor();
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Your notes');
  });
});
