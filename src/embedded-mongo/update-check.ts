/**
 * MongoDB's checks of an operator update (`{$set: ...}`), which mingo does not make or makes
 * differently: at parse time unknown modifiers (FailedToParse, 9), operands that are not
 * documents, path conflicts between operators (ConflictingUpdateOperators, 40, with positional
 * siblings like `arr.$.a` / `arr.$.b` allowed), bad arguments; and per document the type errors
 * MongoDB raises where mingo would silently do nothing (`$inc` of a string, `$push` to a
 * number). Run only on the general update path: the simple `$set`/`$unset`/`$inc` path never
 * meets these cases (it hands anything unusual to the general path).
 */
import type { Document } from 'bson';
import { CommandError, immutableId } from './errors';
import { formatValue, getPath, isPlainObject } from './values';

/** The update operators MongoDB 7.0 knows. */
const MODIFIERS = new Set(['$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$push', '$addToSet', '$pop', '$pull', '$pullAll', '$currentDate', '$setOnInsert', '$bit']);

/** One node of the tree of updated paths MongoDB builds to find conflicts. */
interface PathNode {
  leaf: boolean;
  children: Map<string, PathNode>;
}

/** MongoDB's BSON type name of a value, as its error messages print it. */
export function bsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) <= 0x7fffffff ? 'int' : 'double';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  const tag = (value as { _bsontype?: string })._bsontype;
  const names: Record<string, string> = { ObjectId: 'objectId', Long: 'long', Double: 'double', Int32: 'int', Decimal128: 'decimal', Binary: 'binData', Timestamp: 'timestamp', BSONRegExp: 'regex', MinKey: 'minKey', MaxKey: 'maxKey', Code: 'javascript', BSONSymbol: 'symbol', DBRef: 'object' };
  return (tag && names[tag]) ?? 'object';
}

/** Whether MongoDB counts a value as a number (int, long, double, decimal). */
function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return true;
  const tag = (value as { _bsontype?: string } | null | undefined)?._bsontype;
  return tag === 'Long' || tag === 'Double' || tag === 'Int32' || tag === 'Decimal128';
}

/**
 * Adds `path` to the tree, refusing it when it overlaps a path already there (MongoDB's
 * UpdateObjectNode::parseAndMerge): "Updating the path 'a.b' would create a conflict at 'a'".
 */
function addPath(root: PathNode, path: string): void {
  const parts = path.split('.');
  let node = root;
  for (let i = 0; i < parts.length; i++) {
    if (node.leaf) throw conflict(path, parts.slice(0, i).join('.'));
    let next = node.children.get(parts[i]);
    if (!next) node.children.set(parts[i], (next = { leaf: false, children: new Map() }));
    node = next;
  }
  if (node.leaf || node.children.size > 0) throw conflict(path, path);
  node.leaf = true;
}

function conflict(path: string, at: string): CommandError {
  return new CommandError('ConflictingUpdateOperators', `Updating the path '${path}' would create a conflict at '${at}'`);
}

/** Whether a `$currentDate` argument is one MongoDB takes: a boolean, `{$type: 'date'}` or `{$type: 'timestamp'}`. */
function isCurrentDateSpec(value: unknown): boolean {
  if (typeof value === 'boolean') return true;
  return isPlainObject(value) && Object.keys(value).length === 1 && (value.$type === 'date' || value.$type === 'timestamp');
}

