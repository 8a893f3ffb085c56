import crypto from 'node:crypto';
import type { Express, Response } from 'express';
import helmet from 'helmet';

/** Security headers with a fresh CSP nonce per request (res.locals.cspNonce). No 'unsafe-inline'. */
export function setUpWebSecurity(app: Express, opts: { https: boolean }): void {
  app.use((_req, res, next) => {
    // randomUUID draws from a pooled CSPRNG: 122 random bits, cheaper than randomBytes per request.
    res.locals.cspNonce = crypto.randomUUID().replaceAll('-', '');
    next();
  });
  const nonce = (_req: unknown, res: unknown) => `'nonce-${(res as Response).locals.cspNonce as string}'`;
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", nonce],
          styleSrc: ["'self'", nonce],
          // blob: lets the photo forms read a picked photo to shrink it in the phone (static/js/photos.js).
          imgSrc: ["'self'", 'data:', 'blob:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
          ...(opts.https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: opts.https ? { maxAge: 15552000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.disable('x-powered-by');
}
