/**
 * The caller's notes: create, read, list (filtered, sorted and paged in the database), replace,
 * edit, delete. Every query and write is filtered by the owner, so a write that matches nothing
 * is the proof that the note does not exist for this caller: no read comes first.
 */
import { isDeepStrictEqual } from 'node:util';
import { applyOperation, JsonPatchError, type Operation } from 'fast-json-patch';
import { apply as applyMergePatch } from 'json-merge-patch';
import { BatchedLookup, BatchedPages } from '../models/batchedReads';
import { aggregateOne, count, findMany, findOne, plansFacets, timed } from '../models/commands';
import { nextSeq } from '../models/Counter';
import { Note, type NoteDoc } from '../models/Note';
import { noteText } from '../schemas/common';
import type { ListQuery } from '../schemas/noteSchemas';
import type { Link } from '../types/hypermedia';
import { DomainError } from '../utils/DomainError';
import { isConditional, representationEtag, WRITE_ATTEMPTS, writeInState, type Preconditions, type ReadState } from './conditionalWrites';
import { noteItemLinks, noteLinks, notesCollectionLinks } from './hateoasController';
import { isDuplicateKey, judgeStoredKey, keyContended, type IdempotencyKey } from './idempotency';
import { cursorPaginate, paginate, type CursorPageInfo, type PageInfo } from './paginationController';
import { decodeCursor, encodeCursor, type CursorPosition } from './cursor';

/** A note as the API shows it (without links). */
export interface NoteDTO {
  id: string;
  text: string;
  createdAt: number;
  updatedAt: number;
}

/** A note with the links its owner may follow. */
export type NoteView = NoteDTO & { links: Link[] };

/** One page of the caller's notes, as `GET /notes` sends it (a cursor view has a cursor instead of page numbers). */
export interface NotesPage {
  notes: NoteView[];
  page: PageInfo | CursorPageInfo;
  links: Link[];
}

const NOTE_FIELDS = { _id: 0, id: 1, text: 1, createdAt: 1, updatedAt: 1 } as const;

