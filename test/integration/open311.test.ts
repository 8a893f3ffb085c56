import request from 'supertest';
import { SaxesParser } from 'saxes';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { aCase } from '../helpers/cases.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { plateCode } from '../../src/features/plates/sizes.js';
import { districtKey, inJurisdiction, JURISDICTION_ID, OTHER_JURISDICTION_ID, REQUEST_FIELDS } from '../helpers/open311.js';

/**
 * Open311 GeoReport v2 against the real stack, in both formats, after the checks of the standard's
 * test suites (mySociety's open311-adapter endpoint tests and the Open311 validators): discovery,
 * services, definitions, filing, reading, and every error in the spec's shape.
 */

const FORMATS = ['json', 'xml'] as const;
type Fmt = (typeof FORMATS)[number];

/** Every element of an XML document, as a parser sees it: the document must be well formed. */
function xmlElements(text: string): Array<{ name: string; text: string }> {
  const parser = new SaxesParser();
  const out: Array<{ name: string; text: string }> = [];
  const stack: Array<{ name: string; text: string }> = [];
  parser.on('opentag', (tag) => stack.push({ name: tag.name, text: '' }));
  parser.on('text', (s) => {
    if (stack.length) stack[stack.length - 1]!.text += s;
  });
  parser.on('closetag', () => out.push(stack.pop()!));
  parser.write(text).close();
  return out;
}

const xmlValues = (text: string, name: string) =>
  xmlElements(text)
    .filter((e) => e.name === name)
    .map((e) => e.text);

/** The spec's error shape in either format, with the HTTP status in `code`. */
function expectSpecError(res: request.Response, fmt: Fmt, status: number, mentions?: string) {
  expect(res.status).toBe(status);
  if (fmt === 'json') {
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.text) as Array<{ code: number; description: string }>;
    expect(body).toHaveLength(1);
    expect(body[0]!.code).toBe(status);
    expect(typeof body[0]!.description).toBe('string');
    if (mentions) expect(body[0]!.description).toContain(mentions);
  } else {
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    const els = xmlElements(res.text);
    expect(els.at(-1)!.name).toBe('errors');
    expect(xmlValues(res.text, 'code')).toEqual([String(status)]);
    if (mentions) expect(xmlValues(res.text, 'description')[0]).toContain(mentions);
  }
  expect(res.text).not.toMatch(/<html|<!doctype/i);
}

let t: TestApp;
let key: string;
let itemCode: string;
let household: Awaited<ReturnType<typeof demoHousehold>>;
let plateId: number;

beforeAll(async () => {
  t = buildApp();
  key = (await t.services.open311.createKey('12345', null)).key;
  itemCode = (await t.services.catalog.applicableItems((await t.services.places.districtByCode('370812'))!.id))[0]!.code;
  household = await demoHousehold(t.sql);
  plateId = (await t.services.places.plateByToken(household.token)).plateId;
});

const file = (fields: Record<string, string>, fmt: Fmt = 'json') => request(t.app).post(`/open311/v2/requests.${fmt}`).type('form').send(fields);
/** A GET of an Open311 document in 兖州区, named as a client of this two-district endpoint names it. */
const get = (path: string) => request(t.app).get(`/open311/v2/${inJurisdiction(path)}`);
const helpRequest = (extra: Record<string, string> = {}) => ({
  api_key: key,
  jurisdiction_id: JURISDICTION_ID,
  service_code: 'help-callback',
  address_id: plateCode(plateId),
  first_name: '桂芳',
  last_name: '李',
  phone: '+86 139 1234 5678',
  description: '院墙外的排水沟堵了，下雨就漫到路上',
  'attribute[callback_time]': 'morning',
  ...extra,
});

