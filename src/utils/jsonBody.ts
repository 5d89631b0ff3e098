/**
 * How the API writes JSON bodies (issue 15): indented by two spaces in development, so `curl`
 * shows a learner readable answers, and compact elsewhere (smaller, and what clients and caches
 * have always received). Everything that sends a representation or computes its ETag serializes
 * through here, so an ETag is always the hash of the bytes this environment sends, and a
 * conditional write compares a client's tag with the same serialization.
 */
import { config } from '../config';

const indent = config.prettyJson ? 2 : undefined;

/** The body text of a JSON value, as this environment sends it. */
export function toJsonBody(value: unknown): string {
  return JSON.stringify(value, null, indent);
}
