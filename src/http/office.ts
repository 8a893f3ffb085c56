import { Router, type Request, type RequestHandler } from 'express';
import { CsrfError } from '../errors.js';
import type { OfficeRoutes } from '../features/feature.js';
import { requireUser } from './auth.js';
import { readForm } from './input.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const isMultipart = (req: Request): boolean => Boolean(req.is('multipart/*'));

/**
 * The back office, mounted at /admin: one router, one gate, protected by default.
 *
 * 1. `open` routes answer first, without a session: only the sign-in form (it keeps its own rate
 *    limit and CSRF check).
 * 2. Every other request needs a signed-in user (a GET goes to the sign-in page and comes back).
 * 3. A multipart POST/PUT/PATCH/DELETE carries its token inside the upload: it may reach only the
 *    `uploads` routes, which read the body (`receiveUpload`) and then check it (`protectUpload`).
 * 4. Every other POST/PUT/PATCH/DELETE has its urlencoded body read here and must carry a valid
 *    CSRF token; a multipart body that no upload route took is refused the same way.
 * 5. The features' `routes` come last; they add only their roles and scope checks.
 */
export function officeRouter(parts: readonly OfficeRoutes[], opts: { protect: RequestHandler }): Router {
  const office = Router();
  const open = Router();
  const uploads = Router();
  const routes = Router();
  // Only multipart bodies enter the upload routes; anything else leaves that router at once.
  uploads.use((req, _res, next) => next(!SAFE_METHODS.has(req.method) && isMultipart(req) ? undefined : 'router'));
  for (const p of parts) {
    if (p.open) open.use(p.open);
    if (p.uploads) uploads.use(p.uploads);
    if (p.routes) routes.use(p.routes);
  }
  // One reader for every back-office form, as big as the biggest (the catalogue item editor, the
  // user form's lists of places).
  const urlencoded = readForm({ limit: '64kb', parameterLimit: 200 });
  const formToken: RequestHandler = (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (isMultipart(req)) return next(new CsrfError());
    urlencoded(req, res, (err?: unknown) => (err ? next(err) : opts.protect(req, res, next)));
  };

  office.use(open);
  office.use(requireUser());
  office.use(uploads);
  office.use(formToken);
  office.use(routes);
  return office;
}
