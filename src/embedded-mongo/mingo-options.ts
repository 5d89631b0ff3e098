/** The options every mingo call in this server uses. */
import type { Options } from 'mingo/types';
import { compileJsonSchema } from './json-schema';
import { BSON_CONTEXT } from './mingo-bson';

/**
 * `scriptEnabled: false`: `$where`, `$function` and `$accumulator` would run client-supplied
 * JavaScript inside this process. MongoDB's own semantics otherwise (strict mode). `context`:
 * mingo's operators with the BSON-aware query operators of mingo-bson.ts (used by the updater,
 * which takes its operators from here; Query and Aggregator come from mingo-bson.ts).
 * `jsonSchemaValidator`: MongoDB's `$jsonSchema` (json-schema.ts), which mingo calls for the operator.
 */
export const QUERY_OPTIONS: Partial<Options> = Object.freeze({
  scriptEnabled: false,
  useStrictMode: true,
  context: BSON_CONTEXT,
  jsonSchemaValidator: (schema: unknown) => compileJsonSchema(schema),
});
