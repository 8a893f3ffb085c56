import { describe, expect, it } from 'vitest';
import { isRealDate } from '../../src/domain/dates.js';

describe('isRealDate', () => {
  it('accepts dates that exist, leap days of leap years included', () => {
    for (const d of ['2026-01-01', '2026-12-31', '2028-02-29', '2000-02-29', '2026-04-30']) expect(isRealDate(d), d).toBe(true);
  });

  it('refuses impossible days and months, other shapes and non-strings', () => {
    for (const d of ['2026-02-30', '2026-13-45', '2026-00-10', '2026-01-00', '2026-04-31', '2025-02-29', '1900-02-29', '2026-1-5', '2026-01-01T00:00', ' 2026-01-01', '', null, undefined, ['2026-01-01'], 20260101]) {
      expect(isRealDate(d), String(d)).toBe(false);
    }
  });
});
