/**
 * The hypermedia vocabulary shared by the API and the bundled page: the methods a link may
 * name and the shape of one link. It imports nothing, so the page's bundle can include it.
 */

/** The methods a link may carry, in the order `Allow` lists them. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A method a link may carry. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One hypermedia control, as the contract shapes it: `{rel, href, method}`, maybe templated. */
export interface Link {
  rel: string;
  href: string;
  method: HttpMethod;
  templated?: boolean;
}
