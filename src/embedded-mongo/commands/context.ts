/** What every command handler gets, the shape of a handler, and how a command is run and committed. */
import type { Document } from 'bson';
import { applyMutation, applyWithUndo, type Catalog, type Collection } from '../catalog';
import type { CursorStore } from '../cursors';
import { CommandError, errorReply } from '../errors';
import { startCommandClock } from '../command-clock';
import type { Mutation, Persistence } from '../storage/persistence';
import type { ChangeOwner, Scope } from '../uncommitted';

/** Per-command state: the shared catalog plus this command's pending mutations. */
export class CommandContext implements ChangeOwner {
  private readonly mutations: Mutation[] = [];
  /** Whether this command's changes need undo records (the persistence can fail). */
  private readonly tracked: boolean;
  /** The newest not-yet-durable change the command could see when it started (0: none). */
  private sawUpTo = 0;
  private epochAtStart = 0;
  rolledBack: Error | undefined;
  /** The command's `bypassDocumentValidation: true`: writes skip the collection's validator. */
  bypassDocumentValidation = false;

  constructor(
    readonly catalog: Catalog,
    readonly cursors: CursorStore,
    readonly persistence: Persistence,
    /** The command's database (`$db`). */
    readonly db: string,
    readonly connectionId: number,
    /** The authenticated user running the command; undefined without authentication. */
    readonly user?: string,
  ) {
    this.tracked = persistence.infallible !== true;
  }

  /** Whether any not-yet-durable change exists that the command could see (never with `:memory:`). */
  get seesUncommitted(): boolean {
    return this.tracked && this.catalog.uncommitted.pending;
  }

  /** Notes, right before the handler runs, what not-yet-durable state a read of `scope` can see. */
  begin(scope: Scope): void {
    this.sawUpTo = this.catalog.uncommitted.newestIn(scope);
    this.epochAtStart = this.catalog.uncommitted.epoch;
  }

  /**
   * Applies a mutation to the catalog now and queues it for the commit made right after the
   * command. While the persistence refuses writes nothing is applied: the command fails at once.
   */
  apply(m: Mutation): void {
    if (!this.tracked) {
      applyMutation(this.catalog, m);
      this.mutations.push(m);
      return;
    }
    if (this.rolledBack) throw storageError(this.rolledBack);
    const health = this.persistence.health?.();
    if (health && !health.writable) throw storageError(Object.assign(new Error(health.lastError ?? 'storage unavailable'), { errno: health.errorCode }));
    const undo = applyWithUndo(this.catalog, m);
    this.catalog.uncommitted.record(this, undo, m.db, m.op === 'dropDatabase' ? undefined : m.coll);
    this.mutations.push(m);
  }

  /** The collection, creating it (and recording that) when it does not exist yet. */
  ensureCollection(name: string): Collection {
    const existing = this.catalog.get(this.db, name);
    if (existing) return existing;
    this.apply({ op: 'createCollection', db: this.db, coll: name });
    return this.catalog.ensure(this.db, name);
  }

  /**
   * Ends the command: hands its mutations to the persistence in one commit and resolves once
   * they are durable, or, when it changed nothing, waits until whatever not-yet-durable state
   * it may have read is durable. Rejects with a storage error (and rolls everything from this
   * command's first change on back) when the commit fails. Resolves `'rerun'` when a read may
   * have seen changes that have been rolled back since: its reply must not be sent.
   *
   * Called by `runCommand` synchronously after the handler returns, so commits are made in the
   * order the commands changed the catalog (what the rollback relies on).
   */
  finish(): Promise<'done' | 'rerun'> {
    if (this.mutations.length === 0) {
      if (this.sawUpTo === 0) return Promise.resolve('done');
      return this.catalog.uncommitted.barrier(this.sawUpTo).then(() => (this.catalog.uncommitted.epoch === this.epochAtStart ? 'done' : 'rerun'));
    }
    const batch = this.mutations.splice(0);
    if (!this.tracked) return this.persistence.commit(batch).then(() => 'done');
    if (this.rolledBack) return Promise.reject(storageError(this.rolledBack));
    return this.persistence.commit(batch).then(
      () => {
        this.catalog.uncommitted.settle(this);
        return 'done' as const;
      },
      (err: unknown) => {
        const cause = err instanceof Error ? err : new Error(String(err));
        this.catalog.uncommitted.rollback(this, cause);
        throw storageError(this.rolledBack ?? cause);
      },
    );
  }
}

/** A command implementation: returns the reply (without `ok`, which the dispatcher adds). */
export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document | Promise<Document>;

/** Commands whose replies never depend on stored data, so they need not wait for durability. */
const STATELESS = new Set(['hello', 'ismaster', 'ping', 'buildinfo', 'endsessions', 'getparameter', 'whatsmyuri', 'getlog', 'getmore', 'killcursors']);
/** Commands that read one collection, named by their first field. */
const ONE_COLLECTION = new Set(['find', 'count', 'distinct', 'listindexes', 'insert', 'update', 'delete', 'findandmodify', 'create', 'collmod', 'drop', 'createindexes', 'dropindexes']);
/** Aggregation stages that read other collections. */
const CROSS_COLLECTION = /"\$(lookup|unionWith|graphLookup)"/;

