import type { Db } from '../../db/index.js';
import type { DayKind } from './workdays.js';

export interface CalendarDay {
  date: string;
  kind: DayKind;
  note: string;
}

export function createCalendarRepo(db: Db) {
  const range = db.prepare('SELECT date, kind, note FROM calendar_days WHERE date BETWEEN ? AND ? ORDER BY date');
  const upsert = db.prepare(
    'INSERT INTO calendar_days (date, kind, note) VALUES (?, ?, ?) ON CONFLICT(date) DO UPDATE SET kind = excluded.kind, note = excluded.note',
  );
  const remove = db.prepare('DELETE FROM calendar_days WHERE date = ?');
  const byDates = db.prepare('SELECT date, kind, note FROM calendar_days WHERE date IN (SELECT value FROM json_each(?))');
  const all = db.prepare('SELECT date, kind, note FROM calendar_days ORDER BY date');
  return {
    between: (from: string, to: string) => range.all(from, to) as CalendarDay[],
    upsert: (d: CalendarDay) => upsert.run(d.date, d.kind, d.note),
    remove: (date: string) => remove.run(date).changes === 1,
    byDates: (dates: string[]) => byDates.all(JSON.stringify(dates)) as CalendarDay[],
    all: () => all.all() as CalendarDay[],
  };
}

export type CalendarRepo = ReturnType<typeof createCalendarRepo>;
