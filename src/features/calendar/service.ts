import type { CalendarRepo } from './repo.js';
import { addWorkingDays, type DayKind } from './workdays.js';
import { addDays } from '../../domain/dates.js';
import { chinaDate, endOfChinaDay } from '../../domain/time.js';

/** Working-day arithmetic over the calendar table (editable, importable; never hard-coded). */
export function createCalendarService(repo: CalendarRepo) {
  const exceptions = (from: string, to: string) => new Map(repo.between(from, to).map((d) => [d.date, d.kind as DayKind]));
  return {
    /** The deadline n working days after the instant `from`: the end of that China-time day. */
    dueAfter(from: Date, workingDays: number): Date {
      const start = chinaDate(from);
      // n working days never span more than ~2n + 30 calendar days, even across the Spring Festival.
      const ex = exceptions(start, addDays(start, workingDays * 2 + 40));
      return endOfChinaDay(addWorkingDays(start, workingDays, ex));
    },
    /** The holidays and make-up workdays of a year. */
    year: (year: number) => repo.between(`${year}-01-01`, `${year}-12-31`),
    /** Adds or changes one day's entry (放假 or 调休上班). */
    setDay: (d: { date: string; kind: DayKind; note: string }) => {
      repo.upsert(d);
    },
    removeDay: (date: string) => repo.remove(date),
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
