import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { redactError, redactTokens } from './redact.js';
import type { Translate } from '../i18n/index.js';
import {
  ActionNotAllowedError,
  AlreadyExtendedError,
  AlreadyRatedError,
  AppError,
  ConflictError,
  CsrfError,
  NulInputError,
  NotFoundError,
  ReopenClosedError,
  SpamError,
  StaleVersionError,
  UploadError,
  ValidationError,
} from '../errors.js';

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError());
};

interface ErrorPage {
  title: string;
  body: string;
}

/** Who reads the page: a villager, or someone signed in to the back office. */
export type Audience = 'resident' | 'office';

/** What each conflict says, to villagers and to the back office (keys of the dictionary). */
const CONFLICT_TEXT: ReadonlyArray<readonly [abstract new (...args: never[]) => ConflictError, Record<Audience, string>]> = [
  [StaleVersionError, { resident: 'cases.errors.stale', office: 'admin.case.stale' }],
  [ActionNotAllowedError, { resident: 'cases.errors.notAllowed', office: 'admin.case.notAllowed' }],
  [AlreadyExtendedError, { resident: 'cases.errors.notAllowed', office: 'admin.case.alreadyExtended' }],
  [AlreadyRatedError, { resident: 'cases.errors.alreadyRated', office: 'cases.errors.alreadyRated' }],
  [ReopenClosedError, { resident: 'cases.errors.reopenClosed', office: 'cases.errors.reopenClosed' }],
];

/** The sentence a conflict is explained with, beside the form that caused it or on the error page. */
export function conflictText(err: ConflictError, t: Translate, audience: Audience): string {
  const found = CONFLICT_TEXT.find(([type]) => err instanceof type);
  return t(found ? found[1][audience] : 'cases.errors.notAllowed');
}

/** The page for an error: its title and what it says. */
export function errorPage(err: unknown, status: number, t: Translate, audience: Audience): ErrorPage {
  if (err instanceof CsrfError) return { title: t('errors.csrfTitle'), body: t('errors.csrfBody') };
  if (err instanceof UploadError) return { title: t('errors.uploadTitle'), body: t('errors.uploadBody') };
  if (err instanceof NulInputError) return { title: t('errors.badRequestTitle'), body: t('errors.nulBody') };
  if (err instanceof SpamError) return { title: t('errors.badRequestTitle'), body: t('errors.badRequestBody') };
  if (err instanceof ValidationError && err.errors.length > 0) return { title: t('errors.badRequestTitle'), body: err.errors.map((e) => e.text).join(' ') };
  if (err instanceof ConflictError) return { title: t('errors.conflictTitle'), body: conflictText(err, t, audience) };
  if (status === 404) return { title: t('errors.notFoundTitle'), body: t('errors.notFoundBody') };
  if (status === 403) return { title: t('errors.forbiddenTitle'), body: t('errors.forbiddenBody') };
  if (status === 429) return { title: t('errors.tooManyTitle'), body: t('errors.tooManyLater') };
  if (status < 500) return { title: t('errors.badRequestTitle'), body: t('errors.badRequestBody') };
  return { title: t('errors.serverTitle'), body: t('errors.serverBody') };
}

/** One place that turns errors into a status and a page. Stacks are shown only outside production. */
export function errorHandler(opts: { logger: Logger; showStack: boolean }): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = statusOf(err);
    if (status >= 500) opts.logger.error({ err: redactError(err), url: redactTokens(req.originalUrl) }, 'request failed');
    // A signed-in user in the back office stays in the back office's look, with its menu.
    const office = req.path.startsWith('/admin') && !!res.locals.user;
    const page = errorPage(err, status, res.locals.t as Translate, req.path.startsWith('/admin') ? 'office' : 'resident');
    res.status(status);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ error: page.title, status });
      return;
    }
    res.render(office ? 'admin/error' : 'errors/error', {
      ...page,
      status,
      stack: opts.showStack && err instanceof Error ? err.stack : undefined,
    });
  };
}

function statusOf(err: unknown): number {
  if (err instanceof AppError) return err.status;
  if (err && typeof err === 'object') {
    const s = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    if (typeof s === 'number' && s >= 400 && s < 600) return s;
  }
  return 500;
}
