/**
 * The one place that decides how BSON is read and written, so that the wire layer and the
 * journal agree on types.
 *
 * - `promoteValues: true`: int32 and double become JS numbers, which is what mingo compares
 *   and `$inc`s. The driver does the same on its side, so nothing a client can tell apart is lost.
 * - `promoteLongs: true` (the default): an int64 that fits in 53 bits becomes a number too,
 *   for the same reason; larger ones stay `Long` so their value survives. Cursor ids are
 *   always *sent* as `Long` by the command layer (the driver rejects anything else).
 * - `useBigInt64: false`: mingo cannot compare bigint with number.
 * - `promoteBuffers: false`: Binary stays `Binary`, keeping its subtype (UUIDs).
 * - `bsonRegExp: false`: regular expressions become `RegExp`, which mingo understands.
 * Dates deserialise as `Date` and ObjectIds as this package's `ObjectId` in every mode.
 *
 * Replaying stored data may instead use `promoteLongs: false` (the journal does): the catalog
 * only ever holds an int64 as a `Long` (numbers are written as int32/double), so reading every
 * stored int64 back as `Long` reproduces memory exactly.
 */
import type { DeserializeOptions, SerializeOptions } from 'bson';

/** Options for every `BSON.deserialize` of client or journal data. */
export const DESERIALIZE_OPTIONS: DeserializeOptions = Object.freeze({
  promoteValues: true,
  promoteLongs: true,
  useBigInt64: false,
  promoteBuffers: false,
  bsonRegExp: false,
});

/** Options for every `BSON.serialize` of replies and stored data. */
export const SERIALIZE_OPTIONS: SerializeOptions = Object.freeze({
  // Fields a projection or update left `undefined` are dropped, as if missing.
  ignoreUndefined: true,
  checkKeys: false,
});
