/**
 * The local part of MongoDB's logical session cache, which `$listLocalSessions` reads
 * (logical_session_cache_impl.cpp): every command carrying an `lsid` marks its session used
 * (the command itself included); every 5 minutes (`logicalSessionRefreshMillis`) MongoDB hands
 * the cached sessions to `config.system.sessions` and starts over with an empty cache, so the
 * stage lists the sessions used since the last refresh. `endSessions` does not remove a session
 * before that refresh either. The cache here is bounded: the 10,000 most recently used sessions.
 */
import crypto from 'node:crypto';
import { Binary, type Document } from 'bson';
import type { Catalog } from './catalog';
import { CommandError } from './errors';
import { isPlainObject } from './values';

/** MongoDB's `logicalSessionRefreshMillis` default. */
const REFRESH_MS = 5 * 60_000;
/** At most this many sessions are kept (MongoDB's `maxSessions` is 1,000,000). */
const MAX_SESSIONS = 10_000;

interface SessionRecord {
  id: Binary;
  uid: Binary;
  /** Milliseconds since the epoch. */
  lastUse: number;
  /** The authenticated user's display name (`user@db`); absent without authentication. */
  user?: string;
}

/** The sessions of one server, cleared at each refresh. */
class LocalSessions {
  private readonly records = new Map<string, SessionRecord>();
  private refreshedAt = Date.now();

  /** Marks the session `id` used now by `user`. */
  use(id: Binary, user: string | undefined, now: number): void {
    this.refresh(now);
    const key = id.toString('hex');
    const known = this.records.get(key);
    // Most recently used last, so that the oldest goes first when the cache is full.
    this.records.delete(key);
    if (known && known.user === (user === undefined ? undefined : `${user}@admin`)) {
      known.lastUse = now;
      this.records.set(key, known);
      return;
    }
    if (this.records.size >= MAX_SESSIONS) this.records.delete(this.records.keys().next().value as string);
    // A copy: the id may be a view into the whole incoming message.
    const own = new Binary(Buffer.from(id.buffer), id.sub_type);
    this.records.set(key, { id: own, uid: userDigest(user), lastUse: now, ...(user === undefined ? {} : { user: `${user}@admin` }) });
  }

  /** The records whose uid is one of `uids` (all with undefined), as `$listLocalSessions` returns them. */
  list(uids: Set<string> | undefined, now: number): Document[] {
    this.refresh(now);
    const out: Document[] = [];
    for (const r of this.records.values()) {
      if (uids && !uids.has(r.uid.toString('hex'))) continue;
      out.push({ _id: { id: r.id, uid: r.uid }, lastUse: new Date(r.lastUse), ...(r.user === undefined ? {} : { user: { name: r.user } }) });
    }
    return out;
  }

  /** MongoDB's periodic refresh, applied lazily: a cache older than one period starts over. */
  private refresh(now: number): void {
    if (now - this.refreshedAt < REFRESH_MS) return;
    this.records.clear();
    this.refreshedAt = now - ((now - this.refreshedAt) % REFRESH_MS);
  }
}

const caches = new WeakMap<Catalog, LocalSessions>();

function cacheOf(catalog: Catalog): LocalSessions {
  let cache = caches.get(catalog);
  if (!cache) caches.set(catalog, (cache = new LocalSessions()));
  return cache;
}

/**
 * MongoDB's uid of a session (getLogicalSessionUserDigestFor): SHA-256 of `db.user` for an
 * authenticated user (the one user here is defined in `admin`), of the empty string without
 * authentication.
 */
function userDigest(user: string | undefined, db = 'admin'): Binary {
  const name = user === undefined || (user === '' && db === '') ? '' : `${db}.${user}`;
  let digest = digests.get(name);
  if (!digest) {
    digest = new Binary(crypto.createHash('sha256').update(name).digest(), 0);
    // Only names met in commands (one user) or in a $listLocalSessions spec are hashed: bounded anyway.
    if (digests.size >= 64) digests.clear();
    digests.set(name, digest);
  }
  return digest;
}

/** Digests already computed, by unambiguous user name (each command of a session needs its uid). */
const digests = new Map<string, Binary>();

/** Notes the command's `lsid` (a `{id: UUID}` document), if it has one, as used by `user`. */
export function noteSession(catalog: Catalog, lsid: unknown, user: string | undefined): void {
  if (!isPlainObject(lsid) || !(lsid.id instanceof Binary) || lsid.id.sub_type !== Binary.SUBTYPE_UUID) return;
  cacheOf(catalog).use(lsid.id, user, Date.now());
}

/**
 * The documents `$listLocalSessions: spec` starts a pipeline with, for a command run by `user`:
 * `{}` lists the caller's own sessions, `{allUsers: true}` everyone's, `{users: [{user, db}]}`
 * those of the users named. The spec is checked as MongoDB's ListSessionsSpec parser does.
 */
export function listLocalSessions(catalog: Catalog, spec: unknown, user: string | undefined): Document[] {
  if (!isPlainObject(spec)) throw new CommandError('TypeMismatch', `$listLocalSessions options must be specified in an object, but found: ${Array.isArray(spec) ? 'array' : typeof spec}`);
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'allUsers' && typeof v !== 'boolean') throw wrongType(`$listLocalSessions.allUsers`, 'bool');
    else if (k === 'users' && !Array.isArray(v)) throw wrongType(`$listLocalSessions.users`, 'array');
    else if (k === '$_internalPredicate' && !isPlainObject(v)) throw wrongType(`$listLocalSessions.$_internalPredicate`, 'object');
    else if (!['allUsers', 'users', '$_internalPredicate'].includes(k)) throw new CommandError('Location40415', `BSON field '$listLocalSessions.${k}' is an unknown field.`);
  }
  const users = ((spec.users as unknown[] | undefined) ?? []).map(listedUser);
  if (spec.allUsers === true && users.length > 0) throw new CommandError('UnsupportedFormat', '$listLocalSessions may not specify {allUsers:true} and {users:[...]} at the same time');
  if (spec.allUsers === true) return cacheOf(catalog).list(undefined, Date.now());
  // No users named: the caller's own sessions.
  const digests = users.length > 0 ? users.map((u) => userDigest(u.user, u.db)) : [userDigest(user)];
  return cacheOf(catalog).list(new Set(digests.map((d) => d.toString('hex'))), Date.now());
}

/** One `{user, db}` of `users`. */
function listedUser(v: unknown): { user: string; db: string } {
  if (!isPlainObject(v)) throw wrongType('$listLocalSessions.users', 'object');
  for (const field of ['user', 'db']) {
    if (v[field] === undefined) throw new CommandError('Location40414', `BSON field '$listLocalSessions.users.${field}' is missing but a required field`);
    if (typeof v[field] !== 'string') throw wrongType(`$listLocalSessions.users.${field}`, 'string');
  }
  const unknown = Object.keys(v).find((k) => k !== 'user' && k !== 'db');
  if (unknown !== undefined) throw new CommandError('Location40415', `BSON field '$listLocalSessions.users.${unknown}' is an unknown field.`);
  return { user: v.user as string, db: v.db as string };
}

function wrongType(field: string, expected: string): CommandError {
  return new CommandError('TypeMismatch', `BSON field '${field}' is the wrong type, expected type '${expected}'`);
}
