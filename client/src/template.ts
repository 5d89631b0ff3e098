/** Fills RFC 6570 templated links (the notes `search` link) with url-template. */
import { parseTemplate } from 'url-template';
import type { Link } from './links';

/** Values for a template; empty strings and undefined are left out of the URL. */
export type TemplateValues = Record<string, string | number | undefined>;

/** Expands a link's href with the given values; a non-templated link is returned as is. */
export function fillTemplate(link: Link, values: TemplateValues): string {
  if (!link.templated) return link.href;
  const defined: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(values)) {
    // An empty search box means "no filter", not "filter by the empty string".
    if (value !== undefined && value !== '') defined[name] = value;
  }
  return parseTemplate(link.href).expand(defined);
}
