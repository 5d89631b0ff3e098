/**
 * Paging of the notes collection: the page block and the first/prev/next/last links of one
 * view, whose hrefs hateoas writes from the caller's own query.
 */
import type { ListQuery } from '../schemas/noteSchemas';
import type { Link } from '../types/hypermedia';
import { link, notesHref } from './hateoasController';

/** The page block of a collection response. */
export interface PageInfo {
  number: number;
  limit: number;
  totalItems: number;
  totalPages: number;
}

/** The rels of the page moves, in the order they are listed. */
export const PAGE_RELS = ['first', 'prev', 'next', 'last'] as const;

/**
 * The page block for a query and a total (always at least one page) and the moves from it:
 * first/prev only past page 1 (a page past the end steps back to the last real page),
 * next/last only before the last page; each keeps the caller's q, sort, order and limit.
 */
export function paginate(query: ListQuery, totalItems: number): { page: PageInfo; links: Link[] } {
  const totalPages = Math.max(1, Math.ceil(totalItems / query.limit));
  const page: PageInfo = { number: query.page, limit: query.limit, totalItems, totalPages };
  const links: Link[] = [];
  if (page.number > 1) {
    links.push(link('first', notesHref(query, 1)), link('prev', notesHref(query, Math.min(page.number - 1, totalPages))));
  }
  if (page.number < totalPages) {
    links.push(link('next', notesHref(query, page.number + 1)), link('last', notesHref(query, totalPages)));
  }
  return { page, links };
}

/** The page block of a cursor view: no page numbers, the cursor it was asked with (`''`: the start). */
export interface CursorPageInfo {
  limit: number;
  totalItems: number;
  cursor: string;
}

/**
 * The page block of a cursor view and its moves: first (`cursor=`) always, prev/next (with the
 * cursors given, each only when notes lie that way); each keeps the caller's q, sort, order and limit.
 */
export function cursorPaginate(query: ListQuery & { cursor: string }, totalItems: number, moves: { prev?: string; next?: string }): { page: CursorPageInfo; links: Link[] } {
  const links: Link[] = [link('first', notesHref(query, undefined, ''))];
  if (moves.prev !== undefined) links.push(link('prev', notesHref(query, undefined, moves.prev)));
  if (moves.next !== undefined) links.push(link('next', notesHref(query, undefined, moves.next)));
  return { page: { limit: query.limit, totalItems, cursor: query.cursor }, links };
}
