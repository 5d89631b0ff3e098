/** JSON 404 for paths the API does not know, instead of Express's HTML page. */
import type { RequestHandler } from 'express';
import { AppError } from '../utils/AppError';

/** Answers every request that no route matched with a 404 problem. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError(404, `No resource at '${req.path}'. Start from the entry point '/'.`));
};
