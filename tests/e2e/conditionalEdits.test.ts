/**
 * Conditional edits in the page: two tabs of one user open the same note; every change sends
 * `If-Match` with the ETag of the version its tab shows, so the stale tab gets 412 and an offer
 * to reload instead of overwriting (or deleting) what the other tab saved.
 */
import type { Locator, Page } from 'playwright-core';
import { arrangeUser, logIn, screenshot, storedNoteTexts, useBrowser, type TestServer } from './helpers';

const session = useBrowser();
let server: TestServer;

beforeAll(() => {
  server = session.server;
});

const VIEWPORT = { width: 1280, height: 900 };
const CONFLICT = 'This note was changed elsewhere since you opened it (412 Precondition Failed). Reload to see the current version.';

/** Two tabs of one browser, both logged in as the user and showing the note with this text. */
async function twoTabsOnOneNote(user: { email: string; password: string }, text: string): Promise<[Page, Page]> {
  const a = await session.open(VIEWPORT);
  const b = await session.openTab();
  for (const tab of [a, b]) {
    await logIn(tab, server.clientUrl, user.email, user.password);
    await tab.getByRole('button', { name: `Open note: ${text}` }).click();
    await tab.getByRole('heading', { level: 1, name: /^Note \d+$/ }).waitFor();
  }
  return [a, b];
}

const shownText = (tab: Page) => tab.locator('.note-full .note-text').textContent();

async function saveText(tab: Page, text: string): Promise<Locator> {
  const form = tab.getByRole('form', { name: 'Edit the text' });
  await form.getByLabel('Text').fill(text);
  await form.getByRole('button', { name: 'Save text' }).click();
  return form;
}

async function waitForStatus(tab: Page, text: string): Promise<void> {
  await tab.getByRole('status').filter({ hasText: text }).waitFor();
}

/** The newest HTTP log entry of this method, opened, as text (request and response headers). */
async function lastExchange(tab: Page, method: string): Promise<string> {
  const entry = tab.locator('#log > li > details').filter({ has: tab.locator('summary .method', { hasText: new RegExp(`^${method}$`) }) }).first();
  await entry.locator('> summary').click();
  return (await entry.textContent()) ?? '';
}

/** The ETag header of the newest GET in the tab's log (the version the note view was built from). */
async function etagShown(tab: Page): Promise<string> {
  const exchange = await lastExchange(tab, 'GET');
  const etag = /ETag("[^"]+")/i.exec(exchange)?.[1];
  if (!etag) throw new Error(`no ETag in the last GET: ${exchange}`);
  return etag;
}

