/**
 * MongoDB's `failCommand` fail point, the test command drivers' own test suites (MongoDB's
 * unified-format specification tests among them) use to make the server fail a command: with an
 * error code, by closing the connection, after a delay, or with a write concern error after the
 * command ran. Like MongoDB, where it exists only with `enableTestCommands`, it is there only when
 * the embedded server is started with `testCommands: true`; otherwise `configureFailPoint` is
 * CommandNotFound. Only `failCommand` exists: any other fail point name is refused.
 */
import type { Document } from 'bson';
import { CommandError } from './errors';
import { isPlainObject } from './values';

/** What a matching command meets instead of (or besides) running normally. */
export interface FailAction {
  /** Close the connection without a reply. */
  closeConnection: boolean;
  /** Wait this long first (`blockConnection` with `blockTimeMS`). */
  blockMs: number;
  /** Answer this error instead of running the command. */
  errorReply?: Document;
  /** Run the command, then add this `writeConcernError` to its reply. */
  writeConcernError?: Document;
}

/** How often the fail point fires: always, the next `times` matches, or after `skip` matches. */
type Mode = { kind: 'off' } | { kind: 'alwaysOn' } | { kind: 'times'; left: number } | { kind: 'skip'; left: number };

/** The longest `blockTimeMS` accepted: a fail point must not hold a connection for long. */
const MAX_BLOCK_MS = 60_000;

/** The `failCommand` fail point of one server. */
export class FailPoints {
  private mode: Mode = { kind: 'off' };
  private data: Document = {};
  private commands = new Set<string>();

  /** Runs `configureFailPoint`; the reply's `count` is how many times the previous setting fired. */
  configure(cmd: Document): Document {
    const name: unknown = cmd.configureFailPoint;
    if (name !== 'failCommand') throw new CommandError('BadValue', `unknown fail point: ${String(name)}`);
    const mode = parseMode(cmd.mode);
    const data: unknown = cmd.data ?? {};
    if (!isPlainObject(data)) throw new CommandError('TypeMismatch', "'data' must be an object");
    const failCommands: unknown = data.failCommands;
    if (mode.kind !== 'off' && (!Array.isArray(failCommands) || !failCommands.every((c) => typeof c === 'string'))) {
      throw new CommandError('BadValue', 'failCommand fail point needs data.failCommands, an array of command names');
    }
    this.mode = mode;
    this.data = data;
    this.commands = new Set(Array.isArray(failCommands) ? (failCommands as string[]) : []);
    return { count: 0 };
  }

  /** What to do with `command` (named by its first key), or undefined to run it normally. */
  take(command: Document): FailAction | undefined {
    if (this.mode.kind === 'off') return undefined;
    const name = Object.keys(command)[0] ?? '';
    if (!this.commands.has(name) || name === 'configureFailPoint') return undefined;
    if (!this.fires()) return undefined;
    return this.action();
  }

  /** Counts one match against the mode; whether the fail point fires for it. */
  private fires(): boolean {
    const mode = this.mode;
    if (mode.kind === 'skip') {
      if (mode.left > 0) {
        mode.left--;
        return false;
      }
      return true;
    }
    if (mode.kind === 'times') {
      mode.left--;
      if (mode.left <= 0) this.mode = { kind: 'off' };
    }
    return true;
  }

  private action(): FailAction {
    const d = this.data;
    const blockMs = d.blockConnection === true ? Math.min(MAX_BLOCK_MS, Math.max(0, Number(d.blockTimeMS) || 0)) : 0;
    const action: FailAction = { closeConnection: d.closeConnection === true, blockMs };
    if (typeof d.errorCode === 'number') {
      action.errorReply = { ok: 0, code: d.errorCode, errmsg: "Failing command via 'failCommand' failpoint" };
      if (Array.isArray(d.errorLabels)) action.errorReply.errorLabels = d.errorLabels;
    }
    if (isPlainObject(d.writeConcernError)) action.writeConcernError = d.writeConcernError;
    return action;
  }
}

function parseMode(mode: unknown): Mode {
  if (mode === 'off') return { kind: 'off' };
  if (mode === 'alwaysOn') return { kind: 'alwaysOn' };
  if (isPlainObject(mode)) {
    if (typeof mode.times === 'number' && mode.times >= 0) return mode.times === 0 ? { kind: 'off' } : { kind: 'times', left: mode.times };
    if (typeof mode.skip === 'number' && mode.skip >= 0) return { kind: 'skip', left: mode.skip };
  }
  throw new CommandError('BadValue', "'mode' must be 'off', 'alwaysOn', {times: n} or {skip: n}");
}
