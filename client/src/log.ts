/** The learner panel's data: every request the page makes, in order, with its answer. */

/** One request and, once it has arrived, its response. Secrets are masked before storing. */
export interface LogEntry {
  id: number;
  method: string;
  url: string;
  startedAt: Date;
  requestHeaders: Array<[string, string]>;
  requestBody?: string;
  pending: boolean;
  status?: number;
  statusText?: string;
  responseHeaders: Array<[string, string]>;
  responseBody?: string;
  durationMs?: number;
  /** A 304 whose body the page took from its own cache. */
  revalidated: boolean;
  error?: string;
}

type Listener = (entries: readonly LogEntry[]) => void;

const MAX_ENTRIES = 200;
const entries: LogEntry[] = [];
const listeners = new Set<Listener>();
let nextId = 1;

function notify(): void {
  for (const listener of listeners) listener(entries);
}

/** Records a request as it leaves. */
export function logRequest(init: Pick<LogEntry, 'method' | 'url' | 'requestHeaders' | 'requestBody'>): LogEntry {
  const entry: LogEntry = { ...init, id: nextId++, startedAt: new Date(), pending: true, responseHeaders: [], revalidated: false };
  entries.push(entry);
  if (entries.length > MAX_ENTRIES) entries.shift();
  notify();
  return entry;
}

/** Completes a logged request with its response (or its network error). */
export function completeRequest(entry: LogEntry, result: Partial<LogEntry>): void {
  Object.assign(entry, result, { pending: false });
  notify();
}

/** Calls the listener now and after every change; returns a function that unsubscribes. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  listener(entries);
  return () => listeners.delete(listener);
}

/** Empties the log. */
export function clearLog(): void {
  entries.length = 0;
  notify();
}
