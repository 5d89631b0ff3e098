/**
 * The walkthrough, end to end against the real server: every step of the tutorial's sequence,
 * including the 201 with Location, the 405 with Allow and the profile's 200 then 304, the error
 * lessons (400, 401, 404, 409, 412, 415), paging by page and by cursor, the token's claims, the
 * layers, the widget and the closing summary; its requests marked as its own in the log. Also
 * the page at phone width and the response column at 1280 px.
 */
import type { Page } from 'playwright-core';
import { arrangeUser, DEMO, logIn, screenshot, useBrowser, type TestServer } from './helpers';

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

/** How many steps the walkthrough has (the summary comes after them). */
const TOTAL_STEPS = 28;

const stepHeading = () => page.locator('#walk-step-title');
const live = () => page.locator('.walk-live');

/** Sends the current step's request; checks its title and returns the outcome text. */
async function runStep(number: number, title: string): Promise<string> {
  expect(await stepHeading().textContent()).toBe(`Step ${number} of ${TOTAL_STEPS}: ${title}`);
  await page.getByRole('button', { name: 'Send the request' }).click();
  const outcome = page.locator('.walk-step .outcome');
  await outcome.waitFor();
  return (await outcome.textContent()) ?? '';
}

async function nextStep(): Promise<void> {
  await page.getByRole('button', { name: 'Next step' }).click();
}

