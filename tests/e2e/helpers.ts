/**
 * Browser-test plumbing: `useBrowser()` (a real server on a free port and Debian's Chromium for
 * the test file, a fresh page per test that must not log errors), screenshots, and an API
 * client that (like the page) starts at `/` and follows links to arrange test data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { uniqueEmail } from '../helpers/ids';
import { ROOT, SERVER_ENTRY, spawnServer, stopServer, waitForServer } from '../helpers/serverProcess';

const CLIENT_BUNDLE = path.join(ROOT, 'client', 'dist', 'app.js');
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

/** The demo user the development server seeds on an empty database. */
export const DEMO = { name: 'Saurabh', email: 'saurabh@example.com', password: 'abcd1234' };

/** A running server and how to stop it. */
export interface TestServer {
  baseUrl: string;
  clientUrl: string;
  stop(): Promise<void>;
}

/** Starts `node dist/src/server.js` on a free port with an in-memory database and the demo data. */
async function startServer(): Promise<TestServer> {
  if (!fs.existsSync(SERVER_ENTRY) || !fs.existsSync(CLIENT_BUNDLE)) {
    throw new Error('dist/ or client/dist/ is missing: run `npm run build` (npm run test:e2e does it for you)');
  }
  const server = await spawnServer({ env: { TN_DATA_DIR: ':memory:', NODE_ENV: 'development', MONGODB_URI: '' } });
  await waitForServer(server);
  const baseUrl = `http://localhost:${server.port}`;
  return {
    baseUrl,
    clientUrl: `${baseUrl}/client/`,
    async stop() {
      await stopServer(server);
    },
  };
}

/** Launches Debian's Chromium headless, as CI installs it. */
function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * Collects uncaught page errors and console errors (a CSP violation shows up as one). Chromium
 * also logs every 4xx answer as "Failed to load resource"; those are the API's answers, not faults.
 */
function watchForPageErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(`console: ${msg.text()}`);
  });
}

/** The browser set-up of one test file; see `useBrowser`. */
export interface BrowserSession {
  /** The server of this test file (started in beforeAll). */
  readonly server: TestServer;
  /** Opens a fresh context and page at this viewport size for the current test. */
  open(viewport: { width: number; height: number }): Promise<Page>;
  /**
   * Opens one more page in the context of the last `open()`: a second tab of the same browser
   * (its own sessionStorage, so its own login). Its errors count like the first page's.
   */
  openTab(): Promise<Page>;
}

/**
 * Registers the hooks of a browser test file: beforeAll starts the server and Chromium, afterAll
 * stops both. Each test opens its page with `open()`; afterEach closes it and expects that it
 * logged no page or console errors (a CSP violation is one).
 */
export function useBrowser(): BrowserSession {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    // Reset before asserting, so one test's page errors fail that test only, not every later one.
    const errors = pageErrors;
    pageErrors = [];
    expect(errors).toEqual([]);
  });

  return {
    get server() {
      if (!server) throw new Error('the server is not running: use `server` inside hooks and tests, not at the top of the file');
      return server;
    },
    async open(viewport) {
      if (!browser) throw new Error('the browser is not running: call open() inside hooks and tests');
      await context?.close(); // a second open() in one test; its page's errors still count
      context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.setDefaultTimeout(10000);
      watchForPageErrors(page, pageErrors);
      return page;
    },
    async openTab() {
      if (!context) throw new Error('openTab() needs a page from open() first');
      const page = await context.newPage();
      page.setDefaultTimeout(10000);
      watchForPageErrors(page, pageErrors);
      return page;
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

interface ApiLink {
  rel: string;
  href: string;
  method: string;
}

async function call(baseUrl: string, link: ApiLink | undefined, body?: unknown, token?: string): Promise<{ status: number; body: { links?: ApiLink[]; access_token?: string } }> {
  if (!link) throw new Error('the API did not offer the link the test needs');
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(new URL(link.href, baseUrl), { method: link.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

const rel = (links: ApiLink[] | undefined, name: string) => (links ?? []).find((l) => l.rel === name);

/**
 * Registers a user through the API and adds the given notes in order (a few ms apart, so
 * their timestamps differ). Follows links from `/` like the page does.
 */
export async function arrangeUser(baseUrl: string, notes: string[] = []): Promise<{ name: string; email: string; password: string }> {
  const user = { name: 'Test User', email: uniqueEmail('user'), password: 'correct horse battery' };
  const root = await call(baseUrl, { rel: 'self', href: '/', method: 'GET' });
  const registered = await call(baseUrl, rel(root.body.links, 'register'), user);
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const auth = await call(baseUrl, rel(root.body.links, 'auth'), { email: user.email, password: user.password });
  if (auth.status !== 200 || !auth.body.access_token) throw new Error(`auth answered ${auth.status}`);
  for (const text of notes) {
    const created = await call(baseUrl, rel(auth.body.links, 'add-note'), { text }, auth.body.access_token);
    if (created.status !== 201) throw new Error(`add-note answered ${created.status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return user;
}

/**
 * The texts of a user's notes as the API lists them now (first page, the API's default order):
 * what is stored, whatever any page shows. Logs in and follows links from `/`, like the page.
 */
export async function storedNoteTexts(baseUrl: string, user: { email: string; password: string }): Promise<string[]> {
  const root = await call(baseUrl, { rel: 'self', href: '/', method: 'GET' });
  const auth = await call(baseUrl, rel(root.body.links, 'auth'), { email: user.email, password: user.password });
  if (auth.status !== 200 || !auth.body.access_token) throw new Error(`auth answered ${auth.status}`);
  const list = (await call(baseUrl, rel(auth.body.links, 'notes'), undefined, auth.body.access_token)) as { status: number; body: { notes?: Array<{ text: string }> } };
  if (list.status !== 200) throw new Error(`notes answered ${list.status}`);
  return (list.body.notes ?? []).map((n) => n.text);
}

/** Opens the page and logs in through the login form. */
export async function logIn(page: Page, clientUrl: string, email: string, password: string): Promise<void> {
  await page.goto(clientUrl);
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your notes' }).waitFor();
}