/** MongoDB's parse-time checks of one operator's argument. */
function checkArgument(op: string, path: string, value: unknown): void {
  if (path === '') throw new CommandError('BadValue', 'An empty update path is not valid.');
  if (path.startsWith('.') || path.endsWith('.') || path.includes('..')) {
    throw new CommandError('EmptyFieldName', `The update path '${path}' contains an empty field name, which is not allowed.`);
  }
  if (op === '$currentDate' && !isCurrentDateSpec(value)) {
    throw new CommandError('BadValue', `${path} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`);
  }
  if ((op === '$inc' || op === '$mul') && !isNumeric(value)) {
    throw new CommandError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${formatValue(value)}}`);
  }
  if (op === '$pop' && value !== 1 && value !== -1) throw new CommandError('FailedToParse', `$pop expects 1 or -1, found: ${formatValue(value)}`);
  if (op === '$rename') {
    if (typeof value !== 'string') throw new CommandError('BadValue', `The 'to' field for $rename must be a string: ${path}: ${formatValue(value)}`);
    if (value === path) throw new CommandError('BadValue', `The source and target field for $rename must differ: ${path}: ${formatValue(value)}`);
    if (path === '_id' || value === '_id' || path.startsWith('_id.') || value.startsWith('_id.')) {
      throw immutableId();
    }
  }
}

/**
 * Checks an operator update as MongoDB parses it, before any document is touched: known
 * modifiers with document operands, valid arguments, no two paths in conflict. An empty operand
 * (`{$set: {}}`) is allowed, as in MongoDB 5.0+. The common update (top-level fields only) is
 * checked for conflicts with one Set; the path tree is built only when a path has a dot.
 */
export function checkOperatorUpdate(u: Document): void {
  const seen = new Set<string>();
  let tree = false;
  for (const op in u) {
    if (!MODIFIERS.has(op)) throw new CommandError('FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    const fields: unknown = u[op];
    if (!isPlainObject(fields)) {
      throw new CommandError('FailedToParse', `Modifiers operate on fields but we found type ${bsonTypeName(fields)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${formatValue(fields)}}`);
    }
    for (const path in fields) {
      const value: unknown = fields[path];
      checkArgument(op, path, value);
      if (op === '$rename' || path.includes('.')) tree = true;
      else if (seen.has(path)) throw conflict(path, path);
      else seen.add(path);
    }
  }
  if (tree) checkConflicts(u);
}

/** The full conflict check, over the tree of every updated path (and `$rename` targets). */
function checkConflicts(u: Document): void {
  const root: PathNode = { leaf: false, children: new Map() };
  for (const op in u) {
    const fields = u[op] as Document;
    for (const path in fields) {
      addPath(root, path);
      if (op === '$rename') addPath(root, fields[path] as string);
    }
  }
}

/**
 * The errors MongoDB raises applying `u` to `doc` where mingo would leave the field alone:
 * `$inc`/`$mul` of a non-number (TypeMismatch, 14), `$bit` of a non-integer (BadValue, 2),
 * `$push`/`$addToSet`/`$pull`/`$pullAll` on a non-array (BadValue, 2), `$pop` on a non-array (14),
 * a path that cannot be created (PathNotViable, 28). Checked for plain paths (no positional
 * `$`); a missing field is no error.
 */
export function checkApplicable(doc: Document, u: Document): void {
  for (const [op, fields] of Object.entries(u)) {
    for (const [path, value] of Object.entries(fields as Document)) {
      if (path.includes('$')) continue;
      if (CREATING_OPS.has(op)) checkViable(doc, op === '$rename' ? (value as string) : path);
      if (!ARRAY_OPS.has(op) && op !== '$inc' && op !== '$mul' && op !== '$bit') continue;
      const current = getPath(doc, path);
      if (current === undefined) continue;
      const error = applicationError(op, path, current, doc._id);
      if (error) throw error;
    }
  }
}

const ARRAY_OPS = new Set(['$push', '$addToSet', '$pull', '$pullAll', '$pop']);

/** Operators that create their path when it is missing (`$rename` its target). */
const CREATING_OPS = new Set(['$set', '$setOnInsert', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$currentDate', '$bit', '$rename']);

/**
 * MongoDB's PathNotViable (28) for a path that cannot be created: a part below a value that is
 * not a document ("Cannot create field 'b' in element {a: 5}"), or a field name below an array.
 */
function checkViable(doc: Document, path: string): void {
  if (!path.includes('.')) return;
  const parts = path.split('.');
  let container: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i];
    const child: unknown = Array.isArray(container) ? container[Number(part)] : (container as Document)[part];
    if (child === undefined) return;
    const next = parts[i + 1];
    if (isPlainObject(child) || (Array.isArray(child) && /^\d+$/.test(next))) {
      container = child;
      continue;
    }
    throw new CommandError('PathNotViable', `Cannot create field '${next}' in element {${part}: ${formatValue(child)}}`);
  }
}

function applicationError(op: string, path: string, current: unknown, id: unknown): CommandError | undefined {
  const type = bsonTypeName(current);
  const field = path.slice(path.lastIndexOf('.') + 1);
  if (op === '$inc' || op === '$mul') {
    if (isNumeric(current)) return undefined;
    return new CommandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(id)}} has the field '${field}' of non-numeric type ${type}`);
  }
  if (op === '$bit') {
    if ((typeof current === 'number' && Number.isInteger(current)) || type === 'long' || type === 'int') return undefined;
    return new CommandError('BadValue', `Cannot apply $bit to a value of non-integral type.{_id: ${formatValue(id)}} has the field ${field} of non-integral type ${type}`);
  }
  if (Array.isArray(current)) return undefined;
  if (op === '$push') return new CommandError('BadValue', `The field '${field}' must be an array but is of type ${type} in document {_id: ${formatValue(id)}}`);
  if (op === '$addToSet') return new CommandError('BadValue', `Cannot apply $addToSet to non-array field. Field named '${field}' has non-array type ${type}`);
  if (op === '$pop') return new CommandError('TypeMismatch', `Path '${path}' contains an element of non-array type '${type}'`);
  return new CommandError('BadValue', 'Cannot apply $pull to a non-array value');
}