/** The note texts an outcome lists after "On this page:". */
function quotedTexts(outcome: string): string[] {
  const list = /On this page: (.*)\.$/.exec(outcome)?.[1] ?? '';
  return [...list.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
}

/** How many of the log's entries are marked as the walkthrough's. */
function walkthroughLogCount(): Promise<number> {
  return page.locator('#log > li.log-walkthrough').count();
}

/** The text of the highlighted response headers in the live exchange. */
async function highlightedResponseHeaders(): Promise<string[]> {
  return live().locator('.response .header.highlight').allTextContents();
}

describe('the walkthrough', () => {
  it('steps through the tutorial sequence with live 201 + Location, 405 + Allow, 200 then 304, the error lessons, both pagings and a summary', async () => {
    await open(1400, 1000);
    await page.goto(server.clientUrl);
    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await page.getByRole('heading', { level: 1, name: 'Walkthrough' }).waitFor();

    // The entry point's links grew with issue 14 (service-desc, service-doc) and issue 15 (widget, widget-demo).
    expect(await runStep(1, 'The entry point')).toMatch(/200 OK — as expected\.Links offered: self, auth, register, notes, client, widget, widget-demo, service-desc, service-doc\./);
    await nextStep();
    expect(await runStep(2, 'Log in')).toContain('Logged in as Saurabh. New links: self, notes, add-note, profile.');
    await nextStep();
    expect(await runStep(3, 'List the notes')).toContain('Page 1 of 1, 3 matching notes.');
    await nextStep();

    expect(await runStep(4, 'Stateless: the token carries who you are')).toContain('200 OK — as expected.The Link header names your profile: the server knew you from the token alone.');
    const claims = page.locator('.token-claims');
    const claimRow = (name: string) => claims.locator('tbody tr').filter({ has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
    expect(await claimRow('alg').locator('td').first().textContent()).toBe('"HS256"');
    expect(await claimRow('sub').locator('td').first().textContent()).toBe('"1"');
    expect(await claimRow('name').locator('td').first().textContent()).toBe('"Saurabh"');
    const expRow = (await claimRow('exp').textContent()) ?? '';
    const exp = Number(/exp(\d+) =/.exec(expRow)?.[1]);
    expect(exp * 1000).toBeGreaterThan(Date.now());
    expect(expRow).toContain(new Date(exp * 1000).getFullYear().toString());
    expect(expRow).toMatch(/\(in \d+ (minutes|hours)\)/);
    expect(await claims.locator('.token-exp').textContent()).toMatch(/^This token works until .+Log out forgets it here and sends nothing/);
    await screenshot(page, 'walkthrough-claims');
    await nextStep();

    const noToken = await runStep(5, 'No token: 401 and WWW-Authenticate');
    expect(noToken).toContain('401 Unauthorized — as expected.WWW-Authenticate: Bearer realm="thunder-notes".');
    expect(await live().locator('.request .header', { hasText: 'Authorization' }).count()).toBe(0);
    expect((await highlightedResponseHeaders()).join()).toMatch(/^www-authenticateBearer /);
    await nextStep();

    const created = await runStep(6, 'Create a note: 201 Created and Location');
    expect(created).toMatch(/201 Created — as expected\.The new note lives at \/notes\/\d+\./);
    expect((await highlightedResponseHeaders()).join()).toMatch(/^location\/notes\/\d+$/);
    await nextStep();
    expect(await runStep(7, 'An empty note: 400 Bad Request')).toContain('400 Bad Request — as expected.The problem names the field: text: is required.');
    expect(await live().locator('.request pre.body').textContent()).toBe('{}');
    await nextStep();
    expect(await runStep(8, 'Read the new note')).toContain('Links: self, edit-text, update, delete, notes.');
    await nextStep();

    const logBefore = await walkthroughLogCount();
    expect(await runStep(9, "Someone else's note: 404, not 403")).toContain('404 Not Found — as expected.To the second user your note does not exist.');
    // Register, log in, the GET, then the clean-up: profile and its delete link.
    expect((await walkthroughLogCount()) - logBefore).toBe(5);
    expect(await live().locator('.request-line').textContent()).toMatch(/^GET \/notes\/\d+$/);
    await nextStep();
    expect(await runStep(10, 'A taken email: 409 Conflict')).toContain('409 Conflict — as expected.The problem names the field: email: is already taken.');
    await nextStep();

    const notAllowed = await runStep(11, 'PUT on the collection: 405 and Allow');
    expect(notAllowed).toMatch(/405 Method Not Allowed — as expected\.Allow: GET, (HEAD, )?POST(, OPTIONS)?\./);
    expect(await live().locator('.request-line').textContent()).toBe('PUT /notes');
    expect((await highlightedResponseHeaders()).join()).toMatch(/^allowGET, (HEAD, )?POST(, OPTIONS)?$/);
    await screenshot(page, 'walkthrough-405');
    await nextStep();

    expect(await runStep(12, 'Replace the note: PUT')).toContain('204 No Content — as expected.');
    await nextStep();
    const stale = await runStep(13, 'A stale If-Match: 412 Precondition Failed');
    expect(stale).toMatch(/412 Precondition Failed — as expected\.The problem says: The note has changed since the version your precondition names/);
    expect(await live().locator('.request .header.highlight').allTextContents()).toEqual([expect.stringMatching(/^If-Match".+"$/)]);
    await nextStep();
    expect(await runStep(14, 'Edit the text: PATCH')).toContain('204 No Content — as expected.');
    await nextStep();
    expect(await runStep(15, 'Plain text: 415 Unsupported Media Type')).toMatch(/415 Unsupported Media Type — as expected\.Accept-Patch: application\/json, application\/merge-patch\+json, application\/json-patch\+json\./);
    expect(await live().locator('.request .header', { hasText: 'Content-Type' }).textContent()).toBe('Content-Typetext/plain');
    expect(await live().locator('.request pre.body').textContent()).toBe('Edited as plain text');
    await screenshot(page, 'walkthrough-415');
    await nextStep();
    expect(await runStep(16, 'Delete the note')).toContain('204 No Content — as expected.');
    await nextStep();
    expect(await runStep(17, 'The profile: 200 with an ETag')).toMatch(/200 OK — as expected\.ETag: ".+"\./);
    await nextStep();

    const revalidated = await runStep(18, 'The profile again: 304 Not Modified');
    expect(revalidated).toContain('304 Not Modified (revalidated) — as expected.');
    expect(await live().locator('.request .header.highlight').allTextContents()).toEqual([expect.stringMatching(/^If-None-Match".+"$/)]);
    await screenshot(page, 'walkthrough-304');
    await nextStep();

    const page1 = await runStep(19, 'Paging: two notes per page');
    expect(page1).toContain('Page 1 of 2, 3 matching notes. Links: self, add-note, search, next, last.');
    const onPage1 = quotedTexts(page1);
    expect(onPage1).toHaveLength(2);
    await nextStep();
    const page2 = await runStep(20, 'Paging: follow next until it disappears');
    expect(page2).toContain('Page 2 of 2, 3 matching notes. Links: self, add-note, search, first, prev. No next link: this is the last page.');
    const onPage2 = quotedTexts(page2);
    // Page 2 shows the third note, which page 1 did not.
    expect(onPage2).toHaveLength(1);
    expect(onPage1).not.toContain(onPage2[0]);
    expect(await live().locator('.request-line').textContent()).toBe('GET /notes?limit=2&page=2');
    await screenshot(page, 'walkthrough-page2');
    await nextStep();

    const hal = await runStep(21, 'One list, another media type: HAL');
    expect(hal).toContain('Content-Type: application/hal+json; charset=utf-8. Search template: /notes{?q,sort,order,limit,page,cursor}.');
    await nextStep();
    const cursorStart = await runStep(22, 'Cursor paging: start with an empty cursor');
    expect(cursorStart).toContain('The start of the list (cursor empty), 3 notes in all, no page numbers. Links: self, add-note, search, first, next.');
    expect(await live().locator('.request-line').textContent()).toBe('GET /notes?limit=2&cursor=');
    await nextStep();
    const cursorNext = await runStep(23, 'Cursor paging: follow next');
    expect(cursorNext).toMatch(/A page after a cursor, 3 notes in all, no page numbers\. Links: self, add-note, search, first, prev\. On this page: "[^"]+"\./);
    expect(await live().locator('.request-line').textContent()).toMatch(/^GET \/notes\?limit=2&cursor=[\w%.-]+$/);
    await nextStep();

    expect(await runStep(24, 'Search with q')).toMatch(/200 OK — as expected\.Page 1 of 1, 1 matching notes\. Searched for "\w+"\./);
    await nextStep();
    expect(await runStep(25, 'Sort: newest first')).toContain('Page 1 of 1, 3 matching notes. Newest first.');
    await nextStep();
    expect(await runStep(26, 'A sort the API does not know: 400')).toContain('400 Bad Request — as expected.The problem names the field: sort: must be createdAt or updatedAt.');
    await nextStep();

    expect(await runStep(27, 'Layered system: browser, API, database server')).toMatch(/200 OK — as expected\.Server-Timing: db;dur=\d+\.\d\d;desc="\d+ database commands", app;dur=\d+\.\d\d\./);
    const layers = page.locator('.walk-step .layers');
    expect(await layers.locator('.layer-name').allTextContents()).toEqual(['Browser', 'API', 'Database server']);
    expect(await layers.locator('.layer-db .layer-time').textContent()).toMatch(/^\d+\.\d+ ms · [1-9]\d* commands?$/);
    await screenshot(page, 'walkthrough-layers');
    await nextStep();

    expect(await runStep(28, 'Code on demand: a widget the API serves')).toContain('200 OK — as expected.Content-Type: text/javascript; charset=utf-8.');
    expect(await live().locator('.response pre.body').textContent()).toContain('ThunderNotesWidgets');
    expect(await page.locator('.walk-step .trade-offs li').count()).toBeGreaterThanOrEqual(3);
    const demoHref = await page.getByRole('link', { name: 'Open the widget demo page' }).getAttribute('href');
    expect(demoHref).toMatch(/demo\.html$/);
    expect(await page.getByRole('link', { name: 'open it with the walkthrough user\u2019s token' }).getAttribute('href')).toMatch(/demo\.html#token=eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    // Code on demand in this very page: the API's script draws the walkthrough user's latest notes.
    const logSize = await page.locator('#log > li').count();
    await page.getByRole('button', { name: 'Run the widget in this page' }).click();
    const card = page.locator('.widget-here').getByRole('region', { name: 'My latest notes' });
    await card.locator('li').first().waitFor();
    expect(await card.locator('li').count()).toBe(3);
    expect(await page.locator('.widget-run [role="status"]').textContent()).toContain('Its requests are not in the HTTP log');
    expect(await page.locator('#log > li').count()).toBe(logSize);
    await screenshot(page, 'walkthrough-code-on-demand');

    // The last step leads to the summary, which has no next step.
    await page.getByRole('button', { name: 'Next step: summary' }).click();
    const summary = page.locator('.walk-summary');
    await summary.waitFor();
    expect(await stepHeading().textContent()).toBe('Summary: what the walkthrough covered');
    expect(await summary.locator('.summary-count').textContent()).toBe(`${TOTAL_STEPS} of ${TOTAL_STEPS} requests sent, ${TOTAL_STEPS} answered as the tutorial expects.`);
    expect(await summary.locator('.summary-constraints dt').allTextContents()).toEqual(['Client-server', 'Stateless', 'Cacheable', 'Uniform interface', 'Layered system', 'Code on demand']);
    expect(await summary.locator('.summary-errors tbody tr').allTextContents()).toEqual([
      'A request without a token401401, as expected',
      'A body that misses a required field400400, as expected',
      'Another user\u2019s note404404, as expected',
      'Registering an email that is taken409409, as expected',
      'Changing a version you never saw412412, as expected',
      'A body in a media type the API does not take415415, as expected',
      'A query parameter out of range400400, as expected',
    ]);
    expect(await page.getByRole('button', { name: 'Next step' }).isDisabled()).toBe(true);
    await screenshot(page, 'walkthrough-summary');
  });

  it('marks its own requests apart from the user\'s in the log', async () => {
    await open(1280, 900);
    await logIn(page, server.clientUrl, DEMO.email, DEMO.password);
    const userRequests = await page.locator('#log > li').count();
    expect(userRequests).toBeGreaterThan(0);
    expect(await page.locator('#log > li.log-walkthrough').count()).toBe(0);

    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await runStep(1, 'The entry point');
    await nextStep();
    await runStep(2, 'Log in');
    await page.locator('#log > li.log-walkthrough').nth(1).waitFor();
    expect(await page.locator('#log > li.log-walkthrough').count()).toBe(2);
    expect(await page.locator('#log > li:not(.log-walkthrough)').count()).toBe(userRequests);
  });

  it('keeps the response column readable at 1280 px: as wide as the step, no sideways scrolling', async () => {
    await open(1280, 900);
    await page.goto(server.clientUrl);
    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await runStep(1, 'The entry point');
    const liveBox = await live().boundingBox();
    const stepBox = await page.locator('.walk-step').boundingBox();
    expect(liveBox?.width).toBeGreaterThanOrEqual(600);
    expect(liveBox?.width).toBeGreaterThanOrEqual((stepBox?.width ?? 0) - 1);
    const overflowing = await live().evaluate((el) => [...el.querySelectorAll('pre, dl, .request-line, .status-line')].filter((e) => e.scrollWidth > e.clientWidth + 1).length);
    expect(overflowing).toBe(0);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await screenshot(page, 'walkthrough-1280');
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

describe('the notes list (issue 15 polish)', () => {
  const long = 'A rather long note whose first line goes on and on well past the eighty characters an accessible name keeps\nand a second line';

  it('shows the date the list is sorted by, and names each "Open" button after its note', async () => {
    const user = await arrangeUser(server.baseUrl, ['Short one', long]);
    await open(1280, 900);
    await logIn(page, server.clientUrl, user.email, user.password);

    await page.locator('#page-summary', { hasText: 'sorted by last update date, oldest first' }).waitFor();
    expect(await page.locator('.notes .note-date').allTextContents()).toEqual([expect.stringMatching(/^Updated /), expect.stringMatching(/^Updated /)]);
    const openNames = await page.locator('.notes button', { hasText: 'Open' }).evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
    expect(openNames).toEqual(['Open note: Short one', 'Open note: A rather long note whose first line goes on and on well past the eighty…']);
    await page.getByRole('button', { name: 'Open note: A rather long note', exact: false }).waitFor();

    const search = page.getByRole('search');
    await search.getByLabel('Sort by').selectOption('createdAt');
    await search.getByLabel('Order').selectOption('desc');
    await search.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#page-summary', { hasText: 'sorted by creation date, newest first' }).waitFor();
    const dates = page.locator('.notes .note-date');
    expect(await dates.allTextContents()).toEqual([expect.stringMatching(/^Created /), expect.stringMatching(/^Created /)]);
    // The <time> carries the machine-readable instant; newest first means descending.
    const instants = await dates.locator('time').evaluateAll((times) => times.map((t) => Date.parse(t.getAttribute('datetime') ?? '')));
    expect(instants[0]).toBeGreaterThan(instants[1] ?? Infinity);
    await screenshot(page, 'walkthrough-polish-notes');
  });
});
