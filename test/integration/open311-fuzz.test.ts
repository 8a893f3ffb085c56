import request from 'supertest';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { districtKey, JURISDICTION_ID } from '../helpers/open311.js';

/**
 * A few thousand random and malformed parameters to every Open311 endpoint, with and without a
 * key: every answer is 2xx or 4xx, in the format the path asked for, and every 4xx is the spec's
 * error shape. Deterministic: one seeded sequence.
 */

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const PARAMS = [
  'api_key',
  'jurisdiction_id',
  'service_code',
  'address_id',
  'address_string',
  'lat',
  'long',
  'description',
  'first_name',
  'last_name',
  'phone',
  'email',
  'media_url',
  'attribute[callback_time]',
  'attribute[anonymous]',
  'attribute[]',
  'attribute',
  'service_request_id',
  'start_date',
  'end_date',
  'status',
  'idempotency_key',
  '__proto__',
  'constructor',
  '',
];

function wellFormed(xml: string): boolean {
  try {
    new SaxesParser().write(xml).close();
    return true;
  } catch {
    return false;
  }
}

describe('Open311 fuzz', () => {
  it('answers thousands of malformed requests with 2xx or 4xx in the spec shape, never a page or a 5xx', { timeout: 240_000 }, async () => {
    const t = buildApp({ rateLimits: { open311PerKeyPerMinute: 1_000_000 } });
    const { app, services } = t;
    // The seeded installation serves two districts: a key of one (or a named jurisdiction_id, below)
    // gets a call past the jurisdiction to the parameters behind it.
    const key = await districtKey(t, 'fuzz', JURISDICTION_ID);
    const item = (await services.catalog.applicableItems((await services.places.districtByCode('370812'))!.id))[0]!.code;
    const r = prng(20261130);
    const values = [
      '',
      ' ',
      'x'.repeat(5000),
      '0',
      '-1',
      '1e309',
      'NaN',
      'null',
      'true',
      '[]',
      '{}',
      '<a>&amp;</a>',
      '\u0000',
      '\u0001\u0002',
      '\uffff',
      '%',
      '%E0%A4%A',
      '370812',
      '370881',
      '110101',
      'MP000001',
      'MP999999999',
      'mp000002',
      'help-callback',
      'speak-complaint',
      'speak-',
      item,
      '2026-11-30',
      '2026-02-30',
      '2026-11-30T25:00:00Z',
      '2026-11-30T08:00:00+08:00',
      '2026',
      '9999-12-31T23:59:59+14:00',
      'open',
      'closed,open',
      'open,pending',
      '20261130-0001',
      '20261130-0001,,',
      '13912345678',
      '+86 139 1234 5678',
      '35.55',
      '116.8',
      '兖州区',
      '请帮忙修一下路灯，谢谢',
      'morning',
      'evening',
      'any',
      'true',
      'false',
      key,
      'o311_nope',
      'https://example.org/a.jpg',
      'javascript:alert(1)',
      'a@b.cn',
    ];
    const files = [
      'discovery',
      'services',
      'requests',
      'services/help-callback',
      `services/${item}`,
      'services/speak-praise',
      'services/nope',
      'requests/20261130-0001',
      'requests/x',
      'tokens/abc',
      'nothing',
    ];
    const formats = ['json', 'xml', 'html', '', 'JSON', 'xml.json'];
    const failures: string[] = [];
    const N = 2500;
    for (let i = 0; i < N; i++) {
      const fmt = r.pick(formats);
      const path = `/open311/v2/${r.pick(files)}${fmt ? `.${fmt}` : ''}`;
      const params: string[] = [];
      const count = r.int(8);
      for (let j = 0; j < count; j++)
        params.push(
          `${encodeURIComponent(r.pick(PARAMS))}=${r.chance(0.1) ? r.pick(['%', '%E0%A4%A', '%00', '%ED%A0%80', '%FF']) : encodeURIComponent(r.pick(values))}`,
        );
      if (r.chance(0.5)) params.push(`api_key=${encodeURIComponent(key)}`);
      else if (r.chance(0.7)) params.push(`jurisdiction_id=${JURISDICTION_ID}`);
      const query = params.join('&');
      const post = path.includes('/requests') && !path.includes('/requests/') ? r.chance(0.6) : r.chance(0.1);
      const res = post
        ? await request(app)
            .post(path)
            .set(
              'Content-Type',
              r.pick(['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/x-www-form-urlencoded; charset=latin1']),
            )
            .send(query)
        : await request(app)[r.pick(['get', 'get', 'get', 'head', 'delete'] as const)](`${path}?${query}`);
      const xml = /\.xml$/i.test(path);
      const problem =
        res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)
          ? `status ${res.status}`
          : res.request.method === 'HEAD'
            ? ''
            : xml
              ? res.headers['content-type'] !== 'text/xml; charset=utf-8' ||
                !wellFormed(res.text) ||
                (res.status >= 400 && !res.text.includes(`<errors><error><code>${res.status}</code>`))
                ? 'not spec XML'
                : ''
              : res.headers['content-type'] !== 'application/json; charset=utf-8' ||
                  (res.status >= 400 && !(Array.isArray(JSON.parse(res.text)) && (JSON.parse(res.text) as Array<{ code: number }>)[0]!.code === res.status))
                ? 'not spec JSON'
                : '';
      if (problem) failures.push(`${problem}: ${res.request.method} ${path}?${query} → ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
