/** Operations endpoints: `/health` (liveness), `/ready` (readiness), `/metrics` (Prometheus). */
import type { Request, Response } from 'express';
import { liveness, readiness, type HealthReport } from '../controllers/healthController';
import { logOf } from '../logger';
import { registry } from '../metrics';

const HEALTH_TYPE = 'application/health+json';

function sendHealth(res: Response, body: HealthReport): void {
  res
    .status(body.status === 'fail' ? 503 : 200)
    .set('Cache-Control', 'no-store')
    .type(HEALTH_TYPE)
    .send(JSON.stringify(body));
}

/** GET /health — 200 while the process serves requests; the database is not asked. */
export function getHealth(_req: Request, res: Response): void {
  sendHealth(res, liveness());
}

/** GET /ready — 200 when the database answers a ping and acknowledges a write, else 503. */
export async function getReady(req: Request, res: Response): Promise<void> {
  const { report, failures } = await readiness();
  for (const { check, err } of failures) logOf(req).warn({ event: 'ready.check_failed', check, err }, `readiness check ${check} failed`);
  sendHealth(res, report);
}

/** GET /metrics — the Prometheus text exposition of this process's metrics. */
export async function getMetrics(_req: Request, res: Response): Promise<void> {
  const body = await registry.metrics();
  res.status(200).set('Cache-Control', 'no-store').type(registry.contentType).send(body);
}
