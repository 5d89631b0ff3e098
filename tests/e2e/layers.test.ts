/**
 * The layers view (layered system, issue 15), in Chromium against the real server: every logged
 * exchange draws browser → API → database server from the answer's Server-Timing header, which
 * the development server sends by default (TN_SERVER_TIMING). The numbers on screen are the
 * header's; a request that needs no database shows no commands; a server with timing off gets
 * no drawing at all. (The walkthrough's "Layered system" step is in walkthrough.test.ts.)
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { spawnServer, stopServer, waitForServer, type ServerProcess } from '../helpers/serverProcess';
import { DEMO, logIn, screenshot, SCREENSHOT_DIR, useBrowser } from './helpers';

const session = useBrowser();
let page: Page;

/** The log entry whose request line is exactly this method and URL (the newest, if several). */
function logEntry(method: string, url: string): Locator {
  return page
    .locator('#log > li')
    .filter({ has: page.locator('.summary-line .method', { hasText: new RegExp(`^${method}$`) }) })
    .filter({ has: page.locator('.summary-line .url', { hasText: new RegExp(`^${url.replace(/[?.]/g, '\\$&')}$`) }) })
    .first();
}

/** Opens a log entry and returns it. */
async function openEntry(method: string, url: string): Promise<Locator> {
  const entry = logEntry(method, url);
  await entry.locator('summary').first().click();
  await entry.locator('.exchange').waitFor();
  return entry;
}

/** The Server-Timing header the entry's response shows, read into numbers by the test itself. */
async function shownServerTiming(entry: Locator): Promise<{ db: number; commands: number; app: number }> {
  const value = (await entry.locator('.response .header', { hasText: /^server-timing/i }).locator('dd').textContent()) ?? '';
  const match = /^db;dur=(\d+\.\d\d);desc="(\d+) database commands?", app;dur=(\d+\.\d\d)$/.exec(value);
  if (!match) throw new Error(`unexpected Server-Timing: ${value}`);
  return { db: Number(match[1]), commands: Number(match[2]), app: Number(match[3]) };
}

/** How the layers view prints a duration. */
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

describe('the layers view', () => {
  it('draws the notes list\'s layers with the database time and command count of its Server-Timing header', async () => {
    page = await session.open({ width: 1400, height: 1000 });
    await logIn(page, session.server.clientUrl, DEMO.email, DEMO.password);

    const entry = await openEntry('GET', '/notes');
    const timing = await shownServerTiming(entry);
    expect(timing.commands).toBeGreaterThanOrEqual(1);
    expect(timing.app).toBeGreaterThanOrEqual(timing.db);

    const layers = entry.locator('.layers');
    expect(await layers.locator('figcaption').textContent()).toBe('Layers this request crossed (from the Server-Timing header)');
    expect(await layers.locator('.layer-name').allTextContents()).toEqual(['Browser', 'API', 'Database server']);
    expect(await layers.locator('.hop-label').allTextContents()).toEqual(['HTTP', 'socket']);
    expect(await layers.locator('.layer-api .layer-time').textContent()).toBe(`${ms(timing.app)} in the app`);
    expect(await layers.locator('.layer-db .layer-time').textContent()).toBe(`${ms(timing.db)} · ${timing.commands} command${timing.commands === 1 ? '' : 's'}`);
    const roundTrip = Number(/^(\d+) ms round trip$/.exec((await layers.locator('.layer-browser .layer-time').textContent()) ?? '')?.[1]);
    // The browser's round trip contains the API's time (the header's app is rounded to 0.01 ms, the round trip to 1 ms).
    expect(roundTrip).toBeGreaterThanOrEqual(Math.floor(timing.app));
    expect(await layers.locator('.layers-note').textContent()).toContain(`${ms(timing.db)} went to ${timing.commands} database command`);
    await layers.screenshot({ path: path.join(SCREENSHOT_DIR, 'layers-view.png') });
    await screenshot(page, 'layers-log');
  });

  it('shows that the entry point needs no database: 0 commands, the socket unused', async () => {
    page = await session.open({ width: 1280, height: 900 });
    await page.goto(session.server.clientUrl);
    await page.getByRole('heading', { level: 1, name: 'Welcome to Thunder Notes' }).waitFor();

    const entry = await openEntry('GET', '/');
    const timing = await shownServerTiming(entry);
    expect(timing.commands).toBe(0);
    const layers = entry.locator('.layers');
    expect(await layers.locator('.layer-db .layer-time').textContent()).toBe(`${ms(timing.db)} · 0 commands`);
    expect(await layers.locator('.hop-label').allTextContents()).toEqual(['HTTP', 'socket (not used)']);
  });

  describe('with TN_SERVER_TIMING=false', () => {
    let quiet: ServerProcess;

    beforeAll(async () => {
      quiet = await spawnServer({ env: { TN_DATA_DIR: ':memory:', NODE_ENV: 'development', MONGODB_URI: '', TN_SERVER_TIMING: 'false' } });
      await waitForServer(quiet);
    });

    afterAll(async () => {
      await stopServer(quiet);
    });

    it('draws nothing: no header, no layers', async () => {
      page = await session.open({ width: 1280, height: 900 });
      await logIn(page, `http://localhost:${quiet.port}/client/`, DEMO.email, DEMO.password);
      const entry = await openEntry('GET', '/notes');
      expect(await entry.locator('.response .header', { hasText: /^server-timing/i }).count()).toBe(0);
      expect(await entry.locator('.layers').count()).toBe(0);
      expect(await entry.locator('.response .status-line').textContent()).toMatch(/^200 OK/);
    });
  });
});
