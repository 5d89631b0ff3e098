/**
 * Sparse fieldsets (issue 13): `fields=text,updatedAt` asks for those members of a note only.
 * `id` and `links` are always sent (a note without them could not be named or followed), so a
 * selection is kept without `id`: `fields=id,text` and `fields=text` are the same selection, with
 * the same ETag; `fields=id` alone is the selection `[id]`, so a selection is never empty. It is in
 * the canonical member order, whatever order the caller wrote, and the projected note keeps that
 * order too (id, text, createdAt, updatedAt, links). Its string form (`text,updatedAt`) is what
 * links repeat and what the ETag's `.f-text+updatedAt` suffix is made from.
 */

/** The members a selection may name, in the order a note shows them. */
export const NOTE_FIELDS = ['id', 'text', 'createdAt', 'updatedAt'] as const;

/** A member a selection may name. */
export type NoteField = (typeof NOTE_FIELDS)[number];

/** A parsed selection: the members asked for besides `id` (just `id` when nothing else), canonical order, no repeats. */
export type FieldSelection = readonly NoteField[];

/** How many unknown names a 400 echoes, and how much of each: the message stays small whatever the query holds. */
const MAX_ECHOED_NAMES = 5;
const MAX_ECHOED_LENGTH = 40;

/** The result of reading a `fields` value: the selection, or why it is not one. */
export type FieldsParse = { ok: true; fields: FieldSelection } | { ok: false; message: string };

function echoed(name: string): string {
  return name.length > MAX_ECHOED_LENGTH ? `${name.slice(0, MAX_ECHOED_LENGTH)}…` : name;
}

/** Reads a `fields` value (`text,updatedAt`): names separated by commas, each one of NOTE_FIELDS. */
export function parseFields(value: string): FieldsParse {
  if (value === '') return { ok: false, message: `must name at least one of ${NOTE_FIELDS.join(', ')}` };
  const names = value.split(',');
  if (names.some((name) => name === '')) return { ok: false, message: 'must be field names separated by single commas' };
  const unknown = [...new Set(names.filter((name) => !(NOTE_FIELDS as readonly string[]).includes(name)))];
  if (unknown.length > 0) {
    const listed = unknown.slice(0, MAX_ECHOED_NAMES).map(echoed).join(', ');
    const more = unknown.length > MAX_ECHOED_NAMES ? ` and ${unknown.length - MAX_ECHOED_NAMES} more` : '';
    return { ok: false, message: `unknown field(s): ${listed}${more}` };
  }
  const others = NOTE_FIELDS.filter((name) => name !== 'id' && names.includes(name));
  return { ok: true, fields: others.length > 0 ? others : ['id'] };
}

/** A note as GET shows it, or any object with its members. */
type NoteLike = { id: string; links: unknown } & Partial<Record<NoteField, unknown>>;

/** The note with only `id`, the selected members and `links`, in the canonical order. */
export function projectNote<N extends NoteLike>(note: N, fields: FieldSelection): Partial<N> {
  const projected: Record<string, unknown> = { id: note.id };
  for (const name of NOTE_FIELDS) if (name !== 'id' && fields.includes(name) && name in note) projected[name] = note[name];
  projected.links = note.links;
  return projected as Partial<N>;
}

/** A page of notes with each note projected; the page's other members are kept as they are, in their order. */
export function projectPage<P extends { notes: readonly NoteLike[] }>(page: P, fields: FieldSelection): P {
  return { ...page, notes: page.notes.map((note) => projectNote(note, fields)) };
}
