/** The entry point `/`. */
import type { Request, Response } from 'express';
import { checkAccessToken } from '../controllers/authController';
import { callerRootLinks, describedByLinks, rootLinks } from '../controllers/hateoasController';
import { logOf } from '../logger';
import { bearerTokenOf } from '../middlewares/verifyToken';
import { addLinks, sendRepresentation } from './respond';

/**
 * The id of the caller a valid bearer token names, or undefined: the entry point never refuses a
 * token (no 401 here), it only offers less. The check is verifyToken's (the same 1 s user cache,
 * so a known caller costs no database round trip). A failing database lookup is not the
 * client's fault and `/` needs no database: answered as without a token, and logged.
 */
async function optionalCallerId(req: Request): Promise<string | undefined> {
  const header = req.get('authorization');
  const token = header === undefined ? undefined : bearerTokenOf(header);
  if (token === undefined) return undefined;
  try {
    const check = await checkAccessToken(token);
    return check.ok ? check.caller.id : undefined;
  } catch (err) {
    logOf(req).warn({ event: 'root.token_check_failed', err }, 'GET / could not check the token; answered without the caller links');
    return undefined;
  }
}

/**
 * GET / — the welcome message and the links a client starts from (with the OpenAPI document as
 * `service-desc` and its page as `service-doc`, also in the `Link` header). With a valid token the `Link`
 * header adds the caller's `profile` and `notes` (issue 13: no dead ends; the JSON body is the
 * same for everybody), and the answer becomes private. It varies with `Authorization` either way.
 */
export async function getRoot(req: Request, res: Response): Promise<void> {
  res.vary('Authorization');
  // RFC 8631: the description and its documentation, in the Link header as well as in the body.
  addLinks(res, describedByLinks());
  const callerId = await optionalCallerId(req);
  if (callerId !== undefined) addLinks(res, callerRootLinks(callerId));
  sendRepresentation(req, res, { message: 'Welcome to the Thunder Notes API.', links: rootLinks() }, { isPrivate: callerId !== undefined });
}
