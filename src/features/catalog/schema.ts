import { z } from 'zod';
import { MAX_QUERY_LENGTH } from './search.js';

const flag = z
  .union([z.literal('1'), z.literal('on'), z.literal('true')])
  .optional()
  .catch(undefined)
  .transform((v) => v !== undefined);

/** /services query string. Anything malformed falls back to a sensible default rather than an error. */
export const catalogQuery = z.object({
  q: z
    .string()
    .optional()
    .catch(undefined)
    .transform((v) => (v ?? '').trim()),
  theme: z
    .string()
    .regex(/^\d{3}$/)
    .optional()
    .catch(undefined),
  online: flag,
  hf: flag,
  page: z.coerce.number().int().min(1).max(1000).optional().catch(undefined),
});

/** The 码上办 picker's search box. */
export const pickerQuery = z.object({
  q: z
    .string()
    .optional()
    .catch(undefined)
    .transform((v) =>
      Array.from((v ?? '').trim())
        .slice(0, MAX_QUERY_LENGTH)
        .join(''),
    ),
});

export type CatalogQuery = z.output<typeof catalogQuery>;

export const itemCode = z.string().regex(/^[0-9A-Za-z]{6,40}$/);

export { MAX_QUERY_LENGTH };
