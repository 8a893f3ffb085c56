import { describe, expect, it } from 'vitest';
import { isLandline, isMobile, isOfficePhoneText, maskPhone, normalisePhone, parseMobile, PHONE_IN_TEXT, telHref } from '../../src/domain/phone.js';

describe('normalising a phone number as people write it', () => {
  it('drops +86 / 0086, spaces, dashes and full-width digits', () => {
    for (const raw of [
      '13912345678',
      '+8613912345678',
      '+86 139 1234 5678',
      '0086-139-1234-5678',
      '139-1234-5678',
      ' 139 1234 5678 ',
      '１３９１２３４５６７８',
      '＋８６ １３９１２３４５６７８',
      '139\u30001234\u30005678',
    ]) {
      expect(normalisePhone(raw), raw).toBe('13912345678');
      expect(parseMobile(raw), raw).toBe('13912345678');
    }
  });

  it('keeps a +86 or 0086 that is not at the start, and a landline as it is', () => {
    expect(normalisePhone('139+8612345')).toBe('139+8612345');
    expect(normalisePhone('0537-1234567')).toBe('05371234567');
  });
});

describe('the mainland mobile check', () => {
  it('accepts 11 digits starting 13–19', () => {
    for (const n of ['13012345678', '15912345678', '19900001234', '16612345678']) expect(isMobile(n), n).toBe(true);
  });

  it('refuses other lengths, 10/11/12 prefixes, letters, landlines and non-strings', () => {
    for (const n of [
      '1391234567',
      '139123456789',
      '12012345678',
      '11012345678',
      '10012345678',
      '2391234567a',
      '05371234567',
      '',
      '+8613912345678',
      null,
      undefined,
      13912345678,
    ]) {
      expect(isMobile(n), String(n)).toBe(false);
    }
    for (const raw of ['12345', '0537-1234567', '86 139 1234 5678', '+85 13912345678', '139 1234 567x', '']) expect(parseMobile(raw), raw).toBeUndefined();
  });
});

describe('landlines and office telephones', () => {
  it('a landline has its 3–4 digit area code, dash or not', () => {
    for (const n of ['0537-1234567', '05371234567', '010-12345678', '０５３７-１２３４５６７']) expect(isLandline(n), n).toBe(true);
    for (const n of ['1234567', '0537-123456', '13912345678', '537-1234567', '']) expect(isLandline(n), n).toBe(false);
  });

  it('an office telephone may be empty or digits with brackets, dashes and spaces, at most 30', () => {
    for (const s of ['', '0537-3411234', '（0537）3411234', '0537 341 1234']) expect(isOfficePhoneText(s), s).toBe(true);
    for (const s of ['call 0537', '0537-3411234 转 8', '1'.repeat(31)]) expect(isOfficePhoneText(s), s).toBe(false);
  });
});

describe('showing numbers', () => {
  it('masks the middle four digits of a mobile, and everything of anything else', () => {
    expect(maskPhone('13912345678')).toBe('139****5678');
    expect(maskPhone('05371234567890')).toBe('****');
    expect(maskPhone(null)).toBe('');
    expect(maskPhone('')).toBe('');
  });

  it('a tel: link keeps digits and a leading plus only', () => {
    expect(telHref('0537-123 4567')).toBe('tel:05371234567');
    expect(telHref('+86 139-1234-5678')).toBe('tel:+8613912345678');
  });

  it('finds mobiles, landlines and 12345 in a text, not inside longer numbers', () => {
    const found = (s: string) => [...s.matchAll(PHONE_IN_TEXT)].map((m) => m[0]);
    expect(found('咨询电话：0537-3411234，或拨打 12345，联系人 19900001234。')).toEqual(['0537-3411234', '12345', '19900001234']);
    expect(found('编号 2026112800012345，身份证 370812199001011234')).toEqual([]);
    // the same pattern twice in a row: a global pattern must not keep its place between texts
    expect(found('12345')).toEqual(['12345']);
    expect(found('12345')).toEqual(['12345']);
  });
});
