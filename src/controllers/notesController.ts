/**
 * The caller's notes: create, read, list (filtered, sorted and paged in the database), replace,
 * edit, delete. Every query and write is filtered by the owner, so a write that matches nothing
 * is the proof that the note does not exist for this caller: no read comes first.
 */
import { BatchedLookup, BatchedPages } from '../models/batchedReads';
import { aggregateOne, count, findMany, plansFacets, timed } from '../models/commands';
import { nextSeq } from '../models/Counter';
import { Note, type NoteDoc } from '../models/Note';
import type { ListQuery } from '../schemas/noteSchemas';
import type { Link } from '../types/hypermedia';
import { DomainError } from '../utils/DomainError';
import { noteItemLinks, noteLinks, notesCollectionLinks } from './hateoasController';
import { paginate, type PageInfo } from './paginationController';

/** A note as the API shows it (without links). */
export interface NoteDTO {
  id: string;
  text: string;
  createdAt: number;
  updatedAt: number;
}

/** A note with the links its owner may follow. */
export type NoteView = NoteDTO & { links: Link[] };

/** One page of the caller's notes, as `GET /notes` sends it. */
export interface NotesPage {
  notes: NoteView[];
  page: PageInfo;
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

/** The database sort of a list: the chosen field, then the numeric id in the same direction, so pages never overlap or skip. */
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
 * Notes by id, batched: concurrent reads share one command (models/batchedReads.ts). The owner
 * comes back with each note and is compared here, which is the same test as `{id, owner}` in the
 * filter, since ids are unique.
 */
const notesById = new BatchedLookup<NoteDTO & { owner: string }>(Note, 'id', { ...NOTE_FIELDS, owner: 1 });

/** `owner`'s note with this id; a note of someone else's does not exist for them. */
export async function getNote(owner: string, id: string): Promise<NoteView> {
  const note = await notesById.load(id);
  if (!note || note.owner !== owner) throw noteNotFound(id);
  return toView(toDTO(note));
}

/**
 * One page of `owner`'s notes: filter, then sort (ties by id), then skip/limit, all in the
 * database. The count and the page are two commands sent together, so the request waits for
 * one round trip's time; a page past the end comes back empty from the database.
 */
export async function listNotes(owner: string, query: ListQuery): Promise<NotesPage> {
  const filter: Record<string, unknown> = { owner };
  if (query.q !== undefined) filter.text = { $regex: escapeRegex(query.q), $options: 'i' };
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

/** Replaces the text of `owner`'s note, keeping createdAt and moving updatedAt. */
export async function replaceNote(owner: string, id: string, text: string, now: number = Date.now()): Promise<void> {
  const result = await timed('update', () => Note.collection.updateOne({ id, owner }, { $set: { text, updatedAt: now } }));
  if (result.matchedCount === 0) throw noteNotFound(id);
}

/** Changes only the text of `owner`'s note. */
export async function editNoteText(owner: string, id: string, text: string, now: number = Date.now()): Promise<void> {
  await replaceNote(owner, id, text, now);
}

/** Deletes `owner`'s note; a second delete finds nothing. */
export async function deleteNote(owner: string, id: string): Promise<void> {
  const result = await timed('delete', () => Note.collection.deleteOne({ id, owner }));
  if (result.deletedCount === 0) throw noteNotFound(id);
}
