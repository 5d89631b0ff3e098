/**
 * The one address the page knows. Everything else it requests comes from a link in an answer.
 * Relative, so the page works wherever the API serves it.
 */
export const ENTRY_POINT = '/';
