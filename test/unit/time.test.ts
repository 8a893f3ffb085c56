import { describe, expect, it } from 'vitest';
import { chinaClock, chinaDate, chinaToday, endOfChinaDay, startOfChinaDay } from '../../src/domain/time.js';

describe('today in China', () => {
  it('at 23:59 in Shanghai it is still today, although UTC is 15:59 the same day', () => {
    expect(chinaToday(new Date('2026-11-30T23:59:00+08:00'))).toBe('2026-11-30');
    expect(chinaToday(new Date('2026-11-30T15:59:00Z'))).toBe('2026-11-30');
  });

  it('at 00:00 in Shanghai it is the next day, while UTC is still on the previous one', () => {
    expect(chinaToday(new Date('2026-12-01T00:00:00+08:00'))).toBe('2026-12-01');
    expect(chinaToday(new Date('2026-11-30T16:00:00Z'))).toBe('2026-12-01');
  });

  it('at 23:59 UTC it is already 07:59 the next morning in China', () => {
    expect(chinaToday(new Date('2026-11-30T23:59:00Z'))).toBe('2026-12-01');
    expect(chinaClock(new Date('2026-11-30T23:59:00Z'))).toMatchObject({ day: 1, month: 12, hours: 7, minutes: 59 });
  });

  it('crosses the year and a leap day in China time', () => {
    expect(chinaDate(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
    expect(chinaDate(new Date('2028-02-28T16:30:00Z'))).toBe('2028-02-29');
    expect(chinaDate(new Date('2027-02-28T16:30:00Z'))).toBe('2027-03-01');
  });

  it('without an instant, is the date of now', () => {
    const before = chinaDate(new Date());
    const today = chinaToday();
    expect([before, chinaDate(new Date())]).toContain(today);
  });
});

describe('the edges of a China day', () => {
  it('starts at 16:00 UTC the day before and ends at 15:59:59.999 UTC', () => {
    expect(startOfChinaDay('2026-12-01').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(endOfChinaDay('2026-12-01').toISOString()).toBe('2026-12-01T15:59:59.999Z');
    expect(chinaDate(startOfChinaDay('2028-02-29'))).toBe('2028-02-29');
    expect(chinaDate(endOfChinaDay('2028-02-29'))).toBe('2028-02-29');
  });
});

describe('the clock on the wall in China', () => {
  it('reads an ISO string or a Date the same way, weekday included', () => {
    const c = chinaClock('2026-12-01T01:05:00Z');
    expect(c).toEqual({ year: 2026, month: 12, day: 1, weekday: 2, hours: 9, minutes: 5 });
    expect(chinaClock(new Date('2026-12-01T01:05:00Z'))).toEqual(c);
  });
});
