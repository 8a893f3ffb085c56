/**
 * China time (Asia/Shanghai, UTC+8 all year: China has no daylight saving). Calendar dates
 * 'YYYY-MM-DD' in the code are China dates; instants are stored as UTC ISO strings.
 */

export const CHINA_UTC_OFFSET_HOURS = 8;
const OFFSET_MS = CHINA_UTC_OFFSET_HOURS * 3600 * 1000;

/** The China-time calendar date of an instant. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** Today in China: at 23:59 UTC it is already tomorrow; at 23:59 in Shanghai it is still today. */
export function chinaToday(now: Date = new Date()): string {
  return chinaDate(now);
}

/** The instant a China-time date begins (00:00 +08:00). */
export function startOfChinaDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00+08:00`));
}

/** The instant at the end of a China-time date (23:59:59.999 +08:00). */
export function endOfChinaDay(date: string): Date {
  return new Date(Date.parse(`${date}T23:59:59.999+08:00`));
}

export interface ChinaClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  hours: number;
  minutes: number;
}

/** The time of day in China at an instant, HH:MM:SS. */
export function chinaTimeOfDay(at: Date | string): string {
  return new Date((typeof at === 'string' ? Date.parse(at) : at.getTime()) + OFFSET_MS).toISOString().slice(11, 19);
}

/** What a clock and a wall calendar in China show at an instant (a Date or an ISO string). */
export function chinaClock(at: Date | string): ChinaClock {
  const d = new Date((typeof at === 'string' ? Date.parse(at) : at.getTime()) + OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
  };
}
