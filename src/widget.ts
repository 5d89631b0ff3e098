/**
 * Code on demand (issue 15): the "my latest notes" widget, a script the API serves for any web
 * page to load and run (client/widget/latest-notes.js), and a demo page that does
 * (client/widget/demo.html). Both are static files served with the bundled page under
 * `/client/widget/`; this module names them and sets what the script needs to be embeddable
 * by other sites. `/` links to them (rels `widget` and `widget-demo`).
 */
import type { ServerResponse } from 'node:http';
import path from 'node:path';

/** The widget's files, as paths under `/client`. */
export const WIDGET_FILES = ['/widget/latest-notes.js', '/widget/demo.html', '/widget/demo.js', '/widget/demo.css'] as const;

const SCRIPT = path.join('widget', 'latest-notes.js');

/**
 * The script may run on other origins' pages: helmet's `Cross-Origin-Resource-Policy:
 * same-origin` would make browsers refuse it there, so the script (only it) is `cross-origin`.
 * What it reads with the caller's token it reads by CORS, which the API allows for any origin.
 */
export function setWidgetHeaders(res: ServerResponse, filePath: string): void {
  if (filePath.endsWith(SCRIPT)) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
}
