import { describe, expect, it } from 'vitest';
import { addDays, isRealDate, normaliseDate } from '../../src/domain/dates.js';

describe('isRealDate', () => {
  it('accepts dates that exist, leap days of leap years included', () => {
    for (const d of ['2026-01-01', '2026-12-31', '2028-02-29', '2000-02-29', '2026-04-30']) expect(isRealDate(d), d).toBe(true);
  });

  it('refuses impossible days and months, other shapes and non-strings', () => {
    for (const d of [
      '2026-02-30',
      '2026-13-45',
      '2026-00-10',
      '2026-01-00',
      '2026-04-31',
      '2025-02-29',
      '1900-02-29',
      '2026-1-5',
      '2026-01-01T00:00',
      ' 2026-01-01',
      '',
      null,
      undefined,
      ['2026-01-01'],
      20260101,
    ]) {
      expect(isRealDate(d), String(d)).toBe(false);
    }
  });
});

describe('normaliseDate', () => {
  it('writes 2027/1/1 and 2027-1-1 as 2027-01-01, and leaves other text alone', () => {
    expect(normaliseDate('2027/1/1')).toBe('2027-01-01');
    expect(normaliseDate('2027-1-9')).toBe('2027-01-09');
    expect(normaliseDate(' 2028/02/29 ')).toBe('2028-02-29');
    expect(normaliseDate('1/1/2027')).toBe('1-1-2027');
    expect(isRealDate(normaliseDate('2027/2/29'))).toBe(false);
    expect(isRealDate(normaliseDate('2028/2/29'))).toBe(true);
  });
});

describe('addDays', () => {
  it('counts across month ends, leap days and years, both ways', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-11-30', -29)).toBe('2026-11-01');
  });
});
