/**
 * Reads the `Server-Timing` response header (W3C Server Timing) into metrics. The API sends
 * `db;dur=<ms>;desc="<n> database commands", app;dur=<ms>` when timing is on, so the page can
 * draw the layers a request crossed (browser → API → database server) with the time spent in each.
 * Pure: no DOM, unit-tested in tests/client.
 */
import { splitOutsideQuotes, unquote } from '../../src/types/httpSyntax';


/** One metric of the header: its name and, when given, its duration (ms) and description. */
export interface TimingMetric {
  name: string;
  dur?: number;
  desc?: string;
}

/** What the layers view needs: time in the app, time waiting for the database, and how many commands. */
export interface LayerTimings {
  /** Total milliseconds the request spent in the API (including the database time). */
  appMs?: number;
  /** Milliseconds the API spent waiting for the database server. */
  dbMs?: number;
  /** Number of database commands the request sent, read from the db metric's description. */
  dbCommands?: number;
  metrics: TimingMetric[];
}

function parseMetric(text: string): TimingMetric | undefined {
  const [rawName, ...params] = splitOutsideQuotes(text, ';');
  const name = (rawName ?? '').trim();
  if (!/^[!#$%&'*+\-.^_`|~\w]+$/.test(name)) return undefined;
  const metric: TimingMetric = { name };
  for (const param of params) {
    const eq = param.indexOf('=');
    const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? '' : unquote(param.slice(eq + 1));
    // The spec says the first occurrence of a parameter wins.
    if (key === 'dur' && metric.dur === undefined) {
      const dur = Number(value);
      if (value !== '' && Number.isFinite(dur) && dur >= 0) metric.dur = dur;
    } else if (key === 'desc' && metric.desc === undefined) metric.desc = value;
  }
  return metric;
}

/** Every well-formed metric of a `Server-Timing` header value; malformed pieces are skipped. */
export function parseServerTiming(header: string): TimingMetric[] {
  return splitOutsideQuotes(header, ',')
    .map(parseMetric)
    .filter((m): m is TimingMetric => m !== undefined);
}

/** The number at the start of a description such as "3 database commands". */
function commandCount(desc: string | undefined): number | undefined {
  const match = desc ? /^\s*(\d+)\b/.exec(desc) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * The layer timings of a response's headers, or undefined when it has no `Server-Timing`
 * (timing switched off, or a CORS answer that does not expose it).
 */
export function layerTimings(headers: ReadonlyArray<readonly [string, string]>): LayerTimings | undefined {
  const values = headers.filter(([name]) => name.toLowerCase() === 'server-timing').map(([, value]) => value);
  if (values.length === 0) return undefined;
  const metrics = parseServerTiming(values.join(','));
  const db = metrics.find((m) => m.name === 'db');
  const app = metrics.find((m) => m.name === 'app');
  return { appMs: app?.dur, dbMs: db?.dur, dbCommands: commandCount(db?.desc), metrics };
}
