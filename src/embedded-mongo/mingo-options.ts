/** The options every mingo call in this server uses. */
import type { Options } from 'mingo/types';

/**
 * `scriptEnabled: false`: `$where`, `$function` and `$accumulator` would run client-supplied
 * JavaScript inside this process. MongoDB's own semantics otherwise (strict mode).
 */
export const QUERY_OPTIONS: Partial<Options> = Object.freeze({ scriptEnabled: false, useStrictMode: true });
