/** What every command handler gets, and the shape of a handler. */
import type { Document } from 'bson';
import { applyMutation, type Catalog, type Collection } from '../catalog';
import type { CursorStore } from '../cursors';
import { CommandError } from '../errors';
import type { Mutation, Persistence } from '../storage/persistence';

/** Per-command state: the shared catalog plus this command's pending mutations. */
export class CommandContext {
  private readonly mutations: Mutation[] = [];

  constructor(
    readonly catalog: Catalog,
    readonly cursors: CursorStore,
    readonly persistence: Persistence,
    /** The command's database (`$db`). */
    readonly db: string,
    readonly connectionId: number,
  ) {}

  /** Applies a mutation to the catalog now and queues it for the commit `dispatch` makes after the command. */
  apply(m: Mutation): void {
    applyMutation(this.catalog, m);
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
   * Hands this command's mutations to persistence in one commit; resolves when durable. Only
   * `dispatch` calls it, once per command, before the reply is sent.
   */
  async commit(): Promise<void> {
    if (this.mutations.length === 0) return;
    const batch = this.mutations.splice(0);
    await this.persistence.commit(batch);
  }
}

/** A command implementation: returns the reply (without `ok`, which the dispatcher adds). */
export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document | Promise<Document>;

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
