const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True when `s` is a date written yyyy-mm-dd that exists on the calendar: 2028-02-29 does,
 * 2026-02-30 and 2026-13-45 do not (Date.parse rolls the first over into March and the second is NaN).
 */
export function isRealDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = s.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/**
 * A date as spreadsheets and people write it, made yyyy-mm-dd: 2027/1/1 and 2027-1-1 become
 * 2027-01-01. Anything else is returned as it is (and then fails `isRealDate`).
 */
export function normaliseDate(raw: string): string {
  return raw
    .trim()
    .replace(/\//g, '-')
    .replace(/^(\d{4})-(\d{1,2})-(\d{1,2})$/, (_, y: string, m: string, d: string) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`);
}

/** The calendar date n days after (or before, when negative) a yyyy-mm-dd date. */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
