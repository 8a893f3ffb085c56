/**
 * 2026 working-day calendar, from the State Council's notice of 2025-11-04.
 * Only exceptions are listed: holidays (放假) and weekend days that are working days (调休上班).
 * Later years are added by staff or imported; nothing in the code assumes a year.
 */
export interface CalendarDaySeed {
  date: string;
  kind: 'holiday' | 'workday';
  note: string;
}

const holidays: Array<[string, string, string]> = [
  ['2026-01-01', '2026-01-03', '元旦'],
  ['2026-02-15', '2026-02-23', '春节'],
  ['2026-04-04', '2026-04-06', '清明节'],
  ['2026-05-01', '2026-05-05', '劳动节'],
  ['2026-06-19', '2026-06-21', '端午节'],
  ['2026-09-25', '2026-09-27', '中秋节'],
  ['2026-10-01', '2026-10-07', '国庆节'],
];

const workdays: Array<[string, string]> = [
  ['2026-01-04', '元旦调休上班'],
  ['2026-02-14', '春节调休上班'],
  ['2026-02-28', '春节调休上班'],
  ['2026-05-09', '劳动节调休上班'],
  ['2026-09-20', '中秋节调休上班'],
  ['2026-10-10', '国庆节调休上班'],
];

function* daysBetween(from: string, to: string): Generator<string> {
  const d = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  while (d <= end) {
    yield d.toISOString().slice(0, 10);
    d.setUTCDate(d.getUTCDate() + 1);
  }
}

export function calendar2026(): CalendarDaySeed[] {
  const out: CalendarDaySeed[] = [];
  for (const [from, to, note] of holidays) for (const date of daysBetween(from, to)) out.push({ date, kind: 'holiday', note });
  for (const [date, note] of workdays) out.push({ date, kind: 'workday', note });
  return out.sort((a, b) => a.date.localeCompare(b.date));
}