describe('the page edits notes with If-Match', () => {
  it('refuses a stale tab’s PATCH with 412 and a reload offer, then lets it edit the current version', async () => {
    const user = await arrangeUser(server.baseUrl, ['Shared note']);
    const [a, b] = await twoTabsOnOneNote(user, 'Shared note');
    const staleEtag = await etagShown(b);

    // Tab A saves first: its If-Match is current, and the answer carries the new version.
    await saveText(a, 'Edited in tab A');
    await waitForStatus(a, 'Text saved (200 OK).');
    expect(await shownText(a)).toBe('Edited in tab A');
    const patchA = await lastExchange(a, 'PATCH');
    expect(patchA).toContain(`If-Match${staleEtag}`);
    expect(patchA).toContain('Preferreturn=representation');
    expect(patchA).toMatch(/Preference-Appliedreturn=representation/i);
    expect(patchA).toMatch(/Authorization\s*Bearer \S+…\(masked\)/);

    // Tab B still shows the old version: its PATCH is refused and nothing is written.
    const formB = await saveText(b, 'Edited in tab B');
    const alert = formB.getByRole('alert');
    await alert.waitFor();
    expect(((await alert.textContent()) ?? '').replace(/Reload note$/, '')).toBe(CONFLICT);
    const patchB = await lastExchange(b, 'PATCH');
    expect(patchB).toContain(`If-Match${staleEtag}`);
    expect(patchB).toContain('412 Precondition Failed');
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual(['Edited in tab A']);
    expect(await shownText(b)).toBe('Shared note');
    await screenshot(b, 'note-edit-conflict');

    // Reload note: a fresh GET shows A's text, and the next edit from B uses its new ETag.
    await alert.getByRole('button', { name: 'Reload note' }).click();
    await waitForStatus(b, 'Note reloaded: this is its current version.');
    expect(await shownText(b)).toBe('Edited in tab A');
    expect(await b.getByRole('form', { name: 'Edit the text' }).getByLabel('Text').inputValue()).toBe('Edited in tab A');
    expect(await b.getByRole('alert').count()).toBe(0);
    const reloadGet = await lastExchange(b, 'GET');
    expect(reloadGet).not.toContain('If-None-Match');
    expect(reloadGet).toContain('200 OK');
    const currentEtag = await etagShown(b);
    expect(currentEtag).not.toBe(staleEtag);

    await saveText(b, 'Edited in tab B after reloading');
    await waitForStatus(b, 'Text saved (200 OK).');
    expect(await shownText(b)).toBe('Edited in tab B after reloading');
    expect(await lastExchange(b, 'PATCH')).toContain(`If-Match${currentEtag}`);
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual(['Edited in tab B after reloading']);

    // Now tab A is the stale one, and a PUT from it is refused the same way.
    const replace = a.getByRole('form', { name: 'Replace the whole note' });
    const json = JSON.parse(await replace.getByLabel('Note as JSON').inputValue()) as Record<string, unknown>;
    await replace.getByLabel('Note as JSON').fill(JSON.stringify({ ...json, text: 'Replaced in tab A' }));
    await replace.getByRole('button', { name: 'Replace note' }).click();
    await replace.getByRole('alert').filter({ hasText: CONFLICT }).waitFor();
    expect(await lastExchange(a, 'PUT')).toContain('412 Precondition Failed');
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual(['Edited in tab B after reloading']);
  });

  it('keeps the note when a stale tab deletes it, and deletes it after a reload (by keyboard)', async () => {
    const user = await arrangeUser(server.baseUrl, ['Keep me']);
    const [a, b] = await twoTabsOnOneNote(user, 'Keep me');
    // Two saves in a row from one tab: the second carries the ETag the first one returned.
    await saveText(a, 'Changed in tab A once');
    await waitForStatus(a, 'Text saved (200 OK).');
    await saveText(a, 'Changed in tab A');
    await a.locator('.note-full .note-text', { hasText: /^Changed in tab A$/ }).waitFor();
    await waitForStatus(a, 'Text saved (200 OK).');
    expect(await a.getByRole('alert').count()).toBe(0);

    await b.getByRole('button', { name: 'Delete note' }).click();
    await b.getByRole('button', { name: 'Yes, delete it' }).click();
    const deleteSection = b.getByRole('region', { name: 'Delete' });
    const alert = deleteSection.getByRole('alert');
    await alert.waitFor();
    expect(((await alert.textContent()) ?? '').replace(/Reload note$/, '')).toBe(CONFLICT);
    const del = await lastExchange(b, 'DELETE');
    expect(del).toMatch(/If-Match"[^"]+"/);
    expect(del).toContain('412 Precondition Failed');
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual(['Changed in tab A']);

    // The reload offer works from the keyboard; the delete that follows uses the current ETag.
    await alert.getByRole('button', { name: 'Reload note' }).focus();
    await b.keyboard.press('Enter');
    await waitForStatus(b, 'Note reloaded');
    expect(await shownText(b)).toBe('Changed in tab A');
    await b.getByRole('button', { name: 'Delete note' }).click();
    await b.getByRole('button', { name: 'Yes, delete it' }).click();
    await waitForStatus(b, 'Note deleted (204 No Content).');
    expect(await storedNoteTexts(server.baseUrl, user)).toEqual([]);
  });
});
