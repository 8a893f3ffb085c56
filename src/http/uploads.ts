import fs from 'node:fs';
import type { RequestHandler } from 'express';
import multer from 'multer';
import { CsrfError, NulInputError, UploadError } from '../errors.js';
import { holdsNul } from './input.js';

/**
 * Why a multipart body could not be read. `tooBig`: a file over the size limit; `tooMany`: more
 * files than the form takes, or a file under another name; `tooLong`: a field over its size or
 * more fields than the form has; `broken`: a body cut off (a phone losing signal mid-upload), no
 * boundary, a part header that cannot be read.
 */
export type UploadProblem = 'tooBig' | 'tooMany' | 'tooLong' | 'broken';

export function uploadProblemOf(err: unknown): UploadProblem {
  if (!(err instanceof multer.MulterError)) return 'broken';
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return 'tooBig';
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return 'tooMany';
    case 'LIMIT_FIELD_KEY':
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return 'tooLong';
    default:
      return 'broken';
  }
}

/** A disk that cannot take the file is the server's fault, not the client's. */
const STORAGE_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EIO']);

/**
 * Runs a multer middleware and turns anything that goes wrong while reading the body into
 * `res.locals.uploadProblem` for the route to show beside the field, keeping the fields read so
 * far (the villager's typing) in req.body; the route then ignores any file. Every such fault is the client's:
 * a 4xx page, never a 500. A storage fault (a full disk) stays an error. Files multer wrote to disk
 * are removed once the response is over, whatever the route did with them.
 */
export function receiveUpload(upload: RequestHandler): RequestHandler {
  return (req, res, next) => {
    upload(req, res, (err?: unknown) => {
      if (err && STORAGE_FAULTS.has(String((err as NodeJS.ErrnoException).code))) {
        next(err);
        return;
      }
      if (err) {
        // req.files is left as it is: multer may still be tidying it up, and removes those files itself.
        res.locals.uploadProblem = uploadProblemOf(err);
        req.body ??= {};
        next(holdsNul(req.body) ? new NulInputError() : undefined);
        return;
      }
      const files = [...(req.file ? [req.file] : []), ...(Array.isArray(req.files) ? req.files : Object.values(req.files ?? {}).flat())];
      const stored = files.map((f) => f.path).filter((p): p is string => typeof p === 'string');
      if (stored.length) res.once('close', () => stored.forEach((p) => fs.rm(p, { force: true }, () => {})));
      next(holdsNul(req.body) ? new NulInputError() : undefined);
    });
  };
}

/**
 * The CSRF check for a multipart form. When the body could not be read, the token may be in the
 * part that never arrived: that is a broken upload (400, say so), not an expired page (403).
 * Nothing is done with such a request either way.
 */
export function protectUpload(protect: RequestHandler): RequestHandler {
  return (req, res, next) => {
    protect(req, res, (err?: unknown) => {
      const problem = res.locals.uploadProblem as UploadProblem | undefined;
      if (err instanceof CsrfError && problem) next(new UploadError(problem));
      else next(err);
    });
  };
}
