import request from 'supertest';
import { SaxesParser } from 'saxes';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { aUser, signIn } from '../helpers/staff.js';
import { plateCode } from '../../src/features/plates/sizes.js';
import { distanceKm } from '../../src/domain/geo.js';
import { MAX_VILLAGE_KM } from '../../src/features/open311/service.js';
import { districtKey, inJurisdiction, JURISDICTION_ID } from '../helpers/open311.js';

/**
 * Open311 requests located by lat/long alone (the nearest village with coordinates, within
 * MAX_VILLAGE_KM), the village's coordinates in GET answers, and `email`: kept for the office, never
 * in an Open311 answer, never for anonymous feedback.
 */

const FORMATS = ['json', 'xml'] as const;
type Fmt = (typeof FORMATS)[number];
type Village = { id: number; code: string; name: string; latitude: number; longitude: number };

/** The text of every element with this name, from a document a parser reads (so it is well formed). */
function xmlValues(text: string, name: string): string[] {
  const parser = new SaxesParser();
  const out: string[] = [];
  const stack: Array<{ name: string; text: string }> = [];
  parser.on('opentag', (tag) => stack.push({ name: tag.name, text: '' }));
  parser.on('text', (s) => {
    if (stack.length) stack[stack.length - 1]!.text += s;
  });
  parser.on('closetag', () => {
    const e = stack.pop()!;
    if (e.name === name) out.push(e.text);
  });
  parser.write(text).close();
  return out;
}

/** The spec's error (status, and the description naming what is wrong) in either format. */
function expectError(res: request.Response, fmt: Fmt, status: number, ...mentions: string[]) {
  expect(res.status, res.text).toBe(status);
  const description =
    fmt === 'json' ? (JSON.parse(res.text) as Array<{ code: number; description: string }>)[0]!.description : xmlValues(res.text, 'description')[0]!;
  if (fmt === 'json') expect((JSON.parse(res.text) as Array<{ code: number }>)[0]!.code).toBe(status);
  else expect(xmlValues(res.text, 'code')).toEqual([String(status)]);
  for (const m of mentions) expect(description).toContain(m);
}

/** A point `km` north (negative: south) of a place. */
const north = (p: { latitude: number; longitude: number }, km: number) => ({ latitude: p.latitude + km / 111.195, longitude: p.longitude });

let t: TestApp;
/** a key of 兖州区: it files and reads there without naming the jurisdiction */
let key: string;
/** 兖州区's villages with coordinates: where a key of 兖州区 searches */
let villages: Village[];

beforeAll(async () => {
  t = buildApp();
  key = await districtKey(t, '12345', JURISDICTION_ID);
  villages = await t.sql.all<Village>(
    `SELECT v.id, v.code, v.name, v.latitude, v.longitude FROM villages v JOIN towns tw ON tw.id = v.town_id JOIN districts d ON d.id = tw.district_id
     WHERE v.latitude IS NOT NULL AND d.code = ? ORDER BY v.id`,
    JURISDICTION_ID,
  );
});

const file = (fields: Record<string, string>, fmt: Fmt = 'json') => request(t.app).post(`/open311/v2/requests.${fmt}`).type('form').send(fields);
const at = (p: { latitude: number; longitude: number }) => ({ lat: p.latitude.toFixed(6), long: p.longitude.toFixed(6) });
const callBack = (extra: Record<string, string>) => ({
  api_key: key,
  service_code: 'help-callback',
  first_name: '桂芳',
  last_name: '李',
  phone: '13912345678',
  description: '院墙外的排水沟堵了，下雨就漫到路上',
  'attribute[callback_time]': 'morning',
  ...extra,
});
const filedCase = async (res: request.Response, fmt: Fmt) => {
  const id = fmt === 'json' ? (res.body as Array<{ service_request_id: string }>)[0]!.service_request_id : xmlValues(res.text, 'service_request_id')[0]!;
  return (await t.sql.get<{ villageId: number; householdId: number | null; plateId: number | null; email: string | null; id: number }>(
    'SELECT id, village_id AS "villageId", household_id AS "householdId", plate_id AS "plateId", email FROM cases WHERE tracking_no = ?',
    id,
  ))!;
};

