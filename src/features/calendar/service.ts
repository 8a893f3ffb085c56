import type { UnitOfWork } from '../../db/unit-of-work.js';
import type { CalendarDay, CalendarRepo } from './repo.js';
import { addWorkingDays, type DayKind } from './workdays.js';
import { addDays } from '../../domain/dates.js';
import { chinaDate, endOfChinaDay } from '../../domain/time.js';

/** Working-day arithmetic over the calendar table (editable, importable; never hard-coded). */
export function createCalendarService(repo: CalendarRepo, uow: UnitOfWork) {
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
    /** The entries of these dates (those that have one). */
    days: (dates: string[]): CalendarDay[] => repo.byDates(dates),
    /** Every entry, by date. */
    allDays: (): CalendarDay[] => repo.all(),
    /** Adds or changes several days' entries, all or none. */
    setDays(days: CalendarDay[]): void {
      uow.runSync(() => {
        for (const d of days) repo.upsert(d);
      });
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
