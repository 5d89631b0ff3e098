/**
 * The API reference page, `/docs`, in Debian's Chromium against the real server: Swagger UI
 * renders under the app's CSP with no console error and no CSP violation, lists every operation
 * of `/openapi.json`, and "Try it out" of POST /auth with the demo user authorizes the page, so
 * that "Try it out" of GET /notes answers 200. The bundled page links to it through the root's
 * `service-doc` link.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { DOCS_PATH, OPENAPI_PATH } from '../../src/openapi/document';
import { DEMO, SCREENSHOT_DIR, screenshot, useBrowser, type TestServer } from './helpers';

const session = useBrowser();
let server: TestServer;
let page: Page;

beforeAll(() => {
  server = session.server;
});

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface DocumentOperation {
  method: string;
  path: string;
  operationId: string;
  tags: string[];
}

/** The operations of the served document, as the test reads it (not as the page renders it). */
async function documentOperations(): Promise<DocumentOperation[]> {
  const res = await fetch(new URL(OPENAPI_PATH, server.baseUrl), { headers: { Accept: 'application/json' } });
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, { operationId: string; tags?: string[] }>> };
  return Object.entries(doc.paths).flatMap(([route, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method, path: route, operationId: op.operationId, tags: op.tags ?? [] })),
  );
}

/**
 * Records CSP violations in the page (the `securitypolicyviolation` event) in `window.__csp`.
 * An init script runs before the page's own and is not itself subject to the CSP.
 */
async function watchCsp(target: Page): Promise<void> {
  await target.addInitScript(
    "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));",
  );
}

async function cspViolations(target: Page): Promise<string[]> {
  return (await target.evaluate('window.__csp')) as string[];
}

/** Opens /docs and waits until Swagger UI has rendered the document's operations. */
async function openDocs(): Promise<void> {
  page = await session.open({ width: 1400, height: 1000 });
  await watchCsp(page);
  await page.goto(new URL(DOCS_PATH, server.baseUrl).href);
  await page.locator('.swagger-ui .information-container .title').waitFor();
  await page.locator('.opblock').first().waitFor();
}

/** The rendered block of one operation, found by the operationId Swagger UI shows. */
function operation(operationId: string): Locator {
  return page.locator('.opblock').filter({ has: page.locator('.opblock-summary-operation-id', { hasText: new RegExp(`^${operationId}$`) }) });
}

/** Expands an operation, presses "Try it out", lets `fill` set inputs, presses "Execute"; returns the status shown. */
async function tryItOut(operationId: string, fill: (block: Locator) => Promise<void> = async () => {}): Promise<string> {
  const block = operation(operationId);
  await block.locator('.opblock-summary').first().click();
  await block.locator('.try-out__btn').click();
  await fill(block);
  await block.locator('.execute').click();
  const status = block.locator('.live-responses-table .response .response-col_status');
  await status.waitFor();
  return ((await status.textContent()) ?? '').trim();
}

/** A screenshot of the viewport around an element (the whole page, with every example opened, is very long). */
async function viewportScreenshot(around: Locator, name: string): Promise<void> {
  await around.scrollIntoViewIfNeeded();
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

describe('the API reference page (/docs)', () => {
  it('renders under the CSP without errors and lists every operation of /openapi.json', async () => {
    const expected = await documentOperations();
    await openDocs();

    expect(await page.title()).toBe('Thunder Notes API reference');
    // Swagger UI shows an operation once under each of its tags.
    const blocks = page.locator('.opblock');
    expect(await blocks.count()).toBe(expected.reduce((n, op) => n + Math.max(op.tags.length, 1), 0));
    // In document order, one entry per block (Swagger UI puts zero-width spaces into paths to wrap them).
    const methods = await page.locator('.opblock .opblock-summary-method').allTextContents();
    const paths = await page.locator('.opblock .opblock-summary-path').allTextContents();
    const ids = await page.locator('.opblock .opblock-summary-operation-id').allTextContents();
    const key = (method: string, route: string, id: string) => `${method.toLowerCase()} ${route.replace(/\u200b/g, '')} ${id}`;
    const rendered = methods.map((method, i) => key(method, paths[i] ?? '', ids[i] ?? ''));
    expect(new Set(rendered)).toEqual(new Set(expected.map((op) => key(op.method, op.path, op.operationId))));
    expect(expected.map((op) => op.operationId)).toEqual(expect.arrayContaining(['login', 'listNotes', 'getDocs']));
    expect(await cspViolations(page)).toEqual([]);
    await screenshot(page, 'docs');
  });

  it('"Try it out" talks to the server that serves the page (listed first among the servers)', async () => {
    await openDocs();

    const servers = page.locator('.servers select');
    expect(await servers.inputValue()).toBe(server.baseUrl);
    expect(await servers.locator('option').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('localhost:3000')]));
  });

  it('a 200 of POST /auth authorizes the page: GET /notes then answers 200 with the token', async () => {
    await openDocs();
    const authorize = page.locator('.auth-wrapper .authorize');
    expect(await authorize.getAttribute('class')).not.toMatch(/\blocked\b/);

    const unauthorized = await tryItOut('listNotes');
    expect(unauthorized).toBe('401');

    const login = await tryItOut('login', async (block) => {
      await block.locator('textarea.body-param__text').fill(JSON.stringify({ email: DEMO.email, password: DEMO.password }));
    });
    expect(login).toBe('200');
    await page.locator('.auth-wrapper .authorize.locked').waitFor();

    const notes = operation('listNotes');
    await notes.locator('.execute').click();
    await notes.locator('.live-responses-table .response .response-col_status', { hasText: '200' }).waitFor();
    expect(await notes.locator('.curl-command').textContent()).toMatch(/Authorization: Bearer ey/);
    expect(await notes.locator('.live-responses-table .response .response-col_description').textContent()).toContain('"notes"');
    await viewportScreenshot(notes.locator('.live-responses-table'), 'docs-authorized-list-notes');
    expect(await cspViolations(page)).toEqual([]);
  }, 120000); // four round trips, each re-rendering large operation blocks: ~15-30 s on a busy 2-core machine

  it('the Authorize dialog still takes a token by hand', async () => {
    const login = await fetch(new URL('/auth', server.baseUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    await openDocs();

    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input[type=text], input[type=password]').first().fill(token);
    await dialog.locator('button.authorize').click();
    await dialog.locator('button.close-modal').click();

    expect(await tryItOut('listNotes')).toBe('200');
  });

  it('the bundled page links to it through the root\'s service-doc link', async () => {
    page = await session.open({ width: 1280, height: 900 });
    await page.goto(server.clientUrl);

    const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API reference' });
    expect(await link.getAttribute('href')).toBe(DOCS_PATH);
    await link.click();
    await page.locator('.swagger-ui .information-container .title').waitFor();
    expect(new URL(page.url()).pathname).toBe(DOCS_PATH);
  });
});
