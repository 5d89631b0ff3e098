/**
 * With TN_WORKERS=N and no MONGODB_URI, the cluster primary runs the embedded server once and
 * its API processes connect to it. This is their link over the cluster's IPC channel: an API
 * process asks for the address at start-up (nothing secret travels: the credentials of a TCP
 * listener are in every process's own configuration), receives every change of the storage's
 * health, and asks for the journal counters when /metrics is scraped. So /ready and /metrics
 * report the one database the same way in every process.
 */
import cluster, { type Worker } from 'node:cluster';
import type { PersistenceHealth, StorageStats } from '../embedded-mongo';
import { STATS_TIMEOUT_MS, type EmbeddedDb } from './embedded';

/** How long an API process waits for the primary's answer at start-up. */
export const ATTACH_TIMEOUT_MS = 10_000;

/** The link's messages; the `tn` tag keeps them apart from anything else on the channel. */
type LinkMessage =
  | { tn: 'db.attach' }
  | { tn: 'db.attached'; uri: string; port: number; socketPath: string | undefined; health: PersistenceHealth; primaryPid: number }
  | { tn: 'db.health'; health: PersistenceHealth }
  | { tn: 'db.statsRequest'; id: number }
  | { tn: 'db.stats'; id: number; stats: StorageStats | null };

function isLinkMessage(message: unknown): message is LinkMessage {
  return typeof message === 'object' && message !== null && typeof (message as { tn?: unknown }).tn === 'string';
}

/** In the primary: answers the API processes' requests about `embedded` and tells them every health change. */
export function shareWithWorkers(embedded: EmbeddedDb): void {
  const sendTo = (worker: Worker, message: LinkMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  cluster.on('message', (worker, message: unknown) => {
    if (!isLinkMessage(message)) return;
    if (message.tn === 'db.attach') {
      const { uri, port, socketPath } = embedded;
      sendTo(worker, { tn: 'db.attached', uri, port, socketPath, health: embedded.health(), primaryPid: process.pid });
    } else if (message.tn === 'db.statsRequest') {
      void embedded.storageStats().then((stats) => sendTo(worker, { tn: 'db.stats', id: message.id, stats }));
    }
  });
  embedded.onHealthChange((health) => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) sendTo(worker, { tn: 'db.health', health });
  });
}

/** In an API process of the cluster: the primary's embedded server, as an EmbeddedDb that this process does not own. */
export function attachToPrimary(): Promise<EmbeddedDb & { primaryPid: number }> {
  const send = process.send?.bind(process);
  if (!send || !cluster.isWorker) return Promise.reject(new Error('attachToPrimary() runs only in an API process started by the cluster primary'));
  const toPrimary = (message: LinkMessage) => send(message);
  let health: PersistenceHealth = { writable: false, lastError: 'not attached yet' };
  let lastStats: StorageStats | null = null;
  const listeners: ((health: PersistenceHealth) => void)[] = [];
  const pendingStats = new Map<number, (stats: StorageStats | null) => void>();
  let nextId = 1;
  let inFlightStats: Promise<StorageStats | null> | null = null;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error(`the cluster primary did not give the database's address within ${ATTACH_TIMEOUT_MS} ms`));
    }, ATTACH_TIMEOUT_MS);
    function onMessage(message: unknown): void {
      if (!isLinkMessage(message)) return;
      if (message.tn === 'db.attached') {
        clearTimeout(timer);
        health = message.health;
        resolve({
          uri: message.uri,
          port: message.port,
          socketPath: message.socketPath,
          runsIn: 'primary',
          primaryPid: message.primaryPid,
          health: () => health,
          storageStats,
          onHealthChange: (listener) => listeners.push(listener),
          // The primary owns the server and closes it after every API process has stopped.
          close: () => Promise.resolve(),
        });
      } else if (message.tn === 'db.health') {
        health = message.health;
        for (const listener of listeners) listener(health);
      } else if (message.tn === 'db.stats') {
        pendingStats.get(message.id)?.(message.stats);
        pendingStats.delete(message.id);
      }
    }
    function storageStats(): Promise<StorageStats | null> {
      inFlightStats ??= new Promise<StorageStats | null>((resolveStats) => {
        const id = nextId++;
        const statsTimer = setTimeout(() => {
          pendingStats.delete(id);
          resolveStats(lastStats);
        }, STATS_TIMEOUT_MS);
        statsTimer.unref();
        pendingStats.set(id, (stats) => {
          clearTimeout(statsTimer);
          lastStats = stats;
          resolveStats(stats);
        });
        if (!process.connected) return;
        toPrimary({ tn: 'db.statsRequest', id });
      }).finally(() => {
        inFlightStats = null;
      });
      return inFlightStats;
    }
    process.on('message', onMessage);
    toPrimary({ tn: 'db.attach' });
  });
}
