/** Minimal stand-ins for Express's req/res, enough for middleware unit tests. */
import type { NextFunction, Request, Response } from 'express';

/** A response that records what a middleware wrote. */
export interface FakeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
  headersSent: boolean;
  locals: Record<string, unknown>;
}

/** A fake response, typed as Express's for the code under test. */
export function fakeRes(overrides: Partial<FakeResponse> = {}): { res: Response; rec: FakeResponse } {
  const rec: FakeResponse = { statusCode: 200, headers: {}, body: undefined, headersSent: false, locals: {}, ...overrides };
  const res = {
    get headersSent() {
      return rec.headersSent;
    },
    locals: rec.locals,
    set(name: string | Record<string, string>, value?: string) {
      if (typeof name === 'string') rec.headers[name] = String(value);
      else Object.assign(rec.headers, name);
      return res;
    },
    status(code: number) {
      rec.statusCode = code;
      return res;
    },
    type(type: string) {
      rec.headers['Content-Type'] = type;
      return res;
    },
    send(body: unknown) {
      rec.body = body;
      return res;
    },
  };
  return { res: res as unknown as Response, rec };
}

/** A fake request with the given fields. */
export function fakeReq(fields: Partial<Record<keyof Request, unknown>> & { headers?: Record<string, string> } = {}): Request {
  const headers = fields.headers ?? {};
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'GET',
    path: '/',
    originalUrl: '/',
    params: {},
    query: {},
    body: undefined,
    ...fields,
    headers: lower,
    get: (name: string) => lower[name.toLowerCase()],
  } as unknown as Request;
}

/** A next() that records what it was called with. */
export function fakeNext(): NextFunction & { mock: jest.Mock['mock'] } {
  return jest.fn() as unknown as NextFunction & { mock: jest.Mock['mock'] };
}
