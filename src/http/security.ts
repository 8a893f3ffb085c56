import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import helmet from 'helmet';

/** Stands for the nonce while helmet builds the policy once; never sent. */
const NONCE_MARK = 'mashang-nonce-mark-0f3c';

/** helmet's options: the policy and headers every response carries. */
export function helmetOptions(https: boolean): Parameters<typeof helmet>[0] {
  const nonce = (_req: unknown, res: unknown) => `'nonce-${(res as { locals: { cspNonce: string } }).locals.cspNonce}'`;
  return {
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
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 15552000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  };
}

/**
 * The headers helmet sets, in its order, taken once by running it on a stand-in response: every
 * value is fixed but the policy's nonce, so the policy is kept as the text around its nonces.
 */
export function securityHeaders(https: boolean): { fixed: Array<[string, string]>; policy: { name: string; parts: string[] } } {
  const set: Array<[string, string]> = [];
  const res = {
    locals: { cspNonce: NONCE_MARK },
    setHeader: (name: string, value: unknown) => set.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  let failed: unknown;
  helmet(helmetOptions(https))({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => (failed = err));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  const csp = set.find(([name]) => name.toLowerCase() === 'content-security-policy');
  if (!csp || !csp[1].includes(NONCE_MARK)) throw new Error('helmet set no Content-Security-Policy with the nonce');
  return {
    fixed: set.filter((h) => h !== csp),
    policy: { name: csp[0], parts: csp[1].split(NONCE_MARK) },
  };
}

/**
 * Security headers with a fresh CSP nonce per request (res.locals.cspNonce). No 'unsafe-inline'.
 * helmet decides the headers; they are built once, and each response gets them with its own nonce
 * spliced into the policy (helmet would rebuild and revalidate the whole policy on every request).
 */
export function setUpWebSecurity(app: Express, opts: { https: boolean }): void {
  app.use(webSecurity(opts));
  app.disable('x-powered-by');
}

export function webSecurity(opts: { https: boolean }): RequestHandler {
  const set = securityHeaderSetter(opts);
  return (_req, res, next) => {
    set(res);
    next();
  };
}

/** Sets the security headers on a response, with a fresh nonce (also left in res.locals.cspNonce). */
export function securityHeaderSetter(opts: { https: boolean }): (res: ServerResponse & { locals: Record<string, unknown> }) => void {
  const { fixed, policy } = securityHeaders(opts.https);
  const [first, ...rest] = policy.parts as [string, ...string[]];
  return (res) => {
    // randomUUID draws from a pooled CSPRNG: 122 random bits, cheaper than randomBytes per request.
    const nonce = crypto.randomUUID().replaceAll('-', '');
    res.locals.cspNonce = nonce;
    let csp = first;
    for (const part of rest) csp += nonce + part;
    res.setHeader(policy.name, csp);
    for (const [name, value] of fixed) res.setHeader(name, value);
  };
}
