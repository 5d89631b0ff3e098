/** Errors that become `{ ok: 0, code, codeName, errmsg }` replies. */
import type { Document } from 'bson';
import { mongoErrorOf } from './input-errors';

/** MongoDB error codes used by this server, with their code names. */
export const Codes = {
  BadValue: 2,
  NoSuchKey: 4,
  Unauthorized: 13,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 238,
  // Index options and index-only query operators (index-options.ts, query-guards.ts).
  AmbiguousIndexKeyPattern: 181,
  InvalidIndexSpecificationOption: 197,
  QueryFeatureNotAllowed: 224,
  NoQueryExecutionPlans: 291,
  // Input errors (input-errors.ts), aggregation output, validators (collection-options.ts).
  InvalidPipelineOperator: 168,
  Location40601: 40601,
  Location16990: 16990,
  Location16410: 16410,
  Location15952: 15952,
  DocumentValidationFailure: 121,
  DuplicateKey: 11000,
  // Query modifiers: collation, let, hint (collation.ts, query-options.ts).
  IncompatibleCollationVersion: 161,
  Location16866: 16866,
  Location16867: 16867,
  Location16868: 16868,
  Location17276: 17276,
  Location40414: 40414,
  Location40415: 40415,
  // Storage limits and failures (commands/writes.ts, commands/context.ts).
  Overflow: 15,
  WriteConcernFailed: 64,
  BSONObjectTooLarge: 10334,
  OutOfDiskSpace: 14031,
  Location17419: 17419,
  Location17420: 17420,
  // Capped collections: an IDL range validator (capped.ts).
  Location51024: 51024,
  Location17152: 17152,
  // Update parsing and application (update-check.ts, update-pipeline.ts).
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  DollarPrefixedFieldName: 52,
  EmptyFieldName: 56,
  Location40323: 40323,
  Location40324: 40324,
  // $merge (commands/aggregate-merge.ts) and $listLocalSessions (local-sessions.ts).
  MergeStageNoMatchingDocument: 13113,
  UnsupportedFormat: 140,
  Location5786800: 5786800,
  Location5786801: 5786801,
  Location31319: 31319,
  Location31320: 31320,
  Location31465: 31465,
  Location40602: 40602,
  Location51132: 51132,
  Location51134: 51134,
  Location51178: 51178,
  Location51181: 51181,
  Location51183: 51183,
  Location51185: 51185,
  Location51186: 51186,
  Location51187: 51187,
  Location51191: 51191,
  Location51199: 51199,
  Location51273: 51273,
  // Server-side JavaScript refused (input-errors.ts javascriptDisabled, collection-options.ts).
  Location6108304: 6108304,
  Location31264: 31264,
  Location4660800: 4660800,
  Location51144: 51144,
  InternalError: 1,
} as const;

/** The name of one of {@link Codes}. */
export type CodeName = keyof typeof Codes;

/** A command failure with a MongoDB code; `extra` fields are copied into the reply. */
export class CommandError extends Error {
  readonly code: number;
  constructor(
    readonly codeName: CodeName,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
    this.code = Codes[codeName];
  }
}

/** Turns anything thrown inside a command into the fields of an error reply. */
export function errorFields(err: unknown): Document {
  if (err instanceof CommandError) {
    return { errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra };
  }
  // A mingo rejection of the input gets MongoDB's code for it (input-errors.ts).
  const known = mongoErrorOf(err);
  if (known) return errorFields(known);
  // Anything else is a bug or a mingo rejection not translated yet: report it as a generic
  // failure, like MongoDB's "Location" errors, instead of crashing.
  const message = err instanceof Error ? err.message : String(err);
  return { errmsg: message, code: 1, codeName: 'InternalError' };
}

/** The `{ ok: 0, ... }` reply for an error. */
export function errorReply(err: unknown): Document {
  return { ok: 0, ...errorFields(err) };
}

/** MongoDB's ImmutableField (66) for an update that would change `_id`. */
export function immutableId(): CommandError {
  return new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
}
