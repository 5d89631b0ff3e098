/**
 * Times every request into `tn_http_request_duration_seconds`, labelled with the route pattern
 * (`/notes/:id`, never the raw path, so ids do not multiply the series), or `none` for static
 * files and unknown paths.
 */
import type { RequestHandler } from 'express';
import { httpRequestDuration } from '../metrics';

/** Observes the request's duration when its response has been sent. */
export const httpMetrics: RequestHandler = (req, res, next) => {
  const start = process.hrtime.bigint();
  res.once('finish', () => {
    const route = typeof req.route?.path === 'string' ? req.route.path : 'none';
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    httpRequestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
  });
  next();
};
