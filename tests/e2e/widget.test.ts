/**
 * Code on demand in Chromium (issue 15): the demo page (rel `widget-demo` of `/`) loads the widget
 * script the API serves (rel `widget`), which follows the API's links and shows the caller's
 * latest notes, under the API's Content Security Policy with no violation and no console error;
 * a page of another origin embeds the same script (CORS and Cross-Origin-Resource-Policy allow it).
 */
import http from 'node:http';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/serverProcess';
import { arrangeUser, screenshot, useBrowser, type TestServer } from './helpers';

const session = useBrowser();
let server: TestServer;
let page: Page;

interface ApiLink {
  rel: string;
  href: string;
  method: string;
}

beforeAll(() => {
  server = session.server;
});

beforeEach(async () => {
  page = await session.open({ width: 1280, height: 800 });
  // CSP violations are also console errors (which useBrowser fails on); collected here to say so.
  await page.addInitScript({
    content: "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
  });
});

/** What the test reads of the API's bodies. */
interface ApiBody {
  links?: ApiLink[];
  access_token?: string;
  notes?: Array<{ text: string; links: ApiLink[] }>;
}

/** Sends a JSON request to the API. */
async function api(href: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: ApiBody }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(new URL(href, server.baseUrl), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) };
}

function hrefOf(links: ApiLink[] | undefined, rel: string): string {
  const found = (links ?? []).find((l) => l.rel === rel);
  if (!found) throw new Error(`no ${rel} link`);
  return found.href;
}

/** A user with four notes, the first edited last (so it is the most recently updated), and a token. */
async function arrange(): Promise<{ token: string; rootLinks: ApiLink[] }> {
  const user = await arrangeUser(server.baseUrl, ['First note', 'Second note', 'Third note', 'Fourth note']);
  const root = await api('/');
  const auth = await api(hrefOf(root.body.links, 'auth'), { method: 'POST', body: { email: user.email, password: user.password } });
  const token = auth.body.access_token ?? '';
  const list = await api(hrefOf(auth.body.links, 'notes'), { token });
  const first = (list.body.notes ?? []).find((n) => n.text === 'First note');
  const edited = await api(hrefOf(first?.links, 'self'), { method: 'PATCH', token, body: { text: 'First note, edited last' } });
  expect(edited.status).toBe(204);
  return { token, rootLinks: root.body.links ?? [] };
}

const card = () => page.getByRole('region', { name: 'My latest notes' });

async function shownNotes(): Promise<string[]> {
  await card().locator('li').first().waitFor();
  return card().locator('li .text').allTextContents();
}

async function cspViolations(): Promise<string[]> {
  return page.evaluate<string[]>('window.cspViolations');
}

describe('the latest-notes widget (code on demand)', () => {
  it('the demo page runs the widget with a token from the URL fragment: the three latest notes by update, the token gone from the address bar', async () => {
    const { token, rootLinks } = await arrange();

    await page.goto(`${new URL(hrefOf(rootLinks, 'widget-demo'), server.baseUrl).href}#token=${encodeURIComponent(token)}`);

    expect(await shownNotes()).toEqual(['First note, edited last', 'Fourth note', 'Third note']);
    expect(page.url()).not.toContain('token');
    expect(await card().getByText(/^Code on demand from /).isVisible()).toBe(true);
    expect(await cspViolations()).toEqual([]);
    await screenshot(page, 'widget-demo');
  });

  it('takes a pasted token from the form; a refused token shows the API message in the card', async () => {
    const { token, rootLinks } = await arrange();
    await page.goto(new URL(hrefOf(rootLinks, 'widget-demo'), server.baseUrl).href);
    const form = page.getByRole('form', { name: 'Access token' });

    await form.getByLabel(/Access token/).fill('not-a-token');
    await form.getByRole('button', { name: 'Show my latest notes' }).click();
    const alert = card().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Could not load the notes: The access token is not valid\. Log in again/);

    await form.getByLabel(/Access token/).fill(token);
    await form.getByRole('button', { name: 'Show my latest notes' }).click();
    await card().getByText('First note, edited last').waitFor();
    expect(await shownNotes()).toEqual(['First note, edited last', 'Fourth note', 'Third note']);
    expect(await cspViolations()).toEqual([]);
  });

  it('a page of another origin embeds the script: it reads the notes by CORS, the script is not blocked by CORP', async () => {
    const { token, rootLinks } = await arrange();
    const scriptUrl = new URL(hrefOf(rootLinks, 'widget'), server.baseUrl).href;
    const host = http.createServer((req, res) => {
      if (req.url === '/host.js') {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(`window.ThunderNotesWidgets.latestNotes({ element: document.getElementById('card'), token: ${JSON.stringify(token)}, limit: 2 });`);
        return;
      }
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><title>Another site</title><h1>Another site</h1><div id="card"></div><script src="${scriptUrl}"></script><script src="/host.js"></script>`);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => host.listen(port, '127.0.0.1', resolve));
    try {
      await page.goto(`http://127.0.0.1:${port}/`);

      expect(await shownNotes()).toEqual(['First note, edited last', 'Fourth note']);
      await screenshot(page, 'widget-embedded');
    } finally {
      await new Promise((resolve) => host.close(resolve));
    }
  });
});
