/** Plate and case tokens and Open311 API keys are secrets: keep them out of logs, also inside back= and next= values. */
export function redactTokens(url: string): string {
  return url.replace(/(\/|%2F)(p|v|track|qr)(\/|%2F)[A-Za-z0-9_-]+/gi, '$1$2$3…').replace(/([?&]api_key=)[^&#]*/gi, '$1…');
}

/**
 * The same error with any token taken out of its message and stack: a copy of the same class, so
 * pino logs its type, own fields (code, status) and stack as usual.
 */
export function redactError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactTokens(err) : err;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err);
  copy.message = redactTokens(err.message);
  if (err.stack) copy.stack = redactTokens(err.stack);
  return copy;
}
