/**
 * The explorer in Chromium: the links table of a logged answer and following a link from it,
 * composing a PUT pre-filled from the note's HAL-FORMS template, "Copy as curl" commands that
 * reproduce their request when bash runs them against the same server, and the address bar:
 * Back, Forward, reload and a bookmark keep the resource.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { arrangeUser, logIn, screenshot, storedNoteTexts, useBrowser, type TestServer } from './helpers';

const run = promisify(execFile);
const session = useBrowser();
let server: TestServer;

beforeAll(() => {
  server = session.server;
});

const VIEWPORT = { width: 1280, height: 900 };

/** The newest log entry whose request line matches, opened. */
async function openEntry(page: Page, method: string, url: RegExp): Promise<Locator> {
  const entry = page
    .locator('#log > li > details')
    .filter({ has: page.locator('summary .method', { hasText: new RegExp(`^${method}$`) }) })
    .filter({ has: page.locator('summary .url', { hasText: url }) })
    .first();
  await entry.locator('summary .status:not(.pending)').waitFor();
  if ((await entry.getAttribute('open')) === null) await entry.locator('> summary').click();
  return entry;
}

/** Clicks "Copy as curl" in a log entry and returns what landed on the clipboard. */
async function copyAsCurl(page: Page, entry: Locator): Promise<string> {
  await entry.getByRole('button', { name: /^Copy as curl/ }).click();
  await entry.getByText('Copied as curl').waitFor();
  return String(await page.evaluate('navigator.clipboard.readText()'));
}

/** The rows of a links table as "rel | method | href | from". */
async function tableRows(table: Locator): Promise<string[]> {
  const trs = table.locator('tbody tr');
  const rows: string[] = [];
  for (let i = 0; i < (await trs.count()); i += 1) rows.push((await trs.nth(i).locator('td').allTextContents()).slice(0, 4).join(' | '));
  return rows;
}

/** Runs a copied command with bash and splits curl -i's output into status and body. */
async function runCurl(command: string): Promise<{ status: number; body: string; headers: string }> {
  const { stdout } = await run('bash', ['-c', command], { timeout: 15000 });
  const [head = '', ...rest] = stdout.split('\r\n\r\n');
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]);
  return { status, headers: head, body: rest.join('\r\n\r\n') };
}

async function openWithClipboard(): Promise<Page> {
  const page = await session.open(VIEWPORT);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
  return page;
}

const answerHeading = (page: Page) => page.getByRole('heading', { level: 2, name: /^Answer to / });

