import type { z } from 'zod';
import type { FieldError } from '../errors.js';

/**
 * zod issues → the errors a form shows in its summary and beside each field: the first message of
 * each field, linking to the field's element `#${hrefPrefix}${field}`. An issue about the whole
 * input (no path) is named `fallbackField`.
 */
export function fieldErrors(error: z.ZodError, opts: { hrefPrefix?: string; fallbackField?: string } = {}): FieldError[] {
  const prefix = opts.hrefPrefix ?? '';
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? opts.fallbackField ?? 'form');
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, text: issue.message, href: `#${prefix}${field}` });
  }
  return out;
}