function toDTO(doc: Pick<NoteDoc, 'id' | 'text' | 'createdAt' | 'updatedAt'>): NoteDTO {
  return { id: doc.id, text: doc.text, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

function toView(note: NoteDTO): NoteView {
  return { ...note, links: noteLinks(note.id) };
}

/** The failure for a note that does not exist or belongs to someone else: the same to the caller. */
export function noteNotFound(id: string): DomainError {
  return new DomainError('not-found', `Note with ID '${id}' does not exist.`, { resource: 'note' });
}

/** Escapes regular-expression metacharacters so a search term matches literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * The database sort of a list: the chosen field, then the numeric id in the same direction, so
 * pages never overlap or skip. `seq` is a unique, immutable tie-breaker, not creation order: each
 * process hands out ids from its own block (models/idBlocks.ts), so across processes a later
 * note may have a smaller id. Order by time is `createdAt`/`updatedAt`.
 */
export function sortSpec(query: Pick<ListQuery, 'sort' | 'order'>): Record<string, 1 | -1> {
  const direction = query.order === 'asc' ? 1 : -1;
  return { [query.sort]: direction, seq: direction };
}

/** Creates a note for `owner` with a fresh id. */
export async function createNote(owner: string, text: string, now: number = Date.now()): Promise<NoteView> {
  const seq = await nextSeq('notes');
  const note: NoteDoc = { id: String(seq), seq, owner, text, createdAt: now, updatedAt: now };
  // Straight to the driver: every field was validated or is made here, so the document is
  // exactly what mongoose's `create` would build (same types, no version key), without its work.
  await timed('insert', () => Note.collection.insertOne(note));
  return toView(toDTO(note));
}

/**
 * Creates a note for `owner` once per Idempotency-Key: the first request creates it; a retry
 * with the same key and body within 24 hours gets the same note back (`replayed`), as it is now,
 * without a second write; the same key with another body is 422 (see controllers/idempotency.ts).
 */
export async function createNoteOnce(owner: string, text: string, idempotency: IdempotencyKey, now: number = Date.now()): Promise<{ note: NoteView; replayed: boolean }> {
  const key = `${owner}:${idempotency.key}`;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const seq = await nextSeq('notes');
    const note: NoteDoc = { id: String(seq), seq, owner, text, createdAt: now, updatedAt: now, idem: { key, hash: idempotency.fingerprint, at: now } };
    try {
      await timed('insert', () => Note.collection.insertOne(note));
      return { note: toView(toDTO(note)), replayed: false };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const first = await findOne<NoteDoc>(Note, { owner, 'idem.key': key }, { ...NOTE_FIELDS, idem: 1 });
    if (!first?.idem) continue; // deleted since: the key is free again
    if (judgeStoredKey(first.idem, idempotency, now) === 'replay') return { note: toView(toDTO(first)), replayed: true };
    await timed('update', () => Note.collection.updateOne({ owner, 'idem.key': key, 'idem.at': first.idem?.at }, { $unset: { idem: '' } }));
  }
  throw keyContended();
}

/**
 * Notes by owner and id, batched: concurrent reads of one owner's notes share one command
 * `{owner, id: {$in: [...]}}` (models/batchedReads.ts), so every read carries the owner (the
 * shard key, docs/scaling.md) and a note of someone else's is never read at all.
 */
const notesById = new BatchedLookup<NoteDTO>(Note, { scope: 'owner', key: 'id' }, NOTE_FIELDS);

/** `owner`'s note with this id; a note of someone else's does not exist for them. */
export async function getNote(owner: string, id: string): Promise<NoteView> {
  const note = await notesById.load(owner, id);
  if (!note) throw noteNotFound(id);
  return toView(toDTO(note));
}

/**
 * One page of `owner`'s notes: filter, then sort (ties by id), then skip/limit, all in the
 * database. The count and the page are two commands sent together, so the request waits for
 * one round trip's time; a page past the end comes back empty from the database. With a
 * `cursor`, the page starts from the cursor's position instead (listFromCursor).
 */
export async function listNotes(owner: string, query: ListQuery): Promise<NotesPage> {
  const filter: Record<string, unknown> = { owner };
  if (query.q !== undefined) filter.text = { $regex: escapeRegex(query.q), $options: 'i' };
  if (query.cursor !== undefined) return listFromCursor(owner, { ...query, cursor: query.cursor }, filter);
  const skip = (query.page - 1) * query.limit;
  const [total, docs] = await countAndPage(filter, sortSpec(query), skip, query.limit);
  const { page, links: pageMoves } = paginate(query, total);
  return {
    notes: docs.map((doc) => ({ ...toDTO(doc), links: noteItemLinks(doc.id) })),
    page,
    links: notesCollectionLinks(query, pageMoves),
  };
}

/**
 * The notes strictly beyond `at` when the list is walked ascending (or descending) by `field`
 * then `seq`. The range on `field` is a top-level condition, so the database bounds its index
 * scan with it (from `at`, not from the start of the owner's notes); `$or` only sorts out the
 * ties at `at`'s own key.
 */
function beyond(field: string, at: CursorPosition, ascending: boolean): Record<string, unknown> {
  return ascending
    ? { [field]: { $gte: at.k }, $or: [{ [field]: { $gt: at.k } }, { seq: { $gt: at.i } }] }
    : { [field]: { $lte: at.k }, $or: [{ [field]: { $lt: at.k } }, { seq: { $lt: at.i } }] };
}

/**
 * One page of a cursor view (keyset paging): the `limit` notes after the cursor's position in
 * the view's order (`next`), or before it (`prev`: walked backwards, then put back in order).
 * Positions are (sort key, seq), never offsets, so inserts and deletes elsewhere in the list
 * neither repeat nor skip a note that stays. One more note than the page is read to know
 * whether notes lie further on; whether any lie behind is a one-note query from the cursor's
 * position (inclusive). The total counts the whole view, without the cursor. Three plain
 * commands sent together (not the batched `$facet`, whose planner takes no `$or`).
 */
async function listFromCursor(owner: string, query: ListQuery & { cursor: string }, filter: Record<string, unknown>): Promise<NotesPage> {
  const cursor = query.cursor === '' ? undefined : decodeCursor(owner, query, query.cursor);
  const forward = (cursor?.d ?? 'next') === 'next';
  // The way the database walks: the view's order for `next`, reversed for `prev`.
  const ascending = (query.order === 'asc') === forward;
  const direction = ascending ? 1 : -1;
  const sort = { [query.sort]: direction, seq: direction } as Record<string, 1 | -1>;
  const projection = { ...NOTE_FIELDS, seq: 1 };
  type Row = NoteDTO & { seq: number; createdAt: number; updatedAt: number };
  const [total, rows, behind] = await Promise.all([
    count(Note, filter),
    findMany<Row>(Note, cursor ? { ...filter, ...beyond(query.sort, cursor, ascending) } : filter, { projection, sort, limit: query.limit + 1 }),
    // Anything at or behind the cursor's own position: beyond (k, i ± 1) walking the other way, since seq is an integer.
    cursor
      ? findMany(Note, { ...filter, ...beyond(query.sort, { k: cursor.k, i: cursor.i + direction }, !ascending) }, { projection: { _id: 0, seq: 1 }, sort: { [query.sort]: -direction, seq: -direction } as Record<string, 1 | -1>, limit: 1 }).then((found) => found.length > 0)
      : Promise.resolve(false),
  ]);
  const further = rows.length > query.limit;
  const shown = rows.slice(0, query.limit);
  if (!forward) shown.reverse();
  const hasNext = forward ? further : behind;
  const hasPrev = forward ? behind : further;
  // The view's direction along seq; an empty page moves from just beside the cursor, so the cursor's own note is included.
  const step = query.order === 'asc' ? 1 : -1;
  const positionOf = (row: Row | undefined, fallback: number): CursorPosition => (row ? { k: row[query.sort], i: row.seq } : { k: cursor?.k ?? 0, i: (cursor?.i ?? 0) + fallback });
  const { page, links: pageMoves } = cursorPaginate(query, total, {
    prev: hasPrev ? encodeCursor(owner, query, positionOf(shown[0], step), 'prev') : undefined,
    next: hasNext ? encodeCursor(owner, query, positionOf(shown[shown.length - 1], -step), 'next') : undefined,
  });
  return {
    notes: shown.map((doc) => ({ ...toDTO(doc), links: noteItemLinks(doc.id) })),
    page,
    links: notesCollectionLinks(query, pageMoves),
  };
}

/**
 * Counts and pages without a text search, batched: on the embedded server the lists of one
 * event-loop round share one command (models/batchedReads.ts), each planned with the indexes.
 */
const notePages = new BatchedPages<NoteDTO>(Note, NOTE_FIELDS);

/**
 * The number of notes matching `filter` and one sorted page of them. On the embedded server, one
 * command: `[$match, $facet {total: [$count], page: [$sort, $skip, $limit, $project]}]`, which it
 * plans with its indexes (a count by ranks, the page by position); lists without a text search
 * share it with the other lists of their event-loop round. On MongoDB, which would feed every
 * matching document to `$facet`, a `count` and a `find` sent together (COUNT_SCAN and an index
 * scan).
 */
async function countAndPage(filter: Record<string, unknown>, sort: Record<string, 1 | -1>, skip: number, limit: number): Promise<[number, NoteDTO[]]> {
  if (await plansFacets(Note)) {
    if (filter.text === undefined) return notePages.load({ filter, sort, skip, limit });
    const page: Record<string, unknown>[] = [{ $sort: sort }];
    if (skip > 0) page.push({ $skip: skip });
    page.push({ $limit: limit }, { $project: NOTE_FIELDS });
    const result = await aggregateOne<{ total: { n: number }[]; page: NoteDTO[] }>(Note, [{ $match: filter }, { $facet: { total: [{ $count: 'n' }], page } }]);
    return [Number(result?.total[0]?.n ?? 0), result?.page ?? []];
  }
  return Promise.all([count(Note, filter), findMany<NoteDTO>(Note, filter, { projection: NOTE_FIELDS, sort, skip, limit })]);
}

/** A note after a write: its representation (as GET shows it) and that representation's ETag. */
export interface WrittenNote {
  note: NoteView;
  etag: string;
}

/** The change a PATCH asks for, by its media type. */
export type NotePatch =
  | { format: 'json'; text: string }
  | { format: 'merge-patch'; patch: unknown }
  | { format: 'json-patch'; operations: Operation[] };

/** The members of a note's representation; all but `text` are the server's. */
const READ_ONLY_MEMBERS = ['id', 'createdAt', 'updatedAt', 'links'] as const;

/** A patched representation larger than this (as JSON) is refused: `copy` can double a document per operation. */
export const MAX_PATCHED_SIZE = 256 * 1024;

function written(doc: NoteDTO): WrittenNote {
  const note = toView(toDTO(doc));
  return { note, etag: representationEtag(note) };
}

/** `owner`'s note as stored now, for a write that must see it before it writes. */
async function storedNote(owner: string, id: string): Promise<NoteDTO> {
  const doc = await notesById.load(owner, id);
  if (!doc) throw noteNotFound(id);
  return toDTO(doc);
}

/** `owner`'s note as stored now, with the ETag and date its preconditions are compared with. */
async function currentNote(owner: string, id: string): Promise<ReadState<NoteDTO>> {
  const state = await storedNote(owner, id);
  return { state, etag: representationEtag(toView(state)), lastModified: state.updatedAt };
}

/** A filter that matches `owner`'s note only while it is exactly in this state (every field its representation is made of). */
function inState(owner: string, note: NoteDTO): Record<string, unknown> {
  return { id: note.id, owner, text: note.text, createdAt: note.createdAt, updatedAt: note.updatedAt };
}

/** Sets the text of the note `filter` matches, in one command, and returns the note as written (null: nothing matched). */
function setText(filter: Record<string, unknown>, text: string, now: number): Promise<NoteDTO | null> {
  return timed('findAndModify', () =>
    Note.collection.findOneAndUpdate(filter, { $set: { text, updatedAt: now } }, { returnDocument: 'after', projection: NOTE_FIELDS }),
  ) as Promise<NoteDTO | null>;
}

/**
 * Sets the text of `owner`'s note: the given text, or what `change` makes of the current
 * representation (a PATCH document). Without preconditions and with a plain text, one command.
 * Otherwise the note is read, the preconditions are compared with it (412 with the current ETag
 * when they fail), the change is computed from it, and the write matches only that exact state,
 * so a concurrent writer in between makes it match nothing: then it starts over, at most
 * WRITE_ATTEMPTS times (a precondition naming the old ETag then fails with 412).
 */
async function writeText(owner: string, id: string, preconditions: Preconditions | undefined, change: string | ((note: NoteView) => string), now: number): Promise<WrittenNote> {
  if (typeof change === 'string' && !isConditional(preconditions)) {
    const doc = await setText({ id, owner }, change, now);
    if (!doc) throw noteNotFound(id);
    return written(doc);
  }
  return writeInState(
    'note',
    preconditions,
    () => currentNote(owner, id),
    async (before) => {
      const text = typeof change === 'string' ? change : change(toView(before));
      const doc = await setText(inState(owner, before), text, now);
      return doc ? written(doc) : undefined;
    },
    'The note changed during this write several times in a row; nothing was written. Try again.',
  );
}

/** Replaces the text of `owner`'s note, keeping createdAt and moving updatedAt. */
export function replaceNote(owner: string, id: string, text: string, preconditions?: Preconditions, now: number = Date.now()): Promise<WrittenNote> {
  return writeText(owner, id, preconditions, text, now);
}

/** Changes `owner`'s note as the PATCH document says; only its text can change. */
export function patchNote(owner: string, id: string, patch: NotePatch, preconditions?: Preconditions, now: number = Date.now()): Promise<WrittenNote> {
  return writeText(owner, id, preconditions, patch.format === 'json' ? patch.text : (note) => patchedText(note, patch), now);
}

/** Changes only the text of `owner`'s note (the tutorial's PATCH `{text}`). */
export function editNoteText(owner: string, id: string, text: string, preconditions?: Preconditions, now: number = Date.now()): Promise<WrittenNote> {
  return writeText(owner, id, preconditions, text, now);
}

function unprocessable(detail: string, errors: Array<{ name: string; message: string }>): DomainError {
  return new DomainError('unprocessable', detail, { errors });
}

/**
 * The text of the note a merge patch (RFC 7396) or JSON Patch (RFC 6902) makes of `note`. The
 * patch applies to the representation GET shows (with its links); the result must still be a
 * note: the same read-only members, no others, a valid text. A failed JSON Patch `test` is a
 * conflict (409); a patch that cannot apply, or leaves an invalid note, is 422.
 */
export function patchedText(note: NoteView, patch: Exclude<NotePatch, { format: 'json' }>): string {
  let result: unknown;
  if (patch.format === 'merge-patch') {
    const members = typeof patch.patch === 'object' && patch.patch !== null && !Array.isArray(patch.patch) ? Object.keys(patch.patch) : [];
    const unknown = members.filter((key) => key !== 'text' && !(READ_ONLY_MEMBERS as readonly string[]).includes(key));
    if (unknown.length > 0) {
      throw unprocessable('The merge patch names members a note does not have.', unknown.map((name) => ({ name, message: 'is not a member of a note' })));
    }
    result = applyMergePatch(jsonCopy(note), patch.patch);
  } else {
    result = applyJsonPatch(jsonCopy(note), patch.operations);
  }
  return checkedText(note, result);
}

/** A deep copy of a representation, exactly as its JSON reads back (the patch applies to what the client saw). */
function jsonCopy(note: NoteView): NoteView {
  return JSON.parse(JSON.stringify(note)) as NoteView;
}

/** Applies JSON Patch operations one by one, so that none can make the document grow past MAX_PATCHED_SIZE. */
function applyJsonPatch(doc: NoteView, operations: Operation[]): unknown {
  let current: unknown = doc;
  operations.forEach((operation, index) => {
    try {
      current = applyOperation(current, operation, true, true, true, index).newDocument;
    } catch (err) {
      if (!(err instanceof JsonPatchError)) throw err;
      if (err.name === 'TEST_OPERATION_FAILED') {
        throw new DomainError('conflict', `The patch's test at ${operation.path} (operation ${index}) failed: the note is not in the state the patch expects. Nothing was written.`);
      }
      throw unprocessable(`Operation ${index} of the patch cannot be applied to the note: ${err.message.split('\n')[0]}`, [{ name: `/${index}`, message: 'cannot be applied' }]);
    }
    if (JSON.stringify(current).length > MAX_PATCHED_SIZE) {
      throw unprocessable(`The patched note would be larger than ${MAX_PATCHED_SIZE} bytes.`, [{ name: `/${index}`, message: 'makes the document too large' }]);
    }
  });
  return current;
}

/** The new text, if `after` is still a note: 422 naming every member that is wrong otherwise. */
function checkedText(before: NoteView, after: unknown): string {
  if (typeof after !== 'object' || after === null || Array.isArray(after)) {
    throw unprocessable('The patch would replace the note with something that is not a JSON object.', [{ name: '', message: 'must stay a note' }]);
  }
  const doc = after as Record<string, unknown>;
  const errors: Array<{ name: string; message: string }> = [];
  for (const key of Object.keys(doc)) {
    if (key !== 'text' && !(READ_ONLY_MEMBERS as readonly string[]).includes(key)) errors.push({ name: key, message: 'is not a member of a note' });
  }
  for (const key of READ_ONLY_MEMBERS) {
    if (!isDeepStrictEqual(doc[key], before[key])) errors.push({ name: key, message: 'is read-only (set by the server)' });
  }
  const text = noteText.safeParse(doc.text);
  if (!text.success) errors.push(...text.error.issues.map((issue) => ({ name: 'text', message: issue.message })));
  if (errors.length > 0 || !text.success) throw unprocessable('The patch would leave an invalid note; nothing was written.', errors);
  return text.data;
}

/** Deletes `owner`'s note (when the preconditions hold); a second delete finds nothing. */
export async function deleteNote(owner: string, id: string, preconditions?: Preconditions): Promise<void> {
  if (!isConditional(preconditions)) {
    const result = await timed('delete', () => Note.collection.deleteOne({ id, owner }));
    if (result.deletedCount === 0) throw noteNotFound(id);
    return;
  }
  await writeInState(
    'note',
    preconditions,
    () => currentNote(owner, id),
    async (before) => ((await timed('delete', () => Note.collection.deleteOne(inState(owner, before)))).deletedCount === 1 ? true : undefined),
    'The note changed during this delete several times in a row; nothing was deleted. Try again.',
  );
}
