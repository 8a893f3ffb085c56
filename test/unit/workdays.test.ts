import { describe, expect, it } from 'vitest';
import { demoCalendar } from '../helpers/demo-data.js';
import { addWorkingDays, isWorkingDay, workingDaysBetween } from '../../src/features/calendar/workdays.js';
import { chinaDate, endOfChinaDay } from '../../src/domain/time.js';
import { yellowBefore as yb } from '../../src/features/calendar/workdays.js';

const ex = new Map(demoCalendar().map((d) => [d.date, d.kind]));

describe('working days from the calendar table', () => {
  it('a weekend is skipped: Friday + 1 = Monday, Saturday + 1 = Monday', () => {
    expect(addWorkingDays('2026-11-27', 1, ex)).toBe('2026-11-30');
    expect(addWorkingDays('2026-11-28', 1, ex)).toBe('2026-11-30');
    expect(addWorkingDays('2026-11-23', 5, ex)).toBe('2026-11-30');
  });

  it('holidays are skipped: 30 Sep + 1 lands after the National Day week, on the make-up Saturday', () => {
    expect(isWorkingDay('2026-10-01', ex)).toBe(false);
    expect(addWorkingDays('2026-09-30', 1, ex)).toBe('2026-10-08');
    expect(addWorkingDays('2026-10-09', 1, ex)).toBe('2026-10-10');
  });

  it('a make-up workday (调休) counts although it is a weekend day', () => {
    expect(isWorkingDay('2026-02-14', ex)).toBe(true); // Saturday before the Spring Festival
    expect(addWorkingDays('2026-02-13', 1, ex)).toBe('2026-02-14');
    expect(addWorkingDays('2026-02-14', 1, ex)).toBe('2026-02-24'); // across the 9-day Spring Festival
    expect(isWorkingDay('2026-01-04', ex)).toBe(true); // Sunday
  });

  it('without calendar entries, Monday to Friday are working days', () => {
    const none = new Map();
    expect(addWorkingDays('2027-01-01', 1, none)).toBe('2027-01-04');
    expect(workingDaysBetween('2027-01-01', '2027-01-08', none)).toBe(5);
  });

  it('refuses a non-positive count', () => {
    expect(() => addWorkingDays('2026-11-27', 0, ex)).toThrow(RangeError);
  });

  it('uses China time: 23:30 UTC on the 27th is the 28th in China', () => {
    expect(chinaDate(new Date('2026-11-27T23:30:00Z'))).toBe('2026-11-28');
    expect(endOfChinaDay('2026-11-30').toISOString()).toBe('2026-11-30T15:59:59.999Z');
  });

  it('yellow starts at 13:30 China time on the day a case is due: the last 4 working hours', () => {
    // 13:29 China time on 2026-12-01: only what was due by the end of yesterday (already red) counts.
    expect(yb(new Date('2026-12-01T05:29:00Z')).toISOString()).toBe(endOfChinaDay('2026-11-30').toISOString());
    // 13:30: today's deadlines are yellow; tomorrow's are not.
    expect(yb(new Date('2026-12-01T05:30:00Z')).toISOString()).toBe(endOfChinaDay('2026-12-01').toISOString());
    // Just after midnight China time (16:05 UTC the day before).
    expect(yb(new Date('2026-11-30T16:05:00Z')).toISOString()).toBe(endOfChinaDay('2026-11-30').toISOString());
  });
});
