import type { UnitOfWork } from '../../db/unit-of-work.js';
import type { CalendarDay, CalendarRepo } from './repo.js';
import { addWorkingDays, isWorkingDay, type DayKind } from './workdays.js';
import { addDays } from '../../domain/dates.js';
import { chinaDate, endOfChinaDay } from '../../domain/time.js';

/** Working-day arithmetic over the calendar table (editable, importable; never hard-coded). */
export function createCalendarService(repo: CalendarRepo, uow: UnitOfWork) {
  const exceptions = async (from: string, to: string) => new Map((await repo.between(from, to)).map((d) => [d.date, d.kind as DayKind]));
  return {
    /** The deadline n working days after the instant `from`: the end of that China-time day. */
    async dueAfter(from: Date, workingDays: number): Promise<Date> {
      const start = chinaDate(from);
      // n working days never span more than ~2n + 30 calendar days, even across the Spring Festival.
      const ex = await exceptions(start, addDays(start, workingDays * 2 + 40));
      return endOfChinaDay(addWorkingDays(start, workingDays, ex));
    },
    /** Whether a China-time date ('YYYY-MM-DD') is a working day: weekdays less holidays, plus make-up workdays (调休). */
    isWorkingDay: async (date: string): Promise<boolean> => isWorkingDay(date, await exceptions(date, date)),
    /** The holidays and make-up workdays of a year. */
    year: (year: number) => repo.between(`${year}-01-01`, `${year}-12-31`),
    /** Adds or changes one day's entry (放假 or 调休上班). */
    setDay: async (d: { date: string; kind: DayKind; note: string }): Promise<void> => {
      await repo.upsert(d);
    },
    removeDay: (date: string) => repo.remove(date),
    /** The entries of these dates (those that have one). */
    days: (dates: string[]): Promise<CalendarDay[]> => repo.byDates(dates),
    /** Every entry, by date. */
    allDays: (): Promise<CalendarDay[]> => repo.all(),
    /** Adds or changes several days' entries, all or none. */
    async setDays(days: CalendarDay[]): Promise<void> {
      await uow.run(async () => {
        for (const d of days) await repo.upsert(d);
      });
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
