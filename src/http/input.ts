import express, { type RequestHandler } from 'express';
import { NulInputError } from '../errors.js';

/**
 * Whether a value read from a request holds U+0000: a string, or the arrays and objects a parser
 * makes of them (their keys included). PostgreSQL's text cannot hold it, so such input is refused
 * in one place, on either engine, rather than field by field.
 */
export function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value === null || typeof value !== 'object' || depth > 8) return false;
  if (Array.isArray(value)) return value.some((v) => holdsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\0') || holdsNul(v, depth + 1));
}

/** `%00` in the path or the query string: decoded, it is U+0000 (a raw NUL never gets past Node's HTTP parser). */
const NUL_IN_URL = /%00/;

/**
 * The guard: a request whose URL (path parameters, query) or parsed body holds U+0000 goes on as a
 * NulInputError (400, a page in plain Chinese; Open311 answers it in its own shape). The app runs it
 * on every request's URL; `readForm` and `receiveUpload` run it on every body they read.
 */
export const refuseNul: RequestHandler = (req, _res, next) => {
  next(NUL_IN_URL.test(req.originalUrl) || holdsNul(req.body) ? new NulInputError() : undefined);
};

/** Reads an urlencoded form body, then guards it: the one way a form body is read (multipart: receiveUpload). */
export function readForm(opts: { limit: string; parameterLimit: number }): RequestHandler {
  const parse = express.urlencoded({ extended: false, ...opts });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => (err ? next(err) : refuseNul(req, res, next)));
  };
}
