import type { Express } from 'express';
import cookieParser from 'cookie-parser';

/**
 * Parses cookies, keeping only plain string values. cookie-parser turns a value written `j:{…}`
 * into an object, which no cookie of this app is, and which express-session and the CSRF check
 * would read as a string (a 500 from a single crafted cookie).
 */
export function setUpCookies(app: Express): void {
  app.use(cookieParser());
  app.use((req, _res, next) => {
    const parsed = req.cookies as Record<string, unknown> | undefined;
    const clean: Record<string, string> = Object.create(null) as Record<string, string>;
    if (parsed) for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') clean[k] = v;
    req.cookies = clean;
    next();
  });
}