describe('Open311 discovery and services', () => {
  it.each(FORMATS)('discovery.%s names the GeoReport v2 endpoint with both formats', async (fmt) => {
    const res = await request(t.app).get(`/open311/v2/discovery.${fmt}`).expect(200);
    if (fmt === 'json') {
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const d = res.body as { changeset: string; contact: string; key_service: string; endpoints: Array<Record<string, unknown>> };
      expect(d.contact).toBeTruthy();
      expect(d.key_service).toBeTruthy();
      expect(d.endpoints[0]).toMatchObject({
        specification: 'http://wiki.open311.org/GeoReport_v2',
        type: 'production',
        formats: ['text/xml', 'application/json'],
      });
      expect(String(d.endpoints[0]!.url)).toMatch(/\/open311\/v2$/);
    } else {
      expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect(xmlElements(res.text).at(-1)!.name).toBe('discovery');
      expect(xmlValues(res.text, 'specification')).toEqual(['http://wiki.open311.org/GeoReport_v2']);
      expect(xmlValues(res.text, 'format')).toEqual(['text/xml', 'application/json']);
    }
  });

  it.each(FORMATS)('services.%s lists the items to apply for, the 码上说 categories and the call-back, each with every field', async (fmt) => {
    const res = await request(t.app).get(`/open311/v2/services.${fmt}?jurisdiction_id=370812`).expect(200);
    const codes = fmt === 'json' ? (res.body as Array<{ service_code: string }>).map((s) => s.service_code) : xmlValues(res.text, 'service_code');
    expect(codes).toContain(itemCode);
    expect(codes).toContain('speak-complaint');
    expect(codes).toContain('help-callback');
    if (fmt === 'json') {
      for (const s of res.body as Array<Record<string, unknown>>) {
        expect(Object.keys(s).sort()).toEqual(['description', 'group', 'keywords', 'metadata', 'service_code', 'service_name', 'type']);
        expect(s.type).toBe('realtime');
      }
    } else {
      expect(xmlElements(res.text).filter((e) => e.name === 'service')).toHaveLength(codes.length);
    }
  });

  it.each(FORMATS)('a jurisdiction other than the district is not found (%s)', async (fmt) => {
    expectSpecError(await request(t.app).get(`/open311/v2/services.${fmt}?jurisdiction_id=110101`), fmt, 404, 'jurisdiction_id');
  });

  it.each(FORMATS)('a service definition lists what its form asks, with the values of a list (%s)', async (fmt) => {
    const res = await get(`services/${itemCode}.${fmt}`).expect(200);
    if (fmt === 'json') {
      const d = res.body as { service_code: string; attributes: Array<Record<string, unknown>> };
      expect(d.service_code).toBe(itemCode);
      expect(d.attributes[0]).toMatchObject({ variable: true, code: 'callback_time', datatype: 'singlevaluelist', required: true, order: 1 });
      expect((d.attributes[0]!.values as Array<{ key: string }>).map((v) => v.key)).toEqual(['any', 'morning', 'afternoon', 'evening']);
      expect(d.attributes[0]!.datatype_description).toBeTruthy();
    } else {
      expect(xmlElements(res.text).at(-1)!.name).toBe('service_definition');
      expect(xmlValues(res.text, 'key')).toEqual(['any', 'morning', 'afternoon', 'evening']);
      expect(xmlValues(res.text, 'required')).toEqual(['true']);
    }
    const speak = await get('services/speak-complaint.json').expect(200);
    expect(speak.body.attributes[0]).toMatchObject({ code: 'anonymous', required: false });
  });

  it.each(FORMATS)('an unknown service definition is 404 in the spec shape (%s)', async (fmt) => {
    expectSpecError(await get(`services/nope-nope.${fmt}`), fmt, 404, 'service_code');
    expectSpecError(await get(`services/ZZZZZZZZ.${fmt}`), fmt, 404);
  });

  it('an unknown format, path or method is answered in the spec shape, never a page', async () => {
    expectSpecError(await request(t.app).get('/open311/v2/services.html'), 'json', 404);
    expectSpecError(await request(t.app).get('/open311/v2/nothing.xml'), 'xml', 404);
    expectSpecError(await request(t.app).get('/open311/v3/services.json'), 'json', 404);
    expectSpecError(await request(t.app).delete('/open311/v2/requests.xml'), 'xml', 405);
    expectSpecError(await request(t.app).post('/open311/v2/services.json').type('form').send({ api_key: key }), 'json', 404);
    expectSpecError(await request(t.app).get('/open311/v2/tokens/abc.xml'), 'xml', 404, 'token');
    expectSpecError(await request(t.app).get('/open311/v2/requests/%E0%A4%A.json'), 'json', 400);
  });
});

