import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors } from '../../src/domain/field-errors.js';
import { inScope, scopeOf, villageIdsOf } from '../../src/domain/scope.js';
import {
  CASE_KINDS,
  CASE_STATES,
  isCaseKind,
  isOpenState,
  isSpeakCategory,
  OPEN_STATES,
  OPEN_STATES_SQL,
  parseTrackingNo,
  SPEAK_CATEGORIES,
  TRACKING_NO_PATTERN,
} from '../../src/domain/cases.js';

describe('fieldErrors', () => {
  const form = z.object({
    name: z.string().min(1, { error: '请填写姓名' }).max(3, { error: '姓名太长' }),
    phone: z
      .string()
      .min(1, { error: '请填写手机号' })
      .regex(/^1\d{10}$/, { error: '手机号不对' }),
  });

  it('gives each field its first message, linked to the field', () => {
    const r = form.safeParse({ name: '', phone: '' });
    expect(r.success).toBe(false);
    expect(fieldErrors(r.error!)).toEqual([
      { field: 'name', text: '请填写姓名', href: '#name' },
      { field: 'phone', text: '请填写手机号', href: '#phone' },
    ]);
  });

  it('puts the prefix of the form’s element ids into the link', () => {
    const r = form.safeParse({ name: '张秀兰兰', phone: '13912345678' });
    expect(fieldErrors(r.error!, { hrefPrefix: 'hh-' })).toEqual([{ field: 'name', text: '姓名太长', href: '#hh-name' }]);
  });

  it('names an issue about the whole input by the fallback field', () => {
    const r = z.string({ error: '请填写' }).safeParse(undefined);
    expect(fieldErrors(r.error!)).toEqual([{ field: 'form', text: '请填写', href: '#form' }]);
    expect(fieldErrors(r.error!, { hrefPrefix: 'reply-', fallbackField: 'text' })).toEqual([{ field: 'text', text: '请填写', href: '#reply-text' }]);
  });
});

describe('scope', () => {
  it('covers its villages only, never a missing one', () => {
    const s = scopeOf([3, 5]);
    expect(s.all).toBe(false);
    expect(inScope(s, 3)).toBe(true);
    expect(inScope(s, 4)).toBe(false);
    expect(inScope(s, null)).toBe(false);
    expect(inScope(s, undefined)).toBe(false);
    expect(villageIdsOf(s).sort()).toEqual([3, 5]);
    expect(scopeOf([1], true).all).toBe(true);
  });
});

describe('the words of a case', () => {
  it('knows the kinds and 码上说 categories, and nothing else', () => {
    expect(CASE_KINDS).toEqual(['help', 'apply', 'speak']);
    for (const k of CASE_KINDS) expect(isCaseKind(k)).toBe(true);
    for (const k of ['', 'Help', 'complaint', null, 1]) expect(isCaseKind(k), String(k)).toBe(false);
    for (const c of SPEAK_CATEGORIES) expect(isSpeakCategory(c)).toBe(true);
    for (const c of ['', 'help', 'toString', undefined]) expect(isSpeakCategory(c), String(c)).toBe(false);
  });

  it('open states are the ones before an answer, and the SQL list names the same', () => {
    expect(CASE_STATES.filter(isOpenState)).toEqual([...OPEN_STATES]);
    expect(OPEN_STATES).toEqual(['submitted', 'accepted', 'in_progress']);
    expect(OPEN_STATES_SQL).toBe("'submitted', 'accepted', 'in_progress'");
  });
});

describe('tracking numbers', () => {
  it('forgive full-width digits, spaces and a missing dash', () => {
    for (const raw of ['20261128-0001', '202611280001', ' 2026 1128 0001 ', '２０２６１１２８－０００１'])
      expect(parseTrackingNo(raw), raw).toBe('20261128-0001');
  });

  it('refuse other lengths, letters and two dashes', () => {
    for (const raw of ['20261128-001', '2026112800011', '2026-1128-0001', 'abcdefgh-0001', '']) expect(parseTrackingNo(raw), raw).toBeUndefined();
    expect(TRACKING_NO_PATTERN.test('20261128-0001')).toBe(true);
    expect(TRACKING_NO_PATTERN.test('202611280001')).toBe(false);
  });
});
