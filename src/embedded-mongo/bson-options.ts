/**
 * The one place that decides how BSON is read and written, so that the wire layer and the
 * journal agree on types.
 *
 * Numeric types round-trip exactly (MongoDB keeps int32, int64, double and decimal128 apart):
 * - Decoding promotes nothing (`promoteValues: false`, `promoteLongs: false`); one walk over
 *   the decoded message (bson-numbers.ts) then turns int32 and every double a JS number would
 *   serialise back as double (fractions, -0, NaN, ±Infinity, integers beyond int32) into plain
 *   numbers, and keeps as `bson` wrappers only what a number would lose: int64 as `Long`,
 *   an integral double in the int32 range (`Double(2)`) as `Double`, and `Decimal128`. This holds
 *   for stored data (insert documents, update documents, filters); the command's own arguments
 *   (limits, batch sizes, cursor ids) are promoted to numbers as the driver would, so the command
 *   layer reads plain numbers. The journal and snapshots decode the same way.
 * - Why not wrappers everywhere: the Node driver sends every JS number as int32 or double, so
 *   the app's documents hold only numbers, and the fast paths (filter.ts, update.ts, sorting,
 *   index keys) and mingo keep working on plain numbers at their old speed. The wrappers are
 *   taught where values are compared: `compareValues` (bson-order.ts) and `keyOf` (values.ts)
 *   treat every numeric type by value (2 == Long(2) == Double(2) == Decimal128('2'), also as
 *   index keys, so a unique index sees them as duplicates), and mingo's comparison query operators
 *   are replaced by BSON-aware ones (mingo-bson.ts) that also implement `$type` per BSON type.
 *   `$inc` and `$mul` follow MongoDB's type rules (update-numbers.ts).
 * - `useBigInt64: false`: mingo cannot compare bigint with number.
 * - `promoteBuffers: false`: Binary stays `Binary`, keeping its subtype (UUIDs).
 * - `bsonRegExp: false`: regular expressions become `RegExp`, which mingo understands.
 * Dates deserialise as `Date` and ObjectIds as this package's `ObjectId` in every mode.
 */
import type { DeserializeOptions, SerializeOptions } from 'bson';

/** Options for every `BSON.deserialize` of client or journal data (followed by the bson-numbers.ts walk). */
export const DESERIALIZE_OPTIONS: DeserializeOptions = Object.freeze({
  promoteValues: false,
  promoteLongs: false,
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
