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
  return {
    between: (from: string, to: string) => range.all(from, to) as CalendarDay[],
    upsert: (d: CalendarDay) => upsert.run(d.date, d.kind, d.note),
    remove: (date: string) => remove.run(date).changes === 1,
  };
}

export type CalendarRepo = ReturnType<typeof createCalendarRepo>;
