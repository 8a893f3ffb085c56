import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DayKind } from './workdays.js';

export interface CalendarDay {
  date: string;
  kind: DayKind;
  note: string;
}

export function createCalendarRepo(db: Database) {
  return {
    between: async (from: string, to: string) =>
      db.all<CalendarDay>(sql`SELECT date, kind, note FROM calendar_days WHERE date BETWEEN ${from} AND ${to} ORDER BY date`),
    upsert: async (d: CalendarDay) =>
      db.run(
        sql`INSERT INTO calendar_days (date, kind, note) VALUES (${d.date}, ${d.kind}, ${d.note})
            ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, note = excluded.note`,
      ),
    remove: async (date: string) => (await db.run(sql`DELETE FROM calendar_days WHERE date = ${date}`)).changes === 1,
    byDates: async (dates: string[]) =>
      dates.length === 0
        ? []
        : (db.q.selectFrom('calendar_days').select(['date', 'kind', 'note']).where('date', 'in', dates).execute() as Promise<CalendarDay[]>),
    all: async () => db.all<CalendarDay>(sql`SELECT date, kind, note FROM calendar_days ORDER BY date`),
  };
}

export type CalendarRepo = ReturnType<typeof createCalendarRepo>;
