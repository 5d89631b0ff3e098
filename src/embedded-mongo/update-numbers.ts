/**
 * `$inc` and `$mul` with MongoDB's numeric type rules (its SafeNum arithmetic), for the values
 * bson-numbers.ts keeps as wrappers and for the plain-number results a JS sum would type wrongly:
 * - int ⊕ int → int, or long when the result leaves the int32 range;
 * - long ⊕ int/long → long; past the int64 range the update fails (BadValue), as MongoDB's does;
 * - any decimal operand → decimal (a double converted with 15 significant digits, as MongoDB);
 * - otherwise a double operand → double (`2.5 + 0.5` stays the double 3, not the int 3);
 * - a missing field: `$inc` stores the increment as given, `$mul` stores zero of the
 *   multiplier's type.
 * Values are returned in the in-memory form of bson-numbers.ts (numbers where exact, else wrappers).
 */
import { Decimal128, Double, Long } from 'bson';
import { isInt32Number } from './bson-numbers';
import { CommandError } from './errors';
import { formatValue } from './values';

type Kind = 'int' | 'long' | 'double' | 'decimal';

interface Tagged {
  _bsontype?: string;
}

/** The BSON numeric type of an in-memory value, or undefined for a non-number. */
function numericKind(v: unknown): Kind | undefined {
  if (typeof v === 'number') return isInt32Number(v) ? 'int' : 'double';
  switch ((v as Tagged | null | undefined)?._bsontype) {
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    default:
      return undefined;
  }
}

/** A double in its in-memory form: a `Double` when a number would serialise as int32. */
function storedDouble(n: number): number | Double {
  return isInt32Number(n) ? new Double(n) : n;
}

/**
 * `current + amount` for two plain numbers (the direct `$inc` path): the JS sum, typed as
 * MongoDB types it. `current` undefined means a missing field.
 */
export function addNumbers(current: number | undefined, amount: number): number | Double | Long {
  const next = (current ?? 0) + amount;
  const ints = isInt32Number(amount) && (current === undefined || isInt32Number(current));
  // The sum of two int32 values is exact in a double.
  if (ints) return isInt32Number(next) ? next : Long.fromNumber(next);
  return storedDouble(next);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function integerOf(v: unknown): bigint {
  return typeof v === 'number' ? BigInt(v) : BigInt(String(v));
}

/** A decimal's parts: `coeff × 10^exp` (special values via their number). */
interface DecimalParts {
  coeff: bigint;
  exp: number;
}

function partsOf(v: unknown, kind: Kind): DecimalParts | number {
  // MongoDB converts a double to decimal with 15 significant digits.
  const s = kind === 'decimal' ? String(v) : kind === 'double' ? Number(String(v)).toPrecision(15) : integerOf(v).toString();
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i.exec(s);
  if (!m) return Number(s);
  const [, sign, whole, frac = '', exp = '0'] = m;
  const coeff = BigInt(whole + frac);
  return { coeff: sign ? -coeff : coeff, exp: Number(exp) - frac.length };
}

function decimalArith(op: '$inc' | '$mul', a: unknown, ka: Kind, b: unknown, kb: Kind): Decimal128 {
  const pa = partsOf(a, ka);
  const pb = partsOf(b, kb);
  if (typeof pa === 'number' || typeof pb === 'number') {
    const na = typeof pa === 'number' ? pa : Number(String(a));
    const nb = typeof pb === 'number' ? pb : Number(String(b));
    return Decimal128.fromString(String(op === '$inc' ? na + nb : na * nb));
  }
  let coeff: bigint;
  let exp: number;
  if (op === '$mul') {
    coeff = pa.coeff * pb.coeff;
    exp = pa.exp + pb.exp;
  } else {
    exp = Math.min(pa.exp, pb.exp);
    coeff = pa.coeff * 10n ** BigInt(pa.exp - exp) + pb.coeff * 10n ** BigInt(pb.exp - exp);
  }
  return Decimal128.fromStringWithRounding(`${coeff}E${exp}`);
}

/** Zero of a kind (what `$mul` stores into a missing field). */
function zeroOf(kind: Kind): unknown {
  switch (kind) {
    case 'int':
      return 0;
    case 'long':
      return Long.ZERO;
    case 'double':
      return new Double(0);
    default:
      return Decimal128.fromString('0');
  }
}

/**
 * The result of `$inc` / `$mul` of `amount` on `current` (undefined: missing), or `undefined`
 * when either is not a number (mingo then reports MongoDB's error). `describe` names the
 * document in the overflow error.
 */
export function numericUpdate(op: '$inc' | '$mul', current: unknown, amount: unknown, describe: () => string): unknown {
  const ka = numericKind(amount);
  if (ka === undefined) return undefined;
  if (current === undefined) {
    if (op === '$mul') return zeroOf(ka);
    return ka === 'int' ? Number(String(amount)) : amount;
  }
  const kc = numericKind(current);
  if (kc === undefined) return undefined;
  if (kc === 'decimal' || ka === 'decimal') return decimalArith(op, current, kc, amount, ka);
  if (kc === 'double' || ka === 'double') {
    const a = Number(String(current));
    const b = Number(String(amount));
    return storedDouble(op === '$inc' ? a + b : a * b);
  }
  const r = op === '$inc' ? integerOf(current) + integerOf(amount) : integerOf(current) * integerOf(amount);
  if (kc === 'int' && ka === 'int' && r >= -0x8000_0000n && r <= 0x7fff_ffffn) return Number(r);
  if (r < INT64_MIN || r > INT64_MAX) {
    // mongod's message says $inc for $mul too, and names the current value's type.
    const type = kc === 'int' ? 'NumberInt' : 'NumberLong';
    throw new CommandError('BadValue', `Failed to apply $inc operations to current value ((${type})${String(current)}) for document ${describe()}`);
  }
  return Long.fromBigInt(r);
}

/** Renders a document's `_id` the way the error messages above name it. */
export function describeId(id: unknown): string {
  return `{_id: ${formatValue(id)}}`;
}