describe('Open311 on an installation of several districts (GeoReport v2: jurisdiction_id)', () => {
  /** The codes of a services document, in either format. */
  const serviceCodes = (res: request.Response, fmt: Fmt) =>
    fmt === 'json' ? (res.body as Array<{ service_code: string }>).map((s) => s.service_code) : xmlValues(res.text, 'service_code');
  const serviceNames = (res: request.Response, fmt: Fmt) =>
    fmt === 'json' ? (res.body as Array<{ service_name: string }>).map((s) => s.service_name) : xmlValues(res.text, 'service_name');
  const districtId = async (code: string) => (await t.services.places.districtByCode(code))!.id;
  /** A plate of a 曲阜市 household, with its village. */
  const qufuPlate = async () =>
    (await t.sql.get<{ plateId: number; villageId: number }>(
      `SELECT p.id AS "plateId", p.village_id AS "villageId" FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns tw ON tw.id = v.town_id
       JOIN districts d ON d.id = tw.district_id WHERE d.code = ? AND p.kind = 'household' AND p.status = 'active' ORDER BY p.id LIMIT 1`,
      OTHER_JURISDICTION_ID,
    ))!;

  it('the seeded installation has the two districts these tests rely on', async () => {
    expect((await t.services.places.districts()).map((d) => d.code).sort()).toEqual([JURISDICTION_ID, OTHER_JURISDICTION_ID]);
  });

  it.each(FORMATS)(
    'without jurisdiction_id, the service list, a definition and the requests are 400 naming jurisdiction_id; an empty one is none (%s)',
    async (fmt) => {
      for (const path of [
        `services.${fmt}`,
        `services.${fmt}?jurisdiction_id=`,
        `services/help-callback.${fmt}`,
        `requests.${fmt}`,
        `requests.${fmt}?api_key=${key}`,
      ]) {
        expectSpecError(await request(t.app).get(`/open311/v2/${path}`), fmt, 400, 'jurisdiction_id');
      }
    },
  );

  it.each(FORMATS)("jurisdiction_id=370881 lists 曲阜市's items, none of 兖州区's own; an unknown district is 404 (%s)", async (fmt) => {
    const qufu = (await t.services.catalog.applicableItems(await districtId(OTHER_JURISDICTION_ID))).map((i) => i.code);
    const yanzhou = await t.services.catalog.applicableItems(await districtId(JURISDICTION_ID));
    // the premise: 曲阜市 applies for a few items, and 兖州区 has some of its own (《预防接种证》办理 among them)
    expect(qufu.length).toBeGreaterThan(0);
    const yanzhouOnly = yanzhou.filter((i) => !qufu.includes(i.code));
    expect(yanzhouOnly.map((i) => i.name)).toContain('《预防接种证》办理');

    const res = await get(inJurisdiction(`services.${fmt}`, OTHER_JURISDICTION_ID)).expect(200);
    const codes = serviceCodes(res, fmt);
    expect(codes.filter((c) => !/^(speak-|help-)/.test(c)).sort()).toEqual([...qufu].sort());
    for (const i of yanzhouOnly) expect(codes).not.toContain(i.code);
    expect(serviceNames(res, fmt)).not.toContain('《预防接种证》办理');
    expect(codes).toContain('speak-complaint');
    expect(codes).toContain('help-callback');
    // …and 兖州区's own list has it
    expect(serviceNames(await get(`services.${fmt}`).expect(200), fmt)).toContain('《预防接种证》办理');

    // a definition of a 兖州区-only item is not found in 曲阜市
    expectSpecError(await get(inJurisdiction(`services/${yanzhouOnly[0]!.code}.${fmt}`, OTHER_JURISDICTION_ID)), fmt, 404, 'service_code');
    await get(`services/${yanzhouOnly[0]!.code}.${fmt}`).expect(200);
    // 370811 (任城区) is a real district of the city, but not one this installation serves
    expectSpecError(await get(inJurisdiction(`services.${fmt}`, '370811')), fmt, 404, 'jurisdiction_id');
  });

  it.each(FORMATS)('a key of 兖州区 files there without naming it, and is 404 for jurisdiction_id=370881; nothing is filed (%s)', async (fmt) => {
    const yanzhouKey = await districtKey(t, `兖州区热线-${fmt}`, JURISDICTION_ID);
    const { jurisdiction_id: _j, ...unnamed } = helpRequest({ api_key: yanzhouKey });
    const filed = await file(unnamed, fmt).expect(200);
    const id = fmt === 'json' ? (filed.body as Array<{ service_request_id: string }>)[0]!.service_request_id : xmlValues(filed.text, 'service_request_id')[0]!;
    expect(await t.sql.value('SELECT village_id FROM cases WHERE tracking_no = ?', id)).toBe(household.villageId);

    const before = await t.sql.value('SELECT count(*) FROM cases');
    expectSpecError(await file(helpRequest({ api_key: yanzhouKey, jurisdiction_id: OTHER_JURISDICTION_ID }), fmt), fmt, 404, 'jurisdiction_id');
    const plate = await qufuPlate();
    expectSpecError(
      await file(helpRequest({ api_key: yanzhouKey, jurisdiction_id: OTHER_JURISDICTION_ID, address_id: plateCode(plate.plateId) }), fmt),
      fmt,
      404,
      'jurisdiction_id',
    );
    expect(await t.sql.value('SELECT count(*) FROM cases')).toBe(before);
  });

  it.each(FORMATS)("a 曲阜市 plate's code as address_id in 兖州区 is 400 naming address_id, and is filed when 曲阜市 is named (%s)", async (fmt) => {
    const plate = await qufuPlate();
    const yanzhouKey = await districtKey(t, `兖州区App-${fmt}`, JURISDICTION_ID);
    const before = await t.sql.value('SELECT count(*) FROM cases');
    const { jurisdiction_id: _j, ...byKey } = helpRequest({ api_key: yanzhouKey, address_id: plateCode(plate.plateId) });
    expectSpecError(await file(byKey, fmt), fmt, 400, 'address_id');
    // the same with a key of no district and 兖州区 named
    expectSpecError(await file(helpRequest({ address_id: plateCode(plate.plateId) }), fmt), fmt, 400, 'address_id');
    expect(await t.sql.value('SELECT count(*) FROM cases')).toBe(before);
    // the plate itself is good: named in its own district, it files into its village
    const filed = await file(helpRequest({ address_id: plateCode(plate.plateId), jurisdiction_id: OTHER_JURISDICTION_ID }), fmt).expect(200);
    const id = fmt === 'json' ? (filed.body as Array<{ service_request_id: string }>)[0]!.service_request_id : xmlValues(filed.text, 'service_request_id')[0]!;
    expect(await t.sql.value('SELECT village_id FROM cases WHERE tracking_no = ?', id)).toBe(plate.villageId);
  });

  it.each(FORMATS)("a key of 曲阜市 reads 曲阜市's services and definitions without naming it, and only there (%s)", async (fmt) => {
    const qufuKey = await districtKey(t, `曲阜市App-${fmt}`, OTHER_JURISDICTION_ID);
    const qufu = (await t.services.catalog.applicableItems(await districtId(OTHER_JURISDICTION_ID))).map((i) => i.code);
    const asIs = (path: string) => request(t.app).get(`/open311/v2/${path}`);
    const byKey = await asIs(`services.${fmt}?api_key=${qufuKey}`).expect(200);
    expect(
      serviceCodes(byKey, fmt)
        .filter((c) => !/^(speak-|help-)/.test(c))
        .sort(),
    ).toEqual([...qufu].sort());
    await asIs(`services/help-callback.${fmt}?api_key=${qufuKey}`).expect(200);
    expectSpecError(await asIs(`services.${fmt}?api_key=${qufuKey}&jurisdiction_id=${JURISDICTION_ID}`), fmt, 404, 'jurisdiction_id');
    expectSpecError(await asIs(`services/help-callback.${fmt}?api_key=${qufuKey}&jurisdiction_id=${JURISDICTION_ID}`), fmt, 404, 'jurisdiction_id');
  });

  it.each(FORMATS)("GET requests answer only the named district's cases, by list, by ids or one by one (%s)", async (fmt) => {
    const plate = await qufuPlate();
    const ids = (res: request.Response) =>
      fmt === 'json' ? (res.body as Array<{ service_request_id: string }>).map((r) => r.service_request_id) : xmlValues(res.text, 'service_request_id');
    const inYanzhou = (await file(helpRequest()).expect(200)).body[0].service_request_id as string;
    const inQufu = (await file(helpRequest({ address_id: plateCode(plate.plateId), jurisdiction_id: OTHER_JURISDICTION_ID })).expect(200)).body[0]
      .service_request_id as string;
    const qufuKey = await districtKey(t, `曲阜市热线-${fmt}`, OTHER_JURISDICTION_ID);
    // each call names its district (or its key does): none is added
    const asIs = (path: string) => request(t.app).get(`/open311/v2/${path}`);
    for (const [named, mine, theirs] of [
      [`jurisdiction_id=${OTHER_JURISDICTION_ID}`, inQufu, inYanzhou],
      [`api_key=${qufuKey}`, inQufu, inYanzhou],
      [`jurisdiction_id=${JURISDICTION_ID}`, inYanzhou, inQufu],
    ] as const) {
      const list = ids(await asIs(`requests.${fmt}?${named}`).expect(200));
      expect(list, named).toContain(mine);
      expect(list, named).not.toContain(theirs);
      expect(ids(await asIs(`requests.${fmt}?${named}&service_code=help-callback`).expect(200))).not.toContain(theirs);
      expect(ids(await asIs(`requests.${fmt}?${named}&service_request_id=${inYanzhou},${inQufu}`).expect(200))).toEqual([mine]);
      expect(ids(await asIs(`requests/${mine}.${fmt}?${named}`).expect(200))).toEqual([mine]);
      expectSpecError(await asIs(`requests/${theirs}.${fmt}?${named}`), fmt, 404, 'service_request_id');
    }
  });
});

