import pino from 'pino';

/** Plate and case tokens are secrets: keep them out of logs, also inside back= and next= values. */
export function redactTokens(url: string): string {
  return url.replace(/(\/|%2F)(p|v|track|qr)(\/|%2F)[A-Za-z0-9_-]+/gi, '$1$2$3…');
}

/** An error as pino would log it, with any token in its message or stack taken out. */
export function redactError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactTokens(err) : err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (typeof v === 'string') out[k] = redactTokens(v);
  return out;
}
