import type { Db } from '../../db/index.js';
import type { DayKind } from './workdays.js';

export interface CalendarDay {
  date: string;
  kind: DayKind;
  note: string;
}

export function createCalendarRepo(db: Db) {
  const range = db.prepare('SELECT date, kind, note FROM calendar_days WHERE date BETWEEN ? AND ? ORDER BY date');
  return {
    between: (from: string, to: string) => range.all(from, to) as CalendarDay[],
  };
}

export type CalendarRepo = ReturnType<typeof createCalendarRepo>;
