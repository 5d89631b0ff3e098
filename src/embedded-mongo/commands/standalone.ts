/**
 * What a standalone MongoDB refuses before any command runs: transactions. A standalone has no
 * oplog, so MongoDB 7.0 answers any command carrying `txnNumber` (the driver adds it, with
 * `startTransaction` and `autocommit: false`, to every command of a transaction) with
 * IllegalOperation (20) "Transaction numbers are only allowed on a replica set member or mongos",
 * and nothing of the command is applied. The hello reply names no replica set (no `setName`), so
 * the driver never sends `txnNumber` for retryable writes: only real transactions meet this.
 */
import type { Document } from 'bson';
import { CommandError } from '../errors';

/** MongoDB's message for a transaction on a standalone. */
const TXN_ON_STANDALONE = 'Transaction numbers are only allowed on a replica set member or mongos';

/** Commands that only make sense inside a transaction. */
const TRANSACTION_COMMANDS = new Set(['committransaction', 'aborttransaction']);

/**
 * The error for a command a standalone refuses as a whole (undefined for any other): one that is
 * part of a transaction, or a transaction's commit or abort. `name` is the lower-case command name.
 * Checked before the handler runs, so nothing is written.
 */
export function standaloneRefusal(name: string, cmd: Document): CommandError | undefined {
  if (cmd.txnNumber === undefined && cmd.startTransaction === undefined && cmd.autocommit === undefined && !TRANSACTION_COMMANDS.has(name)) return undefined;
  return new CommandError('IllegalOperation', TXN_ON_STANDALONE);
}
