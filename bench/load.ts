/**
 * One measurement: a warm-up run whose numbers are thrown away, then an autocannon run.
 * Latencies are collected from autocannon's per-response event with sub-millisecond
 * precision (its own histogram records whole milliseconds, too coarse for a local server);
 * requests/s is completed responses over the run's wall-clock duration. Every response whose
 * status is not the expected one, and every connection error or timeout, is counted as
 * unexpected.
 */
import http from 'node:http';
import os from 'node:os';
import autocannon from 'autocannon';

/** A request without an answer after this long counts as an error (autocannon's timeout). */
export const REQUEST_TIMEOUT_SEC = 10;

/** The request a scenario sends, identical for every connection. */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path and query, e.g. `/notes?limit=10`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expectedStatus: number;
}

export interface LoadOptions {
  connections: number;
  durationSec: number;
  warmupSec: number;
}

export interface LatencySummary {
  p50: number;
  p97_5: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  rps: number;
  latencyMs: LatencySummary;
  statusCounts: Record<string, number>;
  /** Responses with a status other than the expected one. */
  unexpectedStatus: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** unexpectedStatus + errors: the "non-expected statuses (must be 0)". */
  unexpected: number;
  /** Mean response size on the wire (headers and body), bytes. */
  bytesPerResponse: number;
  /**
   * The machine's 1-minute load average at the end of the run. This run itself accounts for
   * about 2 (the load generator and the server); much more means other work competed for the CPUs.
   */
  loadAvg1m: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

async function runOnce(baseUrl: string, req: LoadRequest, connections: number, durationSec: number) {
  const latencies = new Samples();
  const statusCounts: Record<string, number> = {};
  let bytes = 0;
  const instance = autocannon({
    url: baseUrl + req.path,
    method: req.method,
    headers: req.headers,
    body: req.body,
    connections,
    duration: durationSec,
    timeout: REQUEST_TIMEOUT_SEC,
  });
  // The emitted arguments are (client, statusCode, resBytes, responseTime); the typings omit the client.
  (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, status: number, resBytes: number, ms: number) => {
    latencies.push(ms);
    const key = String(status);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    bytes += resBytes;
  });
  const result = await instance;
  return { result, latencies, statusCounts, bytes };
}

/** node:http options that send `req` to `baseUrl`, with its exact headers plus the body's content-length. */
export function httpOptions(baseUrl: string, req: LoadRequest): http.RequestOptions {
  const url = new URL(req.path, baseUrl);
  const headers: Record<string, string | number> = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
  return { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers };
}

/**
 * Warm-up: `connections` keep-alive connections send `req` back to back for `seconds`.
 * (An autocannon run only ends on its next one-second tick, too coarse for a short warm-up.)
 */
export async function warmUp(baseUrl: string, req: LoadRequest, connections: number, seconds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const options = { ...httpOptions(baseUrl, req), agent };
  const deadline = performance.now() + seconds * 1000;
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(options, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', reject);
      });
      // As long as autocannon waits for an answer: a server that takes longer fails the warm-up.
      request.setTimeout(REQUEST_TIMEOUT_SEC * 1000, () => request.destroy(new Error(`no answer to ${req.method} ${req.path} within ${REQUEST_TIMEOUT_SEC} s`)));
      request.on('error', reject);
      request.end(req.body);
    });
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) {
          await one();
          sent++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return sent;
}

/** Warms up, then measures `req` against `baseUrl`. */
export async function measure(baseUrl: string, req: LoadRequest, options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSec > 0) await warmUp(baseUrl, req, options.connections, options.warmupSec);
  const { result, latencies, statusCounts, bytes } = await runOnce(baseUrl, req, options.connections, options.durationSec);
  const sorted = latencies.sorted();
  const requests = sorted.length;
  const expected = statusCounts[String(req.expectedStatus)] ?? 0;
  const errors = result.errors; // includes timeouts
  let sum = 0;
  for (const v of sorted) sum += v;
  const durationSec = result.duration > 0 ? result.duration : options.durationSec;
  return {
    requests,
    durationSec,
    rps: round(requests / durationSec, 1),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p97_5: round(percentile(sorted, 97.5)),
      p99: round(percentile(sorted, 99)),
      mean: round(requests ? sum / requests : 0),
      max: round(requests ? sorted[requests - 1] : 0),
    },
    statusCounts,
    unexpectedStatus: requests - expected,
    errors,
    unexpected: requests - expected + errors,
    bytesPerResponse: requests ? Math.round(bytes / requests) : 0,
    loadAvg1m: round(os.loadavg()[0], 2),
  };
}