describe('Open311 POST requests', () => {
  it.each(FORMATS)('files a call-back from a plate code into the village inbox, with its source (%s)', async (fmt) => {
    const res = await file(helpRequest(), fmt).expect(200);
    const id =
      fmt === 'json'
        ? (res.body as Array<{ service_request_id: string; account_id: null }>)[0]!.service_request_id
        : xmlValues(res.text, 'service_request_id')[0]!;
    expect(id).toMatch(/^\d{8}-\d{4}$/);
    if (fmt === 'json') expect(res.body[0]).toEqual({ service_request_id: id, service_notice: expect.any(String), account_id: null });
    else expect(xmlElements(res.text).map((e) => e.name)).toEqual(['service_request_id', 'service_notice', 'account_id', 'request', 'service_requests']);
    const row = await t.sql.get(
      'SELECT village_id AS "villageId", household_id AS "householdId", name, phone, source, kind FROM cases WHERE tracking_no = ?',
      id,
    );
    expect(row).toEqual({
      villageId: household.villageId,
      householdId: household.householdId,
      name: '李桂芳',
      phone: '13912345678',
      source: '12345',
      kind: 'help',
    });
  });

  it('needs no CSRF token: the API key is the authority', async () => {
    await file(helpRequest()).expect(200);
  });

  it.each(FORMATS)('refuses a missing, wrong or revoked api_key with 403 (%s)', async (fmt) => {
    const { api_key: _omit, ...noKey } = helpRequest();
    expectSpecError(await file(noKey, fmt), fmt, 403, 'api_key');
    expectSpecError(await file(helpRequest({ api_key: 'o311_wrong' }), fmt), fmt, 403, 'api_key');
    const revoked = await t.services.open311.createKey(`revoked-${fmt}`, null);
    await t.services.open311.revokeKey(revoked.row.id);
    expectSpecError(await file(helpRequest({ api_key: revoked.key }), fmt), fmt, 403, 'api_key');
  });

  it.each(FORMATS)('a missing service_code is 400, an unknown one 404 (%s)', async (fmt) => {
    const { service_code: _omit, ...noCode } = helpRequest();
    expectSpecError(await file(noCode, fmt), fmt, 400, 'service_code');
    expectSpecError(await file(helpRequest({ service_code: 'speak-gossip' }), fmt), fmt, 404, 'service_code');
    expectSpecError(await file(helpRequest({ service_code: 'ZZZZ9999' }), fmt), fmt, 404, 'service_code');
  });

  it.each(FORMATS)('no location, an unknown plate code or a place outside the district is 400 (%s)', async (fmt) => {
    const { address_id: _omit, ...noPlace } = helpRequest();
    expectSpecError(await file(noPlace, fmt), fmt, 400, 'address_id');
    expectSpecError(await file(helpRequest({ address_id: 'MP999999' }), fmt), fmt, 400, 'address_id');
    expectSpecError(await file({ ...noPlace, address_string: '北京市东城区' }, fmt), fmt, 400, 'address_string');
    expectSpecError(await file({ ...noPlace, lat: '39.9', long: '116.4' }, fmt), fmt, 400, 'lat');
    expectSpecError(await file({ ...noPlace, lat: '35.5' }, fmt), fmt, 400, 'long');
    expectSpecError(await file({ ...noPlace, lat: 'north', long: '116.4' }, fmt), fmt, 400, 'lat');
  });

  it('locates a request by the village named in address_string', async () => {
    const { address_id: _omit, ...noPlace } = helpRequest();
    const res = await file({ ...noPlace, address_string: `山东省济宁市兖州区${household.townName}${household.villageName}` }).expect(200);
    const row = await t.sql.get(
      'SELECT village_id AS "villageId", household_id AS "householdId" FROM cases WHERE tracking_no = ?',
      res.body[0].service_request_id,
    );
    expect(row).toEqual({ villageId: household.villageId, householdId: null });
  });

  it.each(FORMATS)('checks every field as the resident forms do, naming the field (%s)', async (fmt) => {
    const { 'attribute[callback_time]': _omit, ...noTime } = helpRequest();
    expectSpecError(await file(noTime, fmt), fmt, 400, 'attribute[callback_time]');
    expectSpecError(await file(helpRequest({ 'attribute[callback_time]': 'midnight' }), fmt), fmt, 400, 'attribute[callback_time]');
    expectSpecError(await file(helpRequest({ phone: '12345' }), fmt), fmt, 400, 'phone: 手机号');
    expectSpecError(await file(helpRequest({ first_name: '', last_name: '' }), fmt), fmt, 400, 'first_name');
    expectSpecError(await file(helpRequest({ description: '长'.repeat(1001) }), fmt), fmt, 400, 'description');
    expectSpecError(await file(helpRequest({ email: 'not-an-address' }), fmt), fmt, 400, 'email');
    expectSpecError(await file(helpRequest({ media_url: 'javascript:alert(1)' }), fmt), fmt, 400, 'media_url');
    expectSpecError(await file({ ...helpRequest(), service_code: 'speak-complaint', description: '短' }, fmt), fmt, 400, 'description');
    expectSpecError(
      await request(t.app)
        .post(`/open311/v2/requests.${fmt}`)
        .type('form')
        .send(`${new URLSearchParams(helpRequest()).toString()}&phone=13912345679`),
      fmt,
      400,
      'phone',
    );
  });

  it('files an application for an item, and anonymous feedback without any contact', async () => {
    const apply = await file(helpRequest({ service_code: itemCode, 'attribute[callback_time]': 'any' })).expect(200);
    expect(await t.sql.value('SELECT kind FROM cases WHERE tracking_no = ?', apply.body[0].service_request_id)).toBe('apply');
    const anon = await file(helpRequest({ service_code: 'speak-suggestion', 'attribute[anonymous]': 'true', media_url: 'https://example.org/a.jpg' })).expect(
      200,
    );
    const row = await t.sql.get(
      'SELECT name, phone, household_id AS "householdId", plate_id AS "plateId", media_url AS "mediaUrl", anonymous FROM cases WHERE tracking_no = ?',
      anon.body[0].service_request_id,
    );
    expect(row).toEqual({ name: null, phone: null, householdId: null, plateId: null, mediaUrl: null, anonymous: 1 });
  });

  it('the same idempotency key files one case; another key of another client files its own', async () => {
    const first = await file(helpRequest({ idempotency_key: 'ticket-2026-0042' })).expect(200);
    const again = await request(t.app)
      .post('/open311/v2/requests.json')
      .set('Idempotency-Key', 'ticket-2026-0042')
      .type('form')
      .send(helpRequest())
      .expect(200);
    expect(again.body[0].service_request_id).toBe(first.body[0].service_request_id);
    const other = (await t.services.open311.createKey('市民热线App', null)).key;
    const theirs = await file(helpRequest({ api_key: other, idempotency_key: 'ticket-2026-0042' })).expect(200);
    expect(theirs.body[0].service_request_id).not.toBe(first.body[0].service_request_id);
  });
});