describe('the explorer', () => {
  it('lists an answer’s links with where they came from and follows one from the log', async () => {
    const user = await arrangeUser(server.baseUrl, ['Explore me']);
    const page = await openWithClipboard();
    await logIn(page, server.clientUrl, user.email, user.password);

    const list = await openEntry(page, 'GET', /^\/notes$/);
    const table = list.locator('table.links-table');
    await table.waitFor();
    // The page's JSON body: the collection's own links, and each note's self link.
    const rows = await tableRows(table);
    expect(rows).toEqual(
      expect.arrayContaining(['add-note | POST | /notes | JSON links', expect.stringMatching(/^self \| GET \| \/notes\/\d+ \| JSON links · notes\[0\]$/)]),
    );
    await screenshot(page, 'explorer-log-links');

    const follow = table.getByRole('button', { name: /^Follow self \(GET \/notes\/\d+\)$/ });
    const href = /\((GET) (\/notes\/\d+)\)/.exec((await follow.textContent()) ?? '')?.[2] ?? '';
    await follow.click();

    await page.getByRole('heading', { level: 1, name: 'Explorer' }).waitFor();
    await page.getByRole('heading', { level: 2, name: `Answer to GET ${href}` }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/explore/${encodeURIComponent(href)}`);
    const answer = page.locator('.explorer-answer');
    expect(await answer.locator('pre.body').first().textContent()).toContain('"text": "Explore me"');
    // The note's links from the body, and the one the Link header adds (the profile, an extension rel URI).
    const answerRows = answer.locator('table.links-table tbody tr');
    await expect(answerRows.filter({ hasText: 'update' }).first().textContent()).resolves.toMatch(/update\s*PUT\s*\/notes\/\d+\s*JSON links/);
    await expect(answerRows.filter({ hasText: 'Link header' }).first().textContent()).resolves.toMatch(/\/rels\/profile\s*GET \(assumed\)\s*\/users\/\d+\s*Link header/);
    await screenshot(page, 'explorer-follow');

    // "Copy as curl" of that GET: bash runs it and gets the same status and body, with the real token.
    const get = await openEntry(page, 'GET', new RegExp(`^${href}$`));
    const command = await copyAsCurl(page, get);
    expect(command).toMatch(/-H 'Authorization: Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+'/);
    expect(command).not.toContain('masked');
    expect(command).toContain(`${server.baseUrl}${href}`);
    const shown = (await get.locator('section.response pre.body').textContent()) ?? '';
    const again = await runCurl(command);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual(JSON.parse(shown));
  });

  it('composes a PUT pre-filled from the HAL-FORMS template, sends it, and copies it as a curl command that repeats it', async () => {
    const user = await arrangeUser(server.baseUrl, ['Before the PUT']);
    const page = await openWithClipboard();
    await logIn(page, server.clientUrl, user.email, user.password);
    await page.getByRole('button', { name: 'Open note: Before the PUT' }).click();
    await page.getByRole('heading', { level: 1, name: /^Note \d+$/ }).waitFor();

    const noteGet = await openEntry(page, 'GET', /^\/notes\/\d+$/);
    await noteGet.getByRole('button', { name: /^Compose… update \(PUT \/notes\/\d+\)$/ }).click();

    const composer = page.getByRole('form', { name: 'Compose a request' });
    await composer.locator('.compose-note', { hasText: 'Pre-filled from the HAL-FORMS template "update"' }).waitFor();
    expect(await composer.getByLabel('Method').inputValue()).toBe('PUT');
    const href = await composer.getByLabel('URL').inputValue();
    expect(href).toMatch(/^\/notes\/\d+$/);
    const headers = await composer.getByLabel(/^Headers/).inputValue();
    expect(headers).toContain('Content-Type: application/json');
    expect(headers).toMatch(/If-Match: "[^"]+\.hal-forms"/);
    const prefilled = JSON.parse(await composer.getByLabel('Body (JSON)').inputValue()) as Record<string, unknown>;
    expect(prefilled).toEqual({ id: expect.any(String), text: 'Before the PUT', createdAt: expect.any(Number), updatedAt: expect.any(Number) });
    // The HAL-FORMS request went out with its media type, and is in the log.
    expect(await (await openEntry(page, 'GET', new RegExp(`^${href}$`))).textContent()).toContain('Acceptapplication/prs.hal-forms+json');

    // A text a shell would mangle if the command were quoted carelessly.
    const text = `Replaced: it's "quoted" $HOME \`id\` & done!`;
    // Without If-Match, so the copied command can repeat the PUT with the same outcome.
    await composer.getByLabel(/^Headers/).fill(headers.split('\n').filter((line) => !line.startsWith('If-Match')).join('\n'));
    await composer.getByLabel('Body (JSON)').fill(JSON.stringify({ ...prefilled, text }, null, 2));
    await screenshot(page, 'explorer-compose-put');
    await composer.getByRole('button', { name: 'Send', exact: true }).click();

    await page.getByRole('heading', { level: 2, name: `Answer to PUT ${href}` }).waitFor();
    const status = Number(((await page.locator('.explorer-answer .status-line').textContent()) ?? '').slice(0, 3));
    expect([200, 204]).toContain(status);
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual([text]);
    await screenshot(page, 'explorer-put-sent');

    const put = await openEntry(page, 'PUT', new RegExp(`^${href}$`));
    const command = await copyAsCurl(page, put);
    expect(command).toMatch(/^curl -i \\\n {2}-X PUT/);
    expect(command).not.toContain('masked');
    // Change the note meanwhile, so that only the copied command can bring the text back.
    const { stdout } = await run('bash', ['-c', command.replace(/--data-raw '.*'/s, `--data-raw '${JSON.stringify({ ...prefilled, text: 'changed in between' })}'`)]);
    expect(stdout).toMatch(/^HTTP\/1\.1 20[04]/);
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual(['changed in between']);
    const again = await runCurl(command);
    expect(again.status).toBe(status);
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual([text]);

    // "Edit & resend" puts the same request back into the composer.
    await put.getByRole('button', { name: /^Edit & resend PUT/ }).click();
    expect(JSON.parse(await composer.getByLabel('Body (JSON)').inputValue())).toEqual({ ...prefilled, text });
    expect(await composer.getByLabel('Token').inputValue()).toBe('session');
  });

  it('keeps the resource in the address bar: Back, Forward, reload and a bookmark', async () => {
    const user = await arrangeUser(server.baseUrl, ['Note A', 'Note B', 'Note C']);
    const page = await session.open(VIEWPORT);
    await logIn(page, server.clientUrl, user.email, user.password);
    expect(new URL(page.url()).hash).toBe('#/notes');

    // Two per page, then page 2.
    const search = page.getByRole('search');
    await search.getByLabel('Notes per page').selectOption('2');
    await search.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#page-summary', { hasText: 'Page 1 of 2' }).waitFor();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Next', exact: true }).click();
    await page.locator('#page-summary', { hasText: 'Page 2 of 2' }).waitFor();
    const page2 = new URL(page.url()).hash;
    expect(page2).toMatch(/^#\/notes\?.*limit=2/);

    await page.reload();
    await page.locator('#page-summary', { hasText: 'Page 2 of 2' }).waitFor();
    expect(await page.locator('ul.notes .note-text').allTextContents()).toEqual(['Note C']);

    await page.getByRole('button', { name: 'Open note: Note C' }).click();
    await page.getByRole('heading', { level: 1, name: /^Note \d+$/ }).waitFor();
    const noteHash = new URL(page.url()).hash;
    expect(noteHash).toMatch(/^#\/notes\/\d+$/);
    await screenshot(page, 'explorer-hash-note');

    await page.goBack();
    await page.locator('#page-summary', { hasText: 'Page 2 of 2' }).waitFor();
    expect(new URL(page.url()).hash).toBe(page2);
    await page.goBack();
    await page.locator('#page-summary', { hasText: 'Page 1 of 2' }).waitFor();
    await page.goForward();
    await page.locator('#page-summary', { hasText: 'Page 2 of 2' }).waitFor();
    await page.goForward();
    await page.getByRole('heading', { level: 1, name: `Note ${noteHash.slice('#/notes/'.length)}` }).waitFor();
    expect(await page.locator('.note-full .note-text').textContent()).toBe('Note C');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: /^Note \d+$/ }).waitFor();
    expect(await page.locator('.note-full .note-text').textContent()).toBe('Note C');

    // The explorer's place survives a reload too.
    await page.getByRole('button', { name: 'Explorer' }).click();
    await page.getByRole('heading', { level: 1, name: 'Explorer' }).waitFor();
    await page.reload();
    await answerHeading(page).waitFor();
    expect(new URL(page.url()).hash).toMatch(/^#\/explore\//);

    // A bookmark opened in a new browser (no session yet): log in first, then the note.
    const bookmark = `${server.clientUrl}${noteHash}`;
    const fresh = await session.open(VIEWPORT);
    await fresh.goto(bookmark);
    const form = fresh.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(user.email);
    await form.getByLabel('Password').fill(user.password);
    await form.getByRole('button', { name: 'Log in' }).click();
    await fresh.getByRole('heading', { level: 1, name: /^Note \d+$/ }).waitFor();
    expect(await fresh.locator('.note-full .note-text').textContent()).toBe('Note C');
    expect(new URL(fresh.url()).hash).toBe(noteHash);
  });

  it('works at 375 px, keeps #walkthrough across a reload, and forgets the real requests at log out', async () => {
    const user = await arrangeUser(server.baseUrl, ['Small screen']);
    const page = await openWithClipboard();
    await page.setViewportSize({ width: 375, height: 800 });
    await logIn(page, server.clientUrl, user.email, user.password);
    await page.getByRole('button', { name: 'Explorer' }).click();
    await page.getByRole('heading', { level: 2, name: 'Answer to GET /' }).waitFor();
    // The entry point's links, from the body and from the Link header (service-desc twice).
    const rows = page.locator('.explorer-answer table.links-table tbody tr');
    expect(await rows.filter({ hasText: 'service-desc' }).count()).toBe(2);
    // Following a link that needs a body opens the composer; the OpenAPI button builds one.
    await page.locator('.explorer-answer').getByRole('button', { name: /^Compose… register \(POST \/users\)$/ }).click();
    const composer = page.getByRole('form', { name: 'Compose a request' });
    await composer.locator('.compose-note', { hasText: 'HAL-FORMS template "register"' }).waitFor();
    await composer.getByRole('button', { name: 'Pre-fill from OpenAPI' }).click();
    await composer.locator('.compose-note', { hasText: 'Example body from the OpenAPI document' }).waitFor();
    // The register operation's request schema carries examples (issue 14), and the composer uses them.
    expect(JSON.parse(await composer.getByLabel('Body (JSON)').inputValue())).toEqual({ name: 'Ada', email: 'ada@example.com', password: 'correct horse battery' });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'explorer-375');

    await page.getByRole('button', { name: 'Walkthrough' }).click();
    await page.getByRole('heading', { level: 1, name: 'Walkthrough' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#walkthrough');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Walkthrough' }).waitFor();

    // After log out, the log keeps its masked entries but no longer the token to copy.
    await page.getByRole('button', { name: 'Notes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your notes' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('form', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    const list = await openEntry(page, 'GET', /^\/notes$/);
    expect(await list.textContent()).toMatch(/Authorization\s*Bearer \S+…\(masked\)/);
    await list.getByRole('button', { name: /^Copy as curl/ }).click();
    await list.getByText('forgotten at log out').waitFor();
  });
});
