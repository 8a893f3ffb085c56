import type { Request } from 'express';
import cookieParser from 'cookie-parser';

const parse = cookieParser();
const nothing = () => undefined;

/**
 * Parses the request's cookies into req.cookies, keeping only plain string values. cookie-parser
 * turns a value written `j:{…}` into an object, which no cookie of this app is, and which
 * express-session and the CSRF check would read as a string (a 500 from a single crafted cookie).
 * A request without a Cookie header (a first scan) gets an empty object and nothing else.
 */
export function readCookies(req: Request): void {
  if (!req.headers.cookie) {
    req.cookies = Object.create(null) as Record<string, string>;
    return;
  }
  parse(req, undefined as never, nothing);
  const parsed = req.cookies as Record<string, unknown> | undefined;
  const clean: Record<string, string> = Object.create(null) as Record<string, string>;
  if (parsed) for (const k in parsed) if (typeof parsed[k] === 'string') clean[k] = parsed[k];
  req.cookies = clean;
}
