/**
 * serverStatus and setParameter, as a standalone MongoDB 7.0 answers them. serverStatus reports
 * a truthful subset (what this server actually measures): host, version, process, pid, uptime,
 * local time, connections, operation counters and memory. Its counters live per server (keyed by
 * the server's catalog), counted by the dispatcher as commands arrive, as MongoDB's opcounters.
 */
import os from 'node:os';
import type { Document } from 'bson';
import { Long } from 'bson';
import type { Catalog } from '../catalog';
import { GENERIC_ARGUMENTS } from '../collection-options';
import { CommandError } from '../errors';
import { SERVER_VERSION } from './admin';
import type { CommandHandler } from './context';

/** MongoDB's opcounters. */
interface OpCounters {
  insert: number;
  query: number;
  update: number;
  delete: number;
  getmore: number;
  command: number;
}

/** What serverStatus reports about one server. */
interface ServerCounters {
  startedAt: number;
  opcounters: OpCounters;
  /** The wire side's live numbers: open connections and the limit (server.ts registers them). */
  connections: () => { current: number; totalCreated: number; max: number };
}

const counters = new WeakMap<Catalog, ServerCounters>();

/** The counters of the server owning `catalog`, created on first use. */
function countersOf(catalog: Catalog): ServerCounters {
  let c = counters.get(catalog);
  if (!c) {
    c = { startedAt: Date.now(), opcounters: { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 }, connections: () => ({ current: 0, totalCreated: 0, max: 0 }) };
    counters.set(catalog, c);
  }
  return c;
}

/** Lets serverStatus report the wire server's connections (called once per listening server). */
export function registerConnections(catalog: Catalog, connections: ServerCounters['connections']): void {
  countersOf(catalog).connections = connections;
}

/**
 * Counts one arriving command as MongoDB's opcounters do: insert counts documents, update and
 * delete count statements, find is a query, getMore a getmore, anything else a command.
 */
export function countCommand(catalog: Catalog, name: string, cmd: Document): void {
  const ops = countersOf(catalog).opcounters;
  const many = (field: string): number => (Array.isArray(cmd[field]) ? (cmd[field] as unknown[]).length : 0);
  switch (name) {
    case 'insert':
      ops.insert += many('documents');
      break;
    case 'update':
      ops.update += many('updates');
      break;
    case 'delete':
      ops.delete += many('deletes');
      break;
    case 'find':
      ops.query++;
      break;
    case 'getmore':
      ops.getmore++;
      break;
    default:
      ops.command++;
  }
}

/** serverStatus: the subset of MongoDB's reply this server can state truthfully. */
const serverStatus: CommandHandler = (_cmd, ctx) => {
  const c = countersOf(ctx.catalog);
  const uptimeMillis = Date.now() - c.startedAt;
  const mem = process.memoryUsage();
  const conns = c.connections();
  const toLong = (n: number) => Long.fromNumber(n);
  return {
    host: os.hostname(),
    version: SERVER_VERSION,
    process: 'mongod',
    pid: toLong(process.pid),
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis: toLong(uptimeMillis),
    uptimeEstimate: toLong(Math.floor(uptimeMillis / 1000)),
    localTime: new Date(),
    connections: { current: conns.current, available: Math.max(0, conns.max - conns.current), totalCreated: conns.totalCreated },
    opcounters: Object.fromEntries(Object.entries(c.opcounters).map(([k, v]) => [k, toLong(v)])),
    // MongoDB reports resident and virtual memory in MiB.
    mem: { bits: 64, resident: Math.round(mem.rss / 1048576), virtual: Math.round((mem.rss + mem.external) / 1048576), supported: true },
  };
};

/** The parameter names a setParameter/getParameter command names (its fields but the first and the generic ones). */
function parameterNames(cmd: Document): string[] {
  return Object.keys(cmd)
    .slice(1)
    .filter((k) => !GENERIC_ARGUMENTS.has(k));
}

/**
 * setParameter: only on the admin database (Unauthorized, 13, elsewhere, as MongoDB). Only the
 * parameters the server honours exist (`ttlMonitorSleepSecs`: the TTL monitor's period); any
 * other is refused as MongoDB refuses one it does not know: InvalidOptions (72) "attempted to
 * set unrecognized parameter [x], use help:true to see options ". None at all: "no option found
 * to set". All are checked before any is set. The reply's `was` holds the previous value.
 */
const setParameter: CommandHandler = (cmd, ctx) => {
  if (ctx.db !== 'admin') throw new CommandError('Unauthorized', 'setParameter may only be run against the admin database.');
  const names = parameterNames(cmd);
  if (names.length === 0) throw new CommandError('InvalidOptions', 'no option found to set, use help:true to see options ');
  const unknown = names.find((n) => !ctx.catalog.parameters.has(n));
  if (unknown) throw new CommandError('InvalidOptions', `attempted to set unrecognized parameter [${unknown}], use help:true to see options `);
  const was = ctx.catalog.parameters.get(names[0])?.get();
  for (const name of names) ctx.catalog.parameters.get(name)?.set(cmd[name]);
  return { was };
};

/** getParameter: the named parameters' values (`'*'`: all of them), admin only as setParameter. */
const getParameter: CommandHandler = (cmd, ctx) => {
  if (ctx.db !== 'admin') throw new CommandError('Unauthorized', 'getParameter may only be run against the admin database.');
  const all = cmd.getParameter === '*';
  const names = all ? [...ctx.catalog.parameters.keys()] : parameterNames(cmd);
  const unknown = names.find((n) => !ctx.catalog.parameters.has(n));
  if (unknown || names.length === 0) throw new CommandError('InvalidOptions', 'no option found to get');
  return Object.fromEntries(names.map((n) => [n, ctx.catalog.parameters.get(n)?.get()]));
};

/** serverStatus and setParameter, keyed by lower-case name. */
export const serverStatusCommands: Record<string, CommandHandler> = {
  serverstatus: serverStatus,
  setparameter: setParameter,
  getparameter: getParameter,
};
