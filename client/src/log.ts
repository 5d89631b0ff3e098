/** The learner panel's data: every request the page makes, in order, with its answer. */
import type { LinkRow } from './explorer-links';

/** Who sent a request: the user (through the views or the explorer) or the walkthrough. */
export type RequestSource = 'walkthrough';

/**
 * A request exactly as it went out, secrets included: what "Copy as curl" and "Edit & resend"
 * reproduce. Never shown on screen (the panel shows the masked copies); forgotten at log out.
 */
export interface SentRequest {
  /** Absolute URL. */
  url: string;
  headers: Array<[string, string]>;
  body?: string;
}

/** One request and, once it has arrived, its response. Secrets are masked before storing. */
export interface LogEntry {
  id: number;
  method: string;
  url: string;
  startedAt: Date;
  requestHeaders: Array<[string, string]>;
  requestBody?: string;
  /** Set when the walkthrough, not the user, sent this request. */
  source?: RequestSource;
  /** The unmasked request, until log out. */
  sent?: SentRequest;
  pending: boolean;
  status?: number;
  statusText?: string;
  responseHeaders: Array<[string, string]>;
  responseBody?: string;
  /** Every link the answer offered (body and `Link` header), for the links table. */
  links: LinkRow[];
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
export function logRequest(init: Pick<LogEntry, 'method' | 'url' | 'requestHeaders' | 'requestBody' | 'source' | 'sent'>): LogEntry {
  const entry: LogEntry = { ...init, id: nextId++, startedAt: new Date(), pending: true, responseHeaders: [], links: [], revalidated: false };
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

/**
 * Drops the unmasked copies of every logged request (at log out): tokens and passwords stay
 * in memory no longer than the session, as the page's ETag cache does not either.
 */
export function forgetSentRequests(): void {
  for (const entry of entries) delete entry.sent;
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