describe('Open311 GET requests', () => {
  it.each(FORMATS)('lists requests newest first with every spec field, and finds one by id (%s)', async (fmt) => {
    const filed = (await file(helpRequest())).body[0].service_request_id as string;
    const list = await get(`requests.${fmt}`).expect(200);
    const one = await get(`requests/${filed}.${fmt}`).expect(200);
    if (fmt === 'json') {
      expect(list.body[0].service_request_id).toBe(filed);
      for (const r of list.body as Array<Record<string, unknown>>) expect(Object.keys(r)).toEqual(REQUEST_FIELDS);
      expect(one.body).toHaveLength(1);
      expect(one.body[0]).toMatchObject({
        service_request_id: filed,
        status: 'open',
        service_code: 'help-callback',
        address: `${household.townName}${household.villageName}`,
      });
      expect(one.body[0].requested_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      expect(one.body[0].expected_datetime).toMatch(/\+08:00$/);
      expect(one.body[0].agency_responsible).toContain(household.villageName);
    } else {
      expect(xmlValues(list.text, 'service_request_id')[0]).toBe(filed);
      const request_ = xmlElements(one.text).filter((e) => e.name === 'request');
      expect(request_).toHaveLength(1);
      for (const f of REQUEST_FIELDS) expect(xmlValues(one.text, f)).toHaveLength(1);
    }
  });

  it.each(FORMATS)('filters by ids, service, status and dates; malformed ones are 400 (%s)', async (fmt) => {
    const a = (await file(helpRequest())).body[0].service_request_id as string;
    const b = (await file(helpRequest({ service_code: 'speak-praise' }))).body[0].service_request_id as string;
    const ids = async (q: string) => {
      const res = await get(`requests.${fmt}?${q}`).expect(200);
      return fmt === 'json' ? (res.body as Array<{ service_request_id: string }>).map((r) => r.service_request_id) : xmlValues(res.text, 'service_request_id');
    };
    expect(await ids(`service_request_id=${a},${b}`)).toEqual([b, a]);
    expect(await ids('service_code=speak-praise')).toContain(b);
    expect(await ids('service_code=speak-praise')).not.toContain(a);
    expect(await ids('status=open')).toContain(a);
    expect(await ids('status=closed')).not.toContain(a);
    expect(await ids('start_date=2000-01-01&end_date=2000-12-31T23:59:59Z')).toEqual([]);
    expect(await ids(`start_date=${new Date(Date.now() - 3600_000).toISOString()}`)).toContain(a);
    expectSpecError(await get(`requests.${fmt}?start_date=2026-13-01`), fmt, 400, 'start_date');
    expectSpecError(await get(`requests.${fmt}?end_date=yesterday`), fmt, 400, 'end_date');
    expectSpecError(await get(`requests.${fmt}?start_date=2026-11-02&end_date=2026-11-01`), fmt, 400, 'start_date');
    expectSpecError(await get(`requests.${fmt}?status=pending`), fmt, 400, 'status');
    expectSpecError(await get(`requests.${fmt}?service_request_id=drop%20table`), fmt, 400, 'service_request_id');
    expectSpecError(await get(`requests/20000101-9999.${fmt}`), fmt, 404);
    expectSpecError(await get(`requests.${fmt}?api_key=o311_wrong`), fmt, 403, 'api_key');
  });
});

describe('Open311 round trip', () => {
  it('a case filed with a plate code reaches the village inbox with its source; the reply and resolution come back as closed with status_notes', async () => {
    const id = (await file(helpRequest({ description: '村口路灯不亮了，晚上看不清路' })).expect(200)).body[0].service_request_id as string;
    const cadre = await aUser(t.services, {
      role: 'cadre',
      scopes: [{ level: 'village', code: (await t.sql.value('SELECT code FROM villages WHERE id = ?', household.villageId)) as string }],
    });
    const agent = await signIn(t.app, cadre.username);
    const inbox = await agent.get('/admin/cases?q=' + id).expect(200);
    expect(inbox.text).toContain(id);
    expect(inbox.text).toContain('来源：12345');
    const caseId = (await t.sql.value('SELECT id FROM cases WHERE tracking_no = ?', id)) as number;
    const page = await agent.get(`/admin/cases/${caseId}`).expect(200);
    expect(page.text).toContain('来源：12345');
    const csrf = await csrfFor(agent);
    await agent.post(`/admin/cases/${caseId}/action`).type('form').send({ _csrf: csrf, action: 'note', version: 1, text: '内部：先联系电工老王' }).expect(303);
    await agent
      .post(`/admin/cases/${caseId}/action`)
      .type('form')
      .send({ _csrf: csrf, action: 'reply', step: 'accept_resolve', version: 2, text: '路灯已更换，今晚起正常照明' })
      .expect(303);
    const res = await get(`requests/${id}.json?api_key=${key}`).expect(200);
    expect(res.body[0]).toMatchObject({ status: 'closed', status_notes: '路灯已更换，今晚起正常照明' });
    expect(JSON.stringify(res.body)).not.toContain('电工老王');
    const xml = await get(`requests/${id}.xml?api_key=${key}`).expect(200);
    expect(xmlValues(xml.text, 'status')).toEqual(['closed']);
    expect(xmlValues(xml.text, 'status_notes')).toEqual(['路灯已更换，今晚起正常照明']);
  });
});

describe('Open311 privacy', () => {
  it("public answers of every endpoint carry none of a named case's personal fields; anonymous cases carry none even with a key", async () => {
    const named = await aCase(t.sql, t.services, {
      phone: '13800001111',
      content: '我家老人行动不便，需要上门办理',
      internalNote: '内部备注：家属电话另存',
      publicReply: '已安排周三上门',
    });
    const anon = (await file(helpRequest({ service_code: 'speak-complaint', 'attribute[anonymous]': 'true', description: '邻居家的狗夜里一直叫，影响休息' })))
      .body[0].service_request_id as string;
    const secrets = ['李桂芳', '13800001111', '我家老人行动不便', household.address, named.token, '内部备注', 'photos', plateCode(plateId)];
    for (const fmt of FORMATS) {
      for (const url of [
        `discovery.${fmt}`,
        `services.${fmt}`,
        `services/help-callback.${fmt}`,
        `requests.${fmt}`,
        `requests/${named.trackingNo}.${fmt}`,
        `requests.${fmt}?service_request_id=${named.trackingNo},${anon}`,
      ]) {
        const res = await get(url).expect(200);
        for (const s of secrets) expect(res.text, `${url} shows ${s}`).not.toContain(s);
        expect(res.text).not.toContain('已安排周三上门');
      }
      const withKey = await get(`requests/${anon}.${fmt}?api_key=${key}`).expect(200);
      expect(withKey.text).not.toContain('邻居家的狗');
      expect(withKey.text).not.toContain('13912345678');
      const namedWithKey = await get(`requests/${named.trackingNo}.${fmt}?api_key=${key}`).expect(200);
      expect(namedWithKey.text).toContain('我家老人行动不便');
      expect(namedWithKey.text).not.toContain('内部备注');
      expect(namedWithKey.text).not.toContain(named.token);
    }
  });
});

describe('Open311 XML', () => {
  it('escapes markup and drops characters XML cannot carry', async () => {
    const id = (await file(helpRequest({ description: '<b>水管</b> & "阀门" \u0001坏了' }))).body[0].service_request_id as string;
    const res = await get(`requests/${id}.xml?api_key=${key}`).expect(200);
    expect(xmlValues(res.text, 'description')).toEqual(['<b>水管</b> & "阀门" 坏了']);
  });
});

describe('Open311 rate limit', () => {
  it('answers a key over its limit with a spec-shaped 429 and Retry-After, in the format asked for', async () => {
    const limited = buildApp({ rateLimits: { open311PerKeyPerMinute: 3 } });
    const k = (await limited.services.open311.createKey('限速测试', null)).key;
    for (let i = 0; i < 3; i++) await request(limited.app).get(`/open311/v2/services.json?api_key=${k}&jurisdiction_id=${JURISDICTION_ID}`).expect(200);
    const res = await request(limited.app).get(`/open311/v2/services.xml?api_key=${k}&jurisdiction_id=${JURISDICTION_ID}`);
    expectSpecError(res, 'xml', 429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Without a key the public documents are not counted against anyone's key.
    await request(limited.app).get(`/open311/v2/services.json?jurisdiction_id=${JURISDICTION_ID}`).expect(200);
  });
});
