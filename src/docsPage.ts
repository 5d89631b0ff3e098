/**
 * The API reference page, `/docs`: Swagger UI over `/openapi.json`, served by the API itself so
 * it works offline and under the app's CSP (scripts from 'self' only, none inline). The page's
 * HTML, stylesheet and initializer are ours (client/docs/); Swagger UI's bundle, stylesheet and
 * icons come from the swagger-ui-dist package. Each file has one fixed path under /docs/, and
 * nothing else of either folder is served (not the package's demo index.html or its other builds).
 */
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { mountMethodNotAllowed } from './middlewares/methodNotAllowed';
import { DOCS_PATH } from './openapi/document';
import { PROJECT_ROOT } from './utils/projectRoot';

const PAGE_DIR = path.join(PROJECT_ROOT, 'client', 'docs');

/**
 * swagger-ui-dist's folder. Resolved from its package.json rather than through the package's
 * `getAbsoluteFSPath()`: its index.js first requires the 1.8 MB browser bundle into the API process.
 */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Our files, in client/docs/: the page itself, its initializer and styles. */
const PAGE_FILE = '/index.html';
const PAGE_ASSETS = ['/init.js', '/docs.css'];
/** Swagger UI's files the page loads: the standalone bundle (no preset, no es-module builds), its styles, its icons. */
const SWAGGER_UI_FILES = ['/swagger-ui-bundle.js', '/swagger-ui.css', '/favicon-32x32.png', '/favicon-16x16.png'];
/** Swagger UI's source maps: for a developer's debugger, so only outside production. */
const SWAGGER_UI_SOURCE_MAPS = ['/swagger-ui-bundle.js.map', '/swagger-ui.css.map'];

/** How the page is served. */
export interface DocsPageOptions {
  /** Serve Swagger UI's source maps (/docs/*.map). */
  sourceMaps: boolean;
}

/**
 * Answers with one file of a folder through its `express.static` (so with an ETag, and a 304 when
 * the client's copy is current, like /client), whatever the request path; a missing file falls through.
 */
function serveFile(serveFolder: RequestHandler, file: string): RequestHandler {
  return (req, res, next) => {
    const url = req.url;
    req.url = file;
    serveFolder(req, res, (err?: unknown) => {
      req.url = url;
      next(err);
    });
  };
}

/**
 * The routes of the page, to mount on the app without a path. `GET /docs` (and HEAD) is the page,
 * a resource of the API like the others: OPTIONS answers 204 with `Allow` and other methods 405, as
 * the route table answers its paths. The assets answer GET and HEAD at their listed paths; any other
 * path or method under /docs/ falls through to the app's 404 problem, like /client's files.
 */
export function docsPage({ sourceMaps }: DocsPageOptions): Router {
  // No index and no redirect: each path names its file (serve-static would send /docs to /docs/).
  const staticOptions = { index: false, redirect: false } as const;
  const pageFolder = express.static(PAGE_DIR, staticOptions);
  const swaggerUiFolder = express.static(SWAGGER_UI_DIR, staticOptions);
  const swaggerUiFiles = sourceMaps ? [...SWAGGER_UI_FILES, ...SWAGGER_UI_SOURCE_MAPS] : SWAGGER_UI_FILES;
  const assets = new Map<string, RequestHandler>([
    ...PAGE_ASSETS.map((file) => [`${DOCS_PATH}${file}`, serveFile(pageFolder, file)] as const),
    ...swaggerUiFiles.map((file) => [`${DOCS_PATH}${file}`, serveFile(swaggerUiFolder, file)] as const),
  ]);

  const router = express.Router();
  router.route(DOCS_PATH).get(serveFile(pageFolder, PAGE_FILE));
  mountMethodNotAllowed(router);
  router.use((req, res, next) => {
    const asset = req.method === 'GET' || req.method === 'HEAD' ? assets.get(req.path) : undefined;
    if (asset) asset(req, res, next);
    else next();
  });
  return router;
}
