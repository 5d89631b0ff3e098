/** `/openapi.json`: the API's OpenAPI 3.1 description (RFC 8631 `service-desc`), public and cacheable. */
import type { Request, Response } from 'express';
import { openApiDocument } from '../openapi/document';
import { sendPublicBody } from './respond';

let serialized: string | undefined;

/** GET /openapi.json — the document, serialized once; 304 while the client's copy is current. */
export function getOpenApi(req: Request, res: Response): void {
  serialized ??= JSON.stringify(openApiDocument());
  sendPublicBody(req, res, serialized, 'application/json; charset=utf-8');
}
