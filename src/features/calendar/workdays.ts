/**
 * Working days (工作日) in China: Monday to Friday, less holidays (放假), plus the weekend days
 * declared working days (调休上班). Dates are local calendar dates 'YYYY-MM-DD' in China time.
 */
import { addDays } from '../../domain/dates.js';
import { chinaClock, chinaDate, endOfChinaDay } from '../../domain/time.js';

export type DayKind = 'holiday' | 'workday';

/** Exceptions to the weekly pattern, by date. */
export type Exceptions = ReadonlyMap<string, DayKind>;

/**
 * The yellow flag's edge. Deadlines fall at the end of a working day, and the office works
 * 8:30–17:30: a case turns yellow in the last 4 working hours before its deadline, from 13:30 China
 * time on the day it is due. Returns the latest deadline that is yellow at `at` (everything due by
 * then and not yet past is yellow): today's end from 13:30 on, else yesterday's (none).
 */
export const YELLOW_FROM_MINUTES = 13 * 60 + 30;
export function yellowBefore(at: Date): Date {
  const today = chinaDate(at);
  const clock = chinaClock(at);
  const minutes = clock.hours * 60 + clock.minutes;
  return endOfChinaDay(minutes >= YELLOW_FROM_MINUTES ? today : addDays(today, -1));
}

export function isWorkingDay(date: string, exceptions: Exceptions): boolean {
  const kind = exceptions.get(date);
  if (kind === 'holiday') return false;
  if (kind === 'workday') return true;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The date n working days after `date`, not counting `date` itself: a case filed on a Friday
 * with one working day to answer is due on Monday; one filed on a Saturday is due on Monday too.
 */
export function addWorkingDays(date: string, n: number, exceptions: Exceptions): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`working days must be a positive whole number, got ${n}`);
  let d = date;
  let left = n;
  for (let guard = 0; guard < 3660; guard++) {
    d = addDays(d, 1);
    if (isWorkingDay(d, exceptions) && --left === 0) return d;
  }
  throw new RangeError('no working day found within ten years');
}

/** Working days from `from` (exclusive) to `to` (inclusive); 0 when `to` is not after `from`. */
export function workingDaysBetween(from: string, to: string, exceptions: Exceptions): number {
  let count = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (isWorkingDay(d, exceptions)) count++;
  return count;
}
