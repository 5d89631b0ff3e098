/**
 * The baselines: bare Express 5 apps in a process of their own, without helmet, CORS, the
 * API's router, validation, database or hypermedia. `node baselineServer.js bare` answers
 * every registered request with a fixed response; `node baselineServer.js jwt` first verifies
 * a Bearer JWT (HS256, algorithm pinned, same key as the API) and only then answers.
 *
 * The orchestrator registers, for each scenario, the method, the route pattern and the exact
 * response (status and JSON body) that the API gave to the same request, so the baseline
 * sends the same status and the same number of body bytes (a conditional GET is told apart by
 * its If-None-Match, so the baseline answers it 304 like the API): the difference in cost is what the
 * API's own layers add. `express.json()` is mounted so a POST/PATCH body is parsed as well.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import jwt from 'jsonwebtoken';
import { reportFatal, reportReady, serveIpc } from './ipc';

/** What the baseline answers to one request. */
export interface BaselineRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Express route pattern, e.g. `/notes/:id`. */
  routePath: string;
  /** Exact request URL (path and query) this response belongs to. */
  url: string;
  /** The request's If-None-Match, when the response belongs to a conditional request. */
  ifNoneMatch?: string;
  status: number;
  /** Parsed JSON body, or null for an empty body (204, 304). */
  body: unknown;
}

export type BaselineKind = 'bare' | 'jwt';

function keyOf(method: string, url: string, ifNoneMatch: string | undefined): string {
  return ifNoneMatch === undefined ? `${method} ${url}` : `${method} ${url} ${ifNoneMatch}`;
}

/** Builds a baseline app; `registerRoutes` adds the fixed responses. */
export function createBaselineApp(kind: BaselineKind, jwtSecret: string) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json({ limit: '100kb' }));

  const key = crypto.createSecretKey(Buffer.from(jwtSecret, 'utf8'));
  const responses = new Map<string, BaselineRoute>();
  const registered = new Set<string>();

  const verify = (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) {
      res.status(401).json({ message: 'missing token' });
      return;
    }
    try {
      const payload = jwt.verify(header.slice(7), key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      res.locals.userId = payload.sub;
      next();
    } catch {
      res.status(401).json({ message: 'invalid token' });
    }
  };

  const respond = (req: Request, res: Response): void => {
    const route = responses.get(keyOf(req.method, req.url, req.headers['if-none-match']));
    if (!route) {
      res.status(404).json({ message: 'not registered' });
      return;
    }
    res.status(route.status);
    if (route.body === null || route.body === undefined) res.end();
    else res.json(route.body);
  };

  function registerRoutes(routes: BaselineRoute[]): void {
    for (const route of routes) {
      responses.set(keyOf(route.method, route.url, route.ifNoneMatch), route);
      const routeKey = `${route.method} ${route.routePath}`;
      if (registered.has(routeKey)) continue;
      registered.add(routeKey);
      const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
      if (kind === 'jwt') app[method](route.routePath, verify, respond);
      else app[method](route.routePath, respond);
    }
  }

  return { app, registerRoutes };
}

function main(): void {
  const kind = process.argv[2] === 'jwt' ? 'jwt' : 'bare';
  const { app, registerRoutes } = createBaselineApp(kind, process.env.TN_JWT_PRIVATE_KEY ?? '');
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  server.once('error', reportFatal);
  server.once('listening', () => {
    serveIpc(
      {
        routes: (message) => {
          registerRoutes(message.routes as BaselineRoute[]);
          return { registered: (message.routes as BaselineRoute[]).length };
        },
      },
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    reportReady((server.address() as AddressInfo).port, { kind });
  });
}

if (require.main === module) main();
