/**
 * Who may read `/metrics`: clients whose address (`req.ip`, so behind a trusted proxy the real
 * client's, not the proxy's loopback address) is in `TN_METRICS_ALLOW` (loopback by default), or
 * any client presenting `Authorization: Bearer <TN_METRICS_TOKEN>` when a token is configured.
 * Everyone else gets a 403 problem. Metrics name routes, commands and load: not for the public.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import type { RequestHandler } from 'express';
import { AppError } from '../utils/AppError';

/** The settings, as `config.metrics` holds them. */
export interface MetricsAccessSettings {
  /** Addresses and CIDRs, e.g. `127.0.0.0/8`, `::1`, `10.1.2.3`. */
  allow: readonly string[];
  /** A bearer token that also grants access; empty: none. */
  token: string;
}

/** A BlockList (used here as an allow list) of the given addresses and CIDRs. */
export function addressList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/** Whether the address is on the list; an IPv4-mapped IPv6 address counts as its IPv4 form. */
export function isListed(list: net.BlockList, address: string | undefined): boolean {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return list.check(mapped[1], 'ipv4');
  const family = net.isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}

/** The access check in front of `GET /metrics`. */
export function metricsAccess(settings: MetricsAccessSettings): RequestHandler {
  const list = addressList(settings.allow);
  const tokenDigest = settings.token === '' ? null : digest(settings.token);
  return (req, _res, next) => {
    if (isListed(list, req.ip)) return next();
    const bearer = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
    // Digests have one length, so the comparison takes the same time whatever was sent.
    if (tokenDigest && bearer && crypto.timingSafeEqual(digest(bearer[1]), tokenDigest)) return next();
    next(new AppError(403, 'The metrics are not available to this client.'));
  };
}