describe('Open311 POST with lat/long only', () => {
  it('the demo has coordinates for every village', async () => {
    expect(await t.sql.value('SELECT count(*) FROM villages WHERE latitude IS NOT NULL')).toBe(await t.sql.value('SELECT count(*) FROM villages'));
    expect(villages.length).toBeGreaterThan(20);
  });

  it.each(FORMATS)('a point 300 m from a village files into that village, with no household (%s)', async (fmt) => {
    const village = villages[5]!;
    const res = await file(callBack(at(north(village, 0.3))), fmt).expect(200);
    expect(await filedCase(res, fmt)).toMatchObject({ villageId: village.id, householdId: null, plateId: null });
  });

  it('a point between two villages goes to the nearer one (great-circle distance)', async () => {
    const [a, b] = [villages[0]!, villages[1]!];
    const between = (f: number) => ({ latitude: a.latitude + f * (b.latitude - a.latitude), longitude: a.longitude + f * (b.longitude - a.longitude) });
    // the premise: nothing else is nearer to either point
    for (const [f, want] of [
      [0.3, a],
      [0.7, b],
    ] as const) {
      const p = between(f);
      const nearest = villages.reduce((m, v) => (distanceKm(p, v) < distanceKm(p, m) ? v : m));
      expect(nearest.id).toBe(want.id);
      expect((await filedCase(await file(callBack(at(p))).expect(200), 'json')).villageId).toBe(want.id);
    }
  });

  it.each(FORMATS)('a point more than MAX_VILLAGE_KM from every village is 400 outside the district; one just within is accepted (%s)', async (fmt) => {
    const top = villages.reduce((m, v) => (v.latitude > m.latitude ? v : m));
    const inside = north(top, MAX_VILLAGE_KM - 0.5);
    const outside = north(top, MAX_VILLAGE_KM + 0.5);
    expect(Math.min(...villages.map((v) => distanceKm(outside, v)))).toBeGreaterThan(MAX_VILLAGE_KM);
    expect((await filedCase(await file(callBack(at(inside)), fmt).expect(200), fmt)).villageId).toBe(top.id);
    expectError(await file(callBack(at(outside)), fmt), fmt, 400, 'lat:', '不在本区范围内', `${MAX_VILLAGE_KM} 公里`);
    // 北京 and a point in the sea off Africa: valid coordinates, nowhere near
    expectError(await file(callBack({ lat: '39.9042', long: '116.4074' }), fmt), fmt, 400, 'lat:', '不在本区范围内');
    expectError(await file(callBack({ lat: '0', long: '0' }), fmt), fmt, 400, 'lat:', '不在本区范围内');
  });

  it.each(FORMATS)('malformed coordinates are 400 naming the field (%s)', async (fmt) => {
    const ok = at(villages[0]!);
    expectError(await file(callBack({ ...ok, lat: 'north' }), fmt), fmt, 400, 'lat:', '十进制度数');
    expectError(await file(callBack({ ...ok, lat: "35°33'" }), fmt), fmt, 400, 'lat:', '十进制度数');
    expectError(await file(callBack({ ...ok, lat: '3.5e1' }), fmt), fmt, 400, 'lat:');
    expectError(await file(callBack({ ...ok, lat: '95' }), fmt), fmt, 400, 'lat:', '-90 到 90');
    expectError(await file(callBack({ ...ok, lat: '-90.5' }), fmt), fmt, 400, 'lat:', '-90 到 90');
    expectError(await file(callBack({ ...ok, long: '116,82' }), fmt), fmt, 400, 'long:', '十进制度数');
    expectError(await file(callBack({ ...ok, long: '181' }), fmt), fmt, 400, 'long:', '-180 到 180');
    expectError(await file(callBack({ ...ok, long: 'NaN' }), fmt), fmt, 400, 'long:');
    expectError(await file(callBack({ lat: ok.lat }), fmt), fmt, 400, 'long:');
    expectError(await file(callBack({ long: ok.long, lat: '' }), fmt), fmt, 400, 'lat:');
    // a point with a plate code is still checked
    const household = await demoHousehold(t.sql);
    const plateId = (await t.services.places.plateByToken(household.token)).plateId;
    expectError(await file(callBack({ address_id: plateCode(plateId), lat: '999', long: '116.8' }), fmt), fmt, 400, 'lat:');
    const sent = await file(callBack({ lat: ['35.55', '35.56'] as unknown as string, long: ok.long }), fmt);
    expectError(sent, fmt, 400, 'lat');
  });

  it('an address naming one village decides over the point; an address naming none leaves it to the point', async () => {
    const [a, b] = [villages[0]!, villages[10]!];
    const town = (v: Village) => t.sql.value<string>('SELECT t.name FROM towns t JOIN villages v ON v.town_id = t.id WHERE v.id = ?', v.id);
    const named = await file(callBack({ ...at(b), address_string: `${await town(a)}${a.name}` })).expect(200);
    expect((await filedCase(named, 'json')).villageId).toBe(a.id);
    const vague = await file(callBack({ ...at(b), address_string: '村东头大槐树下' })).expect(200);
    expect((await filedCase(vague, 'json')).villageId).toBe(b.id);
  });

  it("the jurisdiction bounds the search; an empty optional argument counts as none (the spec's Optional Arguments)", async () => {
    const v = villages[3]!;
    expect((await filedCase(await file(callBack({ ...at(v), jurisdiction_id: '370812' })).expect(200), 'json')).villageId).toBe(v.id);
    expect((await filedCase(await file(callBack({ ...at(v), jurisdiction_id: '', address_string: '', address_id: '' })).expect(200), 'json')).villageId).toBe(
      v.id,
    );
    expectError(await file(callBack({ ...at(v), jurisdiction_id: '110101' })), 'json', 404, 'jurisdiction_id');
    // 曲阜市's village farthest from 兖州区's: outside 兖州区 for its key; inside 曲阜市 when a key of no district names it
    const qufu = await t.sql.all<Village>(
      `SELECT v.id, v.code, v.name, v.latitude, v.longitude FROM villages v JOIN towns tw ON tw.id = v.town_id JOIN districts d ON d.id = tw.district_id
       WHERE v.latitude IS NOT NULL AND d.code = '370881' ORDER BY v.id`,
    );
    const away = (q: Village) => Math.min(...villages.map((y) => distanceKm(q, y)));
    const far = qufu.reduce((m, q) => (away(q) > away(m) ? q : m));
    expect(away(far)).toBeGreaterThan(MAX_VILLAGE_KM);
    expectError(await file(callBack(at(far))), 'json', 400, 'lat:', '不在本区范围内');
    const anyDistrict = (await t.services.open311.createKey('无辖区', null)).key;
    expect((await filedCase(await file(callBack({ ...at(far), api_key: anyDistrict, jurisdiction_id: '370881' })).expect(200), 'json')).villageId).toBe(far.id);
  });

  it('when no village of the district has coordinates, lat/long alone is 400 saying so', async () => {
    const bare = buildApp();
    await bare.sql.run('UPDATE villages SET latitude = NULL, longitude = NULL');
    const k = await districtKey(bare, '12345', JURISDICTION_ID);
    const res = await request(bare.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send(callBack({ api_key: k, ...at(villages[0]!) }));
    expectError(res, 'json', 400, 'lat:', '还没有登记坐标');
  });
});

describe('Open311 GET lat/long', () => {
  it.each(FORMATS)("answer with the village's coordinates, not the household's, with a key or without; null where unknown (%s)", async (fmt) => {
    const household = await demoHousehold(t.sql);
    const plateId = (await t.services.places.plateByToken(household.token)).plateId;
    const village = villages.find((v) => v.id === household.villageId)!;
    const byPlate = await filedCase(await file(callBack({ address_id: plateCode(plateId) })).expect(200), 'json');
    const no = await t.sql.value<string>('SELECT tracking_no FROM cases WHERE id = ?', byPlate.id);
    for (const query of [`?jurisdiction_id=${JURISDICTION_ID}`, `?api_key=${key}`]) {
      const res = await request(t.app).get(`/open311/v2/requests/${no}.${fmt}${query}`).expect(200);
      if (fmt === 'json')
        expect(res.body[0]).toMatchObject({ lat: village.latitude, long: village.longitude, address: `${household.townName}${household.villageName}` });
      else {
        expect(xmlValues(res.text, 'lat')).toEqual([String(village.latitude)]);
        expect(xmlValues(res.text, 'long')).toEqual([String(village.longitude)]);
      }
    }
    const list = await request(t.app)
      .get(`/open311/v2/${inJurisdiction(`requests.${fmt}?service_request_id=${no}`)}`)
      .expect(200);
    if (fmt === 'json') expect(list.body[0]).toMatchObject({ lat: village.latitude, long: village.longitude });
    else expect(xmlValues(list.text, 'lat')).toEqual([String(village.latitude)]);

    const other = buildApp();
    await other.sql.run('UPDATE villages SET latitude = NULL, longitude = NULL WHERE id = ?', household.villageId);
    const k = await districtKey(other, '12345', JURISDICTION_ID);
    const filed = await request(other.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send(callBack({ api_key: k, address_id: plateCode(plateId) }))
      .expect(200);
    const res = await request(other.app)
      .get(`/open311/v2/${inJurisdiction(`requests/${filed.body[0].service_request_id}.${fmt}`)}`)
      .expect(200);
    if (fmt === 'json') expect(res.body[0]).toMatchObject({ lat: null, long: null });
    else expect(res.text).toContain('<lat/><long/>');
  });
});

describe('Open311 email', () => {
  it.each(FORMATS)('is kept on a named case for the office, and appears in no Open311 answer, with a key or without (%s)', async (fmt) => {
    const email = `li.guifang.${fmt}@example.org`;
    const filed = await file(callBack({ ...at(villages[2]!), email }), fmt).expect(200);
    expect(filed.text).not.toContain(email);
    const c = await filedCase(filed, fmt);
    expect(c.email).toBe(email);
    const no = await t.sql.value<string>('SELECT tracking_no FROM cases WHERE id = ?', c.id);
    for (const path of [`requests/${no}.${fmt}`, `requests.${fmt}?service_request_id=${no}`, `requests.${fmt}`]) {
      // without a key the jurisdiction is named; a key of 兖州区 needs none
      for (const url of [inJurisdiction(path), `${path}${path.includes('?') ? '&' : '?'}api_key=${key}`]) {
        const res = await request(t.app).get(`/open311/v2/${url}`).expect(200);
        expect(res.text).not.toContain(email);
        expect(res.text).not.toMatch(/"email"|<email/);
      }
    }
  });

  it('is never kept for anonymous feedback, even when sent', async () => {
    const res = await file(
      callBack({ ...at(villages[2]!), service_code: 'speak-complaint', 'attribute[anonymous]': 'true', email: 'anon@example.org' }),
    ).expect(200);
    expect((await filedCase(res, 'json')).email).toBeNull();
    expect(await t.sql.value("SELECT count(*) FROM cases WHERE email = 'anon@example.org'")).toBe(0);
  });

  it('a malformed email is 400 naming the field; an empty one is none', async () => {
    for (const bad of ['not-an-address', 'a b@example.org', 'x@y', `a@b.${'c'.repeat(300)}`]) {
      expectError(await file(callBack({ ...at(villages[2]!), email: bad })), 'json', 400, 'email:');
    }
    // a NUL anywhere in the form is refused before any field is read (the one guard for all forms)
    expectError(await file(callBack({ ...at(villages[2]!), email: 'nul\u0000@example.org' })), 'json', 400, 'U+0000');
    expect((await filedCase(await file(callBack({ ...at(villages[2]!), email: '' })).expect(200), 'json')).email).toBeNull();
  });

  it('the case page shows it to back-office users who can see the case; a cadre of another village gets 404', async () => {
    const village = villages[4]!;
    const email = 'zhang.wei@example.org';
    const c = await filedCase(await file(callBack({ ...at(village), email })).expect(200), 'json');
    const cadre = await aUser(t.services, { role: 'cadre', scopes: [{ level: 'village', code: village.code }] });
    const page = await (await signIn(t.app, cadre.username)).get(`/admin/cases/${c.id}`).expect(200);
    expect(page.text).toContain('电子邮箱');
    expect(page.text).toContain(`<a href="mailto:${email}">${email}</a>`);
    const stranger = await aUser(t.services, { role: 'cadre', scopes: [{ level: 'village', code: villages[20]!.code }] });
    const refused = await (await signIn(t.app, stranger.username)).get(`/admin/cases/${c.id}`);
    expect(refused.status).toBe(404);
    expect(refused.text).not.toContain(email);
  });
});