/** What stored data a command's reply can depend on (see CommandContext.begin). */
function scopeOf(name: string, cmd: Document, db: string): Scope | undefined {
  if (STATELESS.has(name)) return undefined;
  const first: unknown = cmd[Object.keys(cmd)[0]];
  if (ONE_COLLECTION.has(name) && typeof first === 'string') return { db, coll: first };
  if (name === 'aggregate' && typeof first === 'string') return CROSS_COLLECTION.test(JSON.stringify(cmd.pipeline ?? [])) ? { db } : { db, coll: first };
  if (name === 'explain' && typeof first === 'object' && first !== null) return scopeOf(Object.keys(first)[0]?.toLowerCase() ?? '', first as Document, db) ?? { db };
  if (name === 'dropdatabase') return { db };
  return 'all';
}

/** Commands that may change stored data: they ask a persistence that refuses writes to recover first. */
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findandmodify', 'create', 'collmod', 'drop', 'dropdatabase', 'createindexes', 'dropindexes']);
/** Whether a command may change stored data: a write command, or an aggregate ending in `$out`/`$merge`. */
function mayWrite(name: string, cmd: Document): boolean {
  if (WRITE_COMMANDS.has(name)) return true;
  if (name !== 'aggregate' || !Array.isArray(cmd.pipeline)) return false;
  const last: unknown = cmd.pipeline[cmd.pipeline.length - 1];
  return typeof last === 'object' && last !== null && ('$out' in last || '$merge' in last);
}

/** A read that keeps meeting rollbacks gives up after this many runs. */
const MAX_RUNS = 5;

/**
 * Runs one command to its reply: the handler, then its commit (or, for a read, the wait until
 * what it saw is durable), again when a read saw a change that was rolled back meanwhile.
 * `name` is the lower-case command name. Never throws.
 */
export async function runCommand(name: string, handler: CommandHandler, cmd: Document, persistence: Persistence, makeContext: () => CommandContext): Promise<Document> {
  // Give a persistence that refuses writes the chance to recover before a write runs.
  if (persistence.health && mayWrite(name, cmd) && !persistence.health().writable) await persistence.recover?.();
  for (let run = 1; ; run++) {
    const ctx = makeContext();
    if (cmd.bypassDocumentValidation === true) ctx.bypassDocumentValidation = true;
    let reply: Document;
    let finished: Promise<'done' | 'rerun'>;
    try {
      if (ctx.seesUncommitted) {
        const scope = scopeOf(name, cmd, ctx.db);
        if (scope) ctx.begin(scope);
      }
      // $$NOW is one value per command (command-clock.ts).
      startCommandClock();
      const out = handler(cmd, ctx);
      // A synchronous handler is committed without yielding in between (see finish()).
      reply = { ...(out instanceof Promise ? await out : out), ok: 1 };
    } catch (err) {
      // Whatever the command changed before failing is in memory; it is committed like the rest.
      reply = errorReply(err);
    }
    try {
      finished = ctx.finish();
    } catch (err) {
      return errorReply(err);
    }
    try {
      if ((await finished) === 'done') return reply;
    } catch (err) {
      return errorReply(err);
    }
    killCursor(ctx, reply);
    if (run >= MAX_RUNS) return errorReply(storageError(new Error(`the data this ${name} read was rolled back ${run} times while it waited; try again`)));
  }
}

/** A reply that is discarded must not leave its cursor open. */
function killCursor(ctx: CommandContext, reply: Document): void {
  const cursor: unknown = reply.cursor;
  if (typeof cursor === 'object' && cursor !== null && 'id' in cursor) ctx.cursors.kill((cursor as { id: unknown }).id);
}

/**
 * The error a command gets when its changes could not be made durable, in MongoDB's terms:
 * OutOfDiskSpace (14031) when the disk is full, otherwise WriteConcernFailed (64). Nothing of
 * the command was kept; it may succeed once the storage has recovered.
 */
export function storageError(cause: Error): CommandError {
  if (cause instanceof CommandError) return cause;
  const errno = errnoOf(cause);
  const detail = `the write was not made durable and has been rolled back: ${cause.message}`;
  const errInfo = { rolledBack: true, errno };
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return new CommandError('OutOfDiskSpace', detail, { errInfo });
  return new CommandError('WriteConcernFailed', detail, { errInfo: { ...errInfo, writeConcern: { w: 1, j: true } } });
}

/** The errno code (`ENOSPC`...) in an error or its causes. */
function errnoOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { errno?: unknown; code?: unknown };
    if (typeof x.errno === 'string') return x.errno;
    if (typeof x.code === 'string') return x.code;
  }
  return undefined;
}

/** The collection name a command names in its first field, validated. */
export function collectionName(cmd: Document, field: string): string {
  const name: unknown = cmd[field];
  if (typeof name !== 'string' || name === '' || name.includes('\0') || name.startsWith('$')) {
    throw new CommandError('InvalidNamespace', `Invalid namespace specified '${String(name)}'`);
  }
  return name;
}

/** A non-negative integer option, or undefined when absent. */
export function intOption(cmd: Document, field: string): number | undefined {
  const v: unknown = cmd[field];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(String(v));
  if (!Number.isFinite(n)) throw new CommandError('TypeMismatch', `'${field}' must be a number`);
  return Math.trunc(n);
}

/** An object option, `{}` when absent. */
export function docOption(cmd: Document, field: string): Document {
  const v: unknown = cmd[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new CommandError('TypeMismatch', `'${field}' must be an object`);
  return v as Document;
}
