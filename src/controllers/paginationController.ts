/**
 * Paging of the notes collection: defaults for the validated query, the database sort (ties
 * broken by the numeric id, so pages never overlap or skip), the skip/limit window, page
 * numbers, and first/prev/next/last targets that keep the caller's query.
 */
import { DEFAULT_LIMIT, type ListNotesQuery } from '../schemas/noteSchemas';
import { notesHref, type NotesQuery, type PageTargets } from './hateoasController';

/** A complete list request: the caller's query with every default filled in. */
export interface ListParams {
  q?: string;
  sort: 'createdAt' | 'updatedAt';
  order: 'asc' | 'desc';
  limit: number;
  page: number;
}

/** The page block of a collection response. */
export interface PageInfo {
  number: number;
  limit: number;
  totalItems: number;
  totalPages: number;
}

/** Fills in the defaults: sort by updatedAt, ascending, 10 per page, page 1; an empty q means no filter. */
export function toListParams(query: ListNotesQuery): ListParams {
  return {
    ...(query.q !== undefined && query.q !== '' ? { q: query.q } : {}),
    sort: query.sort ?? 'updatedAt',
    order: query.order ?? 'asc',
    limit: query.limit ?? DEFAULT_LIMIT,
    page: query.page ?? 1,
  };
}

/** The database sort: the chosen field, then the numeric id in the same direction. */
export function sortSpec(params: ListParams): Record<string, 1 | -1> {
  const direction = params.order === 'asc' ? 1 : -1;
  return { [params.sort]: direction, seq: direction };
}

/** How many matching notes come before the requested page. */
export function skipOf(params: ListParams): number {
  return (params.page - 1) * params.limit;
}

/** The page block for a request and a total; there is always at least one page. */
export function pageInfo(params: ListParams, totalItems: number): PageInfo {
  return {
    number: params.page,
    limit: params.limit,
    totalItems,
    totalPages: Math.max(1, Math.ceil(totalItems / params.limit)),
  };
}

/** The caller's query as links repeat it: only what the caller gave (q, sort, order, limit). */
export function linkQuery(query: ListNotesQuery): NotesQuery {
  const kept: NotesQuery = {};
  if (query.q !== undefined && query.q !== '') kept.q = query.q;
  if (query.sort !== undefined) kept.sort = query.sort;
  if (query.order !== undefined) kept.order = query.order;
  if (query.limit !== undefined) kept.limit = query.limit;
  return kept;
}

/** first/prev only past page 1, next/last only before the last page; each keeps the caller's query. */
export function pageTargets(query: ListNotesQuery, page: PageInfo): PageTargets {
  const base = linkQuery(query);
  const to = (n: number) => notesHref({ ...base, page: n });
  const targets: PageTargets = {};
  if (page.number > 1) {
    targets.first = to(1);
    // A page past the end steps back to the last real page.
    targets.prev = to(Math.min(page.number - 1, page.totalPages));
  }
  if (page.number < page.totalPages) {
    targets.next = to(page.number + 1);
    targets.last = to(page.totalPages);
  }
  return targets;
}

/** The self query: the caller's parameters plus the page, when the caller named one. */
export function selfQuery(query: ListNotesQuery): NotesQuery {
  return query.page !== undefined ? { ...linkQuery(query), page: query.page } : linkQuery(query);
}
