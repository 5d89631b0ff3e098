/**
 * Prometheus metrics (prom-client), one registry per process: HTTP request durations by route
 * pattern and status, database command durations (timed where src/models sends each command),
 * rate-limit refusals and the password-hashing pool, plus Node's default process metrics.
 * Every label takes values from a small fixed set (route patterns, command names, policy
 * names), never from raw paths or user input, so the number of series stays bounded.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The registry `/metrics` serves. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Seconds from the request's arrival to the end of its response. */
export const httpRequestDuration = new Histogram({
  name: 'tn_http_request_duration_seconds',
  help: 'HTTP request durations by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/**
 * Seconds a database command took, from the call that sends it to its result (src/models/commands.ts
 * `timed`): the round trip plus the driver's own work on it.
 */
export const dbCommandDuration = new Histogram({
  name: 'tn_db_command_duration_seconds',
  help: 'Database command durations by command name and outcome (from sending to the result, in the API process)',
  labelNames: ['command', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  registers: [registry],
});

/** Requests refused with 429, by policy. */
export const rateLimitRefusals = new Counter({
  name: 'tn_rate_limit_refusals_total',
  help: 'Requests refused with 429 by a rate-limit policy',
  labelNames: ['policy'] as const,
  registers: [registry],
});

/** Password hashes (argon2 hash or verify) running now. */
export const hashPoolActive = new Gauge({
  name: 'tn_password_hash_active',
  help: 'argon2 operations running now',
  registers: [registry],
});

/** Password hashes waiting for a slot. */
export const hashPoolQueued = new Gauge({
  name: 'tn_password_hash_queue_depth',
  help: 'argon2 operations waiting for a slot in the hashing pool',
  registers: [registry],
});

/** Password hashes refused because the pool's queue was full (answered 503). */
export const hashPoolRejections = new Counter({
  name: 'tn_password_hash_rejections_total',
  help: 'argon2 operations refused because the hashing queue was full',
  registers: [registry],
});

/** The journal's cumulative counters. */
export interface StorageCounters {
  fsyncs: number;
  fsyncMsTotal: number;
  commits: number;
  failures: number;
  recoveries: number;
}

/**
 * What the embedded server reports about its storage (src/db's `EmbeddedDb`). The counters may
 * come asynchronously: the server runs in a worker thread (or the cluster primary) and is asked at
 * scrape time, so a scrape right after a write counts it.
 */
export interface StorageSource {
  storageStats(): StorageCounters | null | Promise<StorageCounters | null>;
  health(): { writable: boolean };
}

/**
 * Exposes the embedded server's journal counters: fsyncs and the time spent in them (their
 * ratio is the mean fsync latency), commits, failures, recoveries, and whether the journal takes
 * writes now. Read at scrape time from the cumulative counters the journal keeps anyway.
 */
export function observeStorage(source: StorageSource): void {
  const cumulative = (name: string, help: string, read: (s: StorageCounters) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        const stats = await source.storageStats();
        this.reset();
        if (stats) this.inc(read(stats));
      },
    });
  cumulative('tn_journal_fsyncs_total', 'fsyncs of the embedded server journal', (s) => s.fsyncs);
  cumulative('tn_journal_fsync_seconds_total', 'seconds spent waiting for journal fsyncs (divide by tn_journal_fsyncs_total for the mean)', (s) => s.fsyncMsTotal / 1000);
  cumulative('tn_journal_commits_total', 'commits (write commands) recorded by the journal', (s) => s.commits);
  cumulative('tn_journal_failures_total', 'times the journal started refusing writes (a failed write or fsync)', (s) => s.failures);
  cumulative('tn_journal_recoveries_total', 'times the journal accepted writes again after a failure, without a restart', (s) => s.recoveries);
  new Gauge({
    name: 'tn_journal_writable',
    help: '1 while the embedded server storage accepts writes, 0 while it refuses them',
    registers: [registry],
    collect() {
      this.set(source.health().writable ? 1 : 0);
    },
  });
}
