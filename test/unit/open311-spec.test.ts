import { describe, expect, it } from 'vitest';
import { escapeXml, toXml } from '../../src/features/open311/render.js';
import { parseServiceCode, parseW3cDateTime, statusOf, w3cDateTime } from '../../src/features/open311/spec.js';

describe('Open311 W3C datetimes', () => {
  it('reads every W3C form, a date alone as a China day', () => {
    expect(parseW3cDateTime('2026-11-30T08:00:00+08:00')?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(parseW3cDateTime('2026-11-30T00:00:00.5Z')?.toISOString()).toBe('2026-11-30T00:00:00.500Z');
    expect(parseW3cDateTime('2026-11-30T08:00+08:00')?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(parseW3cDateTime('2026-11-30')?.toISOString()).toBe('2026-11-29T16:00:00.000Z');
    expect(parseW3cDateTime('2026-11-30', 'end')?.toISOString()).toBe('2026-11-30T15:59:59.999Z');
    expect(parseW3cDateTime('2026-02', 'end')?.toISOString()).toBe('2026-02-28T15:59:59.999Z');
    expect(parseW3cDateTime('2026', 'end')?.toISOString()).toBe('2026-12-31T15:59:59.999Z');
  });

  it('refuses what is not one', () => {
    for (const bad of [
      '',
      'yesterday',
      '2026-02-30',
      '2026-13-01',
      '2026-11-30T24:00:00Z',
      '2026-11-30T08:00:00',
      '2026-11-30T08:00:00+15:00',
      '26-11-30',
      '2026-11-30 08:00:00Z',
    ]) {
      expect(parseW3cDateTime(bad), bad).toBeUndefined();
    }
  });

  it('writes instants in China time', () => {
    expect(w3cDateTime('2026-11-30T00:00:00.000Z')).toBe('2026-11-30T08:00:00+08:00');
    expect(w3cDateTime(null)).toBeNull();
  });
});

describe('Open311 service codes and statuses', () => {
  it('tells items, 码上说 categories and the call-back apart', () => {
    expect(parseServiceCode('000505001000')).toEqual({ kind: 'apply', itemCode: '000505001000' });
    expect(parseServiceCode('speak-praise')).toEqual({ kind: 'speak', category: 'praise' });
    expect(parseServiceCode('help-callback')).toEqual({ kind: 'help' });
    expect(parseServiceCode('speak-gossip')).toBeUndefined();
    expect(parseServiceCode('x')).toBeUndefined();
  });

  it('is open while the office has work to do, closed after', () => {
    expect(['submitted', 'accepted', 'in_progress'].map((s) => statusOf(s as never))).toEqual(['open', 'open', 'open']);
    expect(['resolved', 'closed', 'rejected', 'merged'].map((s) => statusOf(s as never))).toEqual(['closed', 'closed', 'closed', 'closed']);
  });
});

describe('Open311 XML', () => {
  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    expect(escapeXml(`<a href="x">'&'</a>\u0000\u0008\t\n`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\t\n');
  });

  it('names list members as the spec does', () => {
    expect(toXml('service_requests', [{ service_request_id: '1', account_id: null }])).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<service_requests><request><service_request_id>1</service_request_id><account_id/></request></service_requests>',
    );
    expect(toXml('errors', [{ code: 400, description: 'a' }])).toContain('<errors><error><code>400</code><description>a</description></error></errors>');
  });
});
