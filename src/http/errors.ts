import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { redactError, redactTokens } from './redact.js';
import { AppError, ConflictError, CsrfError, NotFoundError, UploadError, ValidationError } from '../errors.js';

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError());
};

interface ErrorPage {
  title: string;
  body: string;
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
    const t = res.locals.t;
    const page: ErrorPage =
      err instanceof CsrfError
        ? { title: t('errors.csrfTitle'), body: t('errors.csrfBody') }
        : err instanceof UploadError
          ? { title: t('errors.uploadTitle'), body: t('errors.uploadBody') }
        : err instanceof ValidationError && err.errors.length > 0
          ? { title: t('errors.badRequestTitle'), body: err.errors.map((e) => e.text).join(' ') }
        : err instanceof ConflictError
          ? { title: t('errors.conflictTitle'), body: t('cases.errors.notAllowed') }
          : status === 404
        ? { title: t('errors.notFoundTitle'), body: t('errors.notFoundBody') }
        : status === 403
          ? { title: t('errors.forbiddenTitle'), body: t('errors.forbiddenBody') }
          : status === 429
            ? { title: t('errors.tooManyTitle'), body: t('errors.tooManyLater') }
            : status < 500
              ? { title: t('errors.badRequestTitle'), body: t('errors.badRequestBody') }
              : { title: t('errors.serverTitle'), body: t('errors.serverBody') };
    res.status(status);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ error: page.title, status });
      return;
    }
    // A signed-in user in the back office stays in the back office's look, with its menu.
    res.render(req.path.startsWith('/admin') && res.locals.user ? 'admin/error' : 'errors/error', {
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
