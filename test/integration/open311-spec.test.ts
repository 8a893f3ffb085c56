import request from 'supertest';
import { SaxesParser } from 'saxes';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { plateCode } from '../../src/features/plates/sizes.js';
import { districtKey, inJurisdiction, JURISDICTION_ID, REQUEST_FIELDS } from '../helpers/open311.js';

/**
 * GeoReport v2 conformance, ported from the standard's own test material and run against the real
 * stack in both formats. Each check says where it comes from:
 *
 * [spec]      open311/open311.github.io GeoReport_v2/index.md — the specification: element names and
 *             order in its example responses, datatypes, W3C datetimes with a zone, Optional
 *             Arguments, the error shape and statuses.
 * [mysociety] mysociety/open311-adapter t/open311/endpoint.t — mySociety's endpoint tests: the
 *             service list and definition documents, POST validation (no service_code, no api_key,
 *             a bad service_code, a missing required attribute, a value outside the list), an
 *             optional singlevaluelist left empty, the POST answer, GET requests (filtered by
 *             service_code, an empty list) and GET one request.
 * [validator] SeeClickFix/open311-validator tests/discovery.rb, tests/services.rb, tests/create.rb
 *             and lib/test_helper.rb (validate_date_time is Ruby's Time.iso8601) — the Open311
 *             validator's rules.
 * [schema]    open311/schema-validation schema/georeport-v2/service.json, service-definition.json
 *             and request.json — Open311's JSON schemas: required fields, types, enums, maxLength.
 *
 * Where Mashang is stricter than these (privacy: no description without a key), the check follows
 * the stricter rule and says so.
 */

const FORMATS = ['json', 'xml'] as const;
type Fmt = (typeof FORMATS)[number];

/** An element with its children in document order; the parser refuses a malformed document. */
interface El {
  name: string;
  text: string;
  children: El[];
}
function parseXml(text: string): El {
  const parser = new SaxesParser();
  const root: El = { name: '#document', text: '', children: [] };
  const stack: El[] = [root];
  parser.on('opentag', (tag) => {
    const el: El = { name: tag.name, text: '', children: [] };
    stack.at(-1)!.children.push(el);
    stack.push(el);
  });
  parser.on('text', (s) => {
    stack.at(-1)!.text += s;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.write(text).close();
  expect(root.children).toHaveLength(1);
  return root.children[0]!;
}
const names = (el: El) => el.children.map((c) => c.name);
const child = (el: El, name: string) => el.children.find((c) => c.name === name);

// [spec] element order of the example responses (GET Service List, GET Service Definition, POST
// Service Request, GET Service Request(s), Errors)
const SERVICE_ORDER = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'];
const DEFINITION_ORDER = ['service_code', 'attributes'];
const ATTRIBUTE_ORDER = ['variable', 'code', 'datatype', 'required', 'datatype_description', 'order', 'description', 'values'];
const VALUE_ORDER = ['key', 'name'];
const POSTED_ORDER = ['service_request_id', 'service_notice', 'account_id'];
const ERROR_ORDER = ['code', 'description'];
// [spec] [schema] service-definition.json: datatype's enum
const DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'];
// [spec] "Timezone information (either Z meaning UTC, or an HH:MM offset from UTC) must be included."
const W3C_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;
const isW3cDateTime = (v: unknown) => typeof v === 'string' && W3C_DATETIME.test(v) && !Number.isNaN(Date.parse(v));

type Json = Record<string, unknown>;
const stringOrNull = (v: unknown) => v === null || typeof v === 'string';

/** [schema] service.json: required service_code, service_name, metadata (boolean), type (enum); description, keywords, group string or null. */
function expectSchemaService(s: Json) {
  expect(typeof s.service_code).toBe('string');
  expect(typeof s.service_name).toBe('string');
  expect(typeof s.metadata).toBe('boolean');
  expect(['realtime', 'batch', 'blackbox']).toContain(s.type);
  for (const k of ['description', 'keywords', 'group']) expect(stringOrNull(s[k]), k).toBe(true);
}

/** [schema] service-definition.json, [spec] GET Service Definition. */
function expectSchemaDefinition(d: Json, code: string) {
  expect(d.service_code).toBe(code);
  expect(Array.isArray(d.attributes)).toBe(true);
  const orders: number[] = [];
  for (const a of d.attributes as Json[]) {
    expect(typeof a.variable).toBe('boolean');
    expect(typeof a.code).toBe('string');
    expect(DATATYPES).toContain(a.datatype);
    expect(typeof a.required).toBe('boolean');
    expect(stringOrNull(a.datatype_description)).toBe(true);
    expect(stringOrNull(a.description)).toBe(true);
    // [spec] order: "Any positive integer not used for other attributes in the same service_code"
    expect(Number.isInteger(a.order) && (a.order as number) > 0).toBe(true);
    orders.push(a.order as number);
    // [spec] values: "specified in this response" for the list types
    if (a.datatype === 'singlevaluelist' || a.datatype === 'multivaluelist') {
      expect((a.values as Json[]).length).toBeGreaterThan(0);
      for (const v of a.values as Json[]) {
        expect(Object.keys(v)).toEqual(VALUE_ORDER);
        expect(typeof v.key).toBe('string');
        expect(typeof v.name).toBe('string');
      }
      expect(new Set((a.values as Json[]).map((v) => v.key)).size).toBe((a.values as Json[]).length);
    } else expect(a.values).toBeUndefined();
  }
  expect(new Set(orders).size).toBe(orders.length);
}

/** [schema] request.json: required fields and their types; [spec] GET Service Requests. */
function expectSchemaRequest(r: Json) {
  expect(Object.keys(r)).toEqual(REQUEST_FIELDS);
  expect(typeof r.service_request_id).toBe('string');
  expect(['open', 'closed']).toContain(r.status);
  expect(typeof r.service_code).toBe('string');
  expect(isW3cDateTime(r.requested_datetime)).toBe(true);
  for (const k of ['updated_datetime', 'expected_datetime']) expect(r[k] === null || isW3cDateTime(r[k]), k).toBe(true);
  for (const k of ['status_notes', 'service_name', 'agency_responsible', 'service_notice', 'address', 'address_id', 'zipcode']) {
    expect(stringOrNull(r[k]), k).toBe(true);
  }
  expect(r.description === null || (typeof r.description === 'string' && r.description.length <= 4000)).toBe(true);
  for (const k of ['lat', 'long']) expect(r[k] === null || typeof r[k] === 'number', k).toBe(true);
  expect(r.media_url === null || (typeof r.media_url === 'string' && URL.canParse(r.media_url))).toBe(true);
}

/** [spec] Errors: HTTP 4xx, `[{"code", "description"}]` / `<errors><error><code/><description/></error></errors>`, code = HTTP status. */
function expectSpecError(res: request.Response, fmt: Fmt, status: number) {
  expect(res.status, res.text).toBe(status);
  if (fmt === 'json') {
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.text) as Json[];
    expect(Array.isArray(body) && body.length >= 1).toBe(true);
    for (const e of body) {
      expect(Object.keys(e)).toEqual(ERROR_ORDER);
      expect(e.code).toBe(status);
      expect(typeof e.description === 'string' && e.description.length > 0).toBe(true);
    }
  } else {
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(res.text.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
    const root = parseXml(res.text);
    expect(root.name).toBe('errors');
    expect(root.children.length).toBeGreaterThanOrEqual(1);
    for (const e of root.children) {
      expect(e.name).toBe('error');
      expect(names(e)).toEqual(ERROR_ORDER);
      expect(child(e, 'code')!.text).toBe(String(status));
      expect(child(e, 'description')!.text.length).toBeGreaterThan(0);
    }
  }
}

/** [spec] Format Support: the content type of each format; XML with its declaration. */
function expectFormat(res: request.Response, fmt: Fmt) {
  expect(res.headers['content-type']).toBe(fmt === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8');
  if (fmt === 'xml') expect(res.text.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<')).toBe(true);
}

let t: TestApp;
let key: string;
let address: string;
let quietItem: string;

beforeAll(async () => {
  t = buildApp();
  key = (await t.services.open311.createKey('12345', null)).key;
  const household = await demoHousehold(t.sql);
  address = plateCode((await t.services.places.plateByToken(household.token)).plateId);
  const items = (await t.services.catalog.applicableItems((await t.services.places.districtByCode('370812'))!.id)).map((i) => i.code);
  const used = new Set(await t.sql.column<string>('SELECT DISTINCT i.code FROM cases c JOIN catalog_items i ON i.id = c.item_id'));
  quietItem = items.find((c) => !used.has(c))!;
});

/**
 * [spec] jurisdiction_id: "This is only required if the endpoint serves multiple jurisdictions" — the
 * seeded installation serves two districts, so each call names 兖州区 unless it names one itself.
 */
const get = (path: string) => request(t.app).get(`/open311/v2/${inJurisdiction(path)}`);
/** A GET exactly as given, naming no jurisdiction unless the path does. */
const getAsIs = (path: string) => request(t.app).get(`/open311/v2/${path}`);
const post = (fmt: Fmt, fields: Record<string, string>) => request(t.app).post(`/open311/v2/requests.${fmt}`).type('form').send(fields);
const callBack = (extra: Record<string, string> = {}) => ({
  api_key: key,
  jurisdiction_id: JURISDICTION_ID,
  service_code: 'help-callback',
  address_id: address,
  last_name: '李',
  first_name: '桂芳',
  phone: '13912345678',
  'attribute[callback_time]': 'morning',
  ...extra,
});

describe('GeoReport v2 conformance: Service Discovery', () => {
  // [validator] tests/discovery.rb, every rule; both formats fetched and compared
  it('both formats answer, with the same contact and key_service, valid past changesets, and every endpoint complete; v2 endpoints support XML', async () => {
    const json = await get('discovery.json').expect(200);
    const xml = await get('discovery.xml').expect(200);
    expectFormat(json, 'json');
    expectFormat(xml, 'xml');
    const j = json.body as { contact: string; key_service: string; changeset: string; endpoints: Json[] };
    const x = parseXml(xml.text);
    expect(x.name).toBe('discovery');
    expect(j.contact.trim()).not.toBe('');
    expect(j.key_service.trim()).not.toBe('');
    expect(child(x, 'contact')!.text).toBe(j.contact);
    expect(child(x, 'key_service')!.text).toBe(j.key_service);
    expect(isW3cDateTime(j.changeset)).toBe(true);
    expect(child(x, 'changeset')!.text).toBe(j.changeset);
    const xmlEndpoints = child(x, 'endpoints')!.children;
    expect(xmlEndpoints.length).toBeGreaterThan(0);
    expect(j.endpoints.length).toBe(xmlEndpoints.length);
    for (const [i, e] of j.endpoints.entries()) {
      for (const k of ['specification', 'url', 'changeset', 'type']) expect(String(e[k]).trim(), k).not.toBe('');
      expect(isW3cDateTime(e.changeset)).toBe(true);
      expect(Date.parse(e.changeset as string)).toBeLessThan(Date.now());
      expect(Array.isArray(e.formats) && (e.formats as string[]).length > 0).toBe(true);
      const xe = xmlEndpoints[i]!;
      expect(xe.name).toBe('endpoint');
      expect(child(xe, 'formats')!.children.map((f) => [f.name, f.text])).toEqual((e.formats as string[]).map((f) => ['format', f]));
      if (/_v2$/i.test(e.specification as string)) expect(e.formats).toContain('text/xml');
    }
  });
});

describe('GeoReport v2 conformance: GET Service List', () => {
  it.each(FORMATS)('services.%s: at least one service, each with a code and every field in the spec order and types', async (fmt) => {
    // [validator] tests/services.rb; [mysociety] "GET Service List"; [schema] service.json; [spec] example order
    const res = await get(`services.${fmt}`).expect(200);
    expectFormat(res, fmt);
    if (fmt === 'json') {
      const list = res.body as Json[];
      expect(list.length).toBeGreaterThan(0);
      for (const s of list) {
        expect(Object.keys(s)).toEqual(SERVICE_ORDER);
        expectSchemaService(s);
        expect((s.service_code as string).length).toBeGreaterThan(0);
      }
      expect(new Set(list.map((s) => s.service_code)).size).toBe(list.length);
    } else {
      const root = parseXml(res.text);
      expect(root.name).toBe('services');
      expect(root.children.length).toBeGreaterThan(0);
      for (const s of root.children) {
        expect(s.name).toBe('service');
        expect(names(s)).toEqual(SERVICE_ORDER);
        expect(['true', 'false']).toContain(child(s, 'metadata')!.text);
        expect(['realtime', 'batch', 'blackbox']).toContain(child(s, 'type')!.text);
        expect(child(s, 'service_code')!.text).not.toBe('');
      }
    }
  });

  it.each(FORMATS)('an unknown jurisdiction_id is 404; an empty one is the same as none (%s)', async (fmt) => {
    // [spec] Possible Errors: "404 - jurisdiction_id provided was not found"; Optional Arguments
    expectSpecError(await get(`services.${fmt}?jurisdiction_id=sfgov.org`), fmt, 404);
    // [spec] jurisdiction_id is required of an endpoint that serves several: none is 400, and so is an empty one
    const none = await getAsIs(`services.${fmt}`);
    expectSpecError(none, fmt, 400);
    const empty = await getAsIs(`services.${fmt}?jurisdiction_id=`);
    expectSpecError(empty, fmt, 400);
    expect(empty.text).toBe(none.text);
  });
});

describe('GeoReport v2 conformance: GET Service Definition', () => {
  it.each(FORMATS)('every service with metadata has a definition with typed attributes in the spec order (%s)', async (fmt) => {
    // [mysociety] "GET Service Definition"; [schema] service-definition.json; [spec] example order
    const services = (await get('services.json').expect(200)).body as Json[];
    const sample = [...services.filter((s) => s.service_code !== quietItem).slice(0, 3), ...services.slice(-6)];
    for (const s of sample.filter((x) => x.metadata === true)) {
      const code = s.service_code as string;
      const res = await get(`services/${code}.${fmt}`).expect(200);
      expectFormat(res, fmt);
      if (fmt === 'json') {
        expect(Object.keys(res.body as Json)).toEqual(DEFINITION_ORDER);
        expectSchemaDefinition(res.body as Json, code);
        for (const a of (res.body as { attributes: Json[] }).attributes) {
          expect(Object.keys(a)).toEqual(a.values ? ATTRIBUTE_ORDER : ATTRIBUTE_ORDER.slice(0, -1));
        }
      } else {
        const root = parseXml(res.text);
        expect(root.name).toBe('service_definition');
        expect(names(root)).toEqual(DEFINITION_ORDER);
        expect(child(root, 'service_code')!.text).toBe(code);
        for (const a of child(root, 'attributes')!.children) {
          expect(a.name).toBe('attribute');
          expect(names(a)).toEqual(child(a, 'values') ? ATTRIBUTE_ORDER : ATTRIBUTE_ORDER.slice(0, -1));
          expect(DATATYPES).toContain(child(a, 'datatype')!.text);
          expect(['true', 'false']).toContain(child(a, 'variable')!.text);
          expect(['true', 'false']).toContain(child(a, 'required')!.text);
          expect(child(a, 'order')!.text).toMatch(/^[1-9]\d*$/);
          for (const v of child(a, 'values')?.children ?? []) {
            expect(v.name).toBe('value');
            expect(names(v)).toEqual(VALUE_ORDER);
          }
        }
      }
    }
  });

  it.each(FORMATS)('an unknown service_code or jurisdiction_id is 404 (%s)', async (fmt) => {
    // [spec] Possible Errors: "404 - service_code or jurisdiction_id provided were not found"
    expectSpecError(await get(`services/BADGER.${fmt}`), fmt, 404);
    expectSpecError(await get(`services/help-callback.${fmt}?jurisdiction_id=sfgov.org`), fmt, 404);
  });
});

describe('GeoReport v2 conformance: POST Service Request', () => {
  it.each(FORMATS)('validation: no service_code, no api_key, a bad service_code, a missing required attribute, a value outside the list (%s)', async (fmt) => {
    // [mysociety] "POST Service Request validation", in its order; [spec] 403 for the key, 404 for a code not found
    const { service_code: _c, ...noCode } = callBack();
    expectSpecError(await post(fmt, noCode), fmt, 400);
    const { api_key: _k, ...noKey } = callBack();
    expectSpecError(await post(fmt, noKey), fmt, 403);
    expectSpecError(await post(fmt, callBack({ api_key: 'test' })), fmt, 403);
    expectSpecError(await post(fmt, callBack({ service_code: 'BADGER' })), fmt, 404);
    const { 'attribute[callback_time]': _a, ...noAttribute } = callBack();
    expectSpecError(await post(fmt, noAttribute), fmt, 400);
    expectSpecError(await post(fmt, callBack({ 'attribute[callback_time]': 'starfish' })), fmt, 400);
    // [spec] Required Arguments: a location (lat & long, address_string or address_id)
    const { address_id: _l, ...nowhere } = callBack();
    expectSpecError(await post(fmt, nowhere), fmt, 400);
  });

  it.each(FORMATS)('a valid request answers a one-element list: service_request_id, service_notice, account_id (%s)', async (fmt) => {
    // [mysociety] "POST Service Request valid test"; [spec] POST Service Request example; [validator] tests/create.rb (with email and description)
    const res = await post(fmt, callBack({ email: 'foo@bar.com', description: 'I know' })).expect(200);
    expectFormat(res, fmt);
    if (fmt === 'json') {
      const body = res.body as Json[];
      expect(body).toHaveLength(1);
      expect(Object.keys(body[0]!)).toEqual(POSTED_ORDER);
      expect(typeof body[0]!.service_request_id).toBe('string');
      expect(typeof body[0]!.service_notice).toBe('string');
      expect(body[0]!.account_id).toBeNull();
    } else {
      const root = parseXml(res.text);
      expect(root.name).toBe('service_requests');
      expect(names(root)).toEqual(['request']);
      expect(names(root.children[0]!)).toEqual(POSTED_ORDER);
      expect(child(root.children[0]!, 'service_request_id')!.text).not.toBe('');
    }
  });

  it.each(FORMATS)('an optional singlevaluelist left empty ("nothing picked") is accepted (%s)', async (fmt) => {
    // [mysociety] "POST Service Request with optional singlevaluelist": 'attribute[shape]' => ''
    const def = (await get('services/speak-suggestion.json').expect(200)).body as { attributes: Json[] };
    const optionalList = def.attributes.find((a) => a.datatype === 'singlevaluelist' && a.required === false)!;
    expect(optionalList).toBeDefined();
    await post(fmt, {
      api_key: key,
      jurisdiction_id: JURISDICTION_ID,
      service_code: 'speak-suggestion',
      address_id: address,
      last_name: '李',
      first_name: '桂芳',
      phone: '13912345678',
      description: '村里的健身器材坏了两件，希望修一修',
      [`attribute[${optionalList.code as string}]`]: '',
    }).expect(200);
  });
});

describe('GeoReport v2 conformance: GET Service Requests and GET Service Request', () => {
  it.each(FORMATS)('requests.%s lists requests with every field in the spec order, typed as the schema says; service_code filters', async (fmt) => {
    // [mysociety] "GET Service Requests"; [schema] request.json; [spec] example order
    const filed = (await post('json', callBack()).expect(200)).body[0].service_request_id as string;
    const res = await get(`requests.${fmt}?api_key=${key}`).expect(200);
    expectFormat(res, fmt);
    if (fmt === 'json') {
      const list = res.body as Json[];
      expect(list.map((r) => r.service_request_id)).toContain(filed);
      for (const r of list) expectSchemaRequest(r);
    } else {
      const root = parseXml(res.text);
      expect(root.name).toBe('service_requests');
      expect(root.children.map((r) => child(r, 'service_request_id')!.text)).toContain(filed);
      for (const r of root.children) {
        expect(r.name).toBe('request');
        expect(names(r)).toEqual(REQUEST_FIELDS);
        expect(['open', 'closed']).toContain(child(r, 'status')!.text);
        expect(isW3cDateTime(child(r, 'requested_datetime')!.text)).toBe(true);
        for (const k of ['lat', 'long']) expect(child(r, k)!.text === '' || Number.isFinite(Number(child(r, k)!.text))).toBe(true);
      }
    }
    const mine = await get(`requests.${fmt}?service_code=help-callback`).expect(200);
    const codes = fmt === 'json' ? (mine.body as Json[]).map((r) => r.service_code) : parseXml(mine.text).children.map((r) => child(r, 'service_code')!.text);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['help-callback']));
  });

  it.each(FORMATS)('a service with no requests gives an empty list, not an error (%s)', async (fmt) => {
    // [mysociety] "xml string ok BIN (no requests)": <service_requests>\n</service_requests>
    const res = await get(`requests.${fmt}?service_code=${quietItem}`).expect(200);
    if (fmt === 'json') expect(res.body).toEqual([]);
    else {
      const root = parseXml(res.text);
      expect(root.name).toBe('service_requests');
      expect(root.children).toEqual([]);
    }
  });

  it.each(FORMATS)('requests/{id}.%s is a one-element list of that request; unknown is 404', async (fmt) => {
    // [mysociety] "GET Service Request"; [spec] "404 for resources that don't exist"
    const filed = (await post('json', callBack()).expect(200)).body[0].service_request_id as string;
    const res = await get(`requests/${filed}.${fmt}`).expect(200);
    expectFormat(res, fmt);
    if (fmt === 'json') {
      expect(res.body).toHaveLength(1);
      expectSchemaRequest((res.body as Json[])[0]!);
      expect((res.body as Json[])[0]!.service_request_id).toBe(filed);
      // Mashang, stricter than the spec: no description without a key
      expect((res.body as Json[])[0]!.description).toBeNull();
    } else {
      const root = parseXml(res.text);
      expect(names(root)).toEqual(['request']);
      expect(child(root.children[0]!, 'service_request_id')!.text).toBe(filed);
    }
    expectSpecError(await get(`requests/20000101-9999.${fmt}`), fmt, 404);
  });

  it.each(FORMATS)('malformed filters are 400; empty optional ones answer as if absent (%s)', async (fmt) => {
    // [spec] GET Service Requests arguments (start_date/end_date "must use w3 format", status open|closed) and Optional Arguments
    expectSpecError(await get(`requests.${fmt}?start_date=yesterday`), fmt, 400);
    expectSpecError(await get(`requests.${fmt}?end_date=2026-11-30T08:00:00`), fmt, 400);
    expectSpecError(await get(`requests.${fmt}?status=pending`), fmt, 400);
    expectSpecError(await get(`requests.${fmt}?service_request_id=x;y`), fmt, 400);
    // a key of 兖州区 needs no jurisdiction_id, so an empty one is as none too
    const yanzhou = await districtKey(t, `兖州区-${fmt}`, JURISDICTION_ID);
    const none = await getAsIs(`requests.${fmt}?api_key=${yanzhou}`).expect(200);
    const empty = await getAsIs(`requests.${fmt}?api_key=${yanzhou}&start_date=&end_date=&status=&service_code=&service_request_id=&jurisdiction_id=`).expect(
      200,
    );
    expect(empty.text).toBe(none.text);
  });
});

describe('GeoReport v2 conformance: tokens and errors', () => {
  it.each(FORMATS)('tokens/{token} is 404 (realtime services hand out none); unknown resources and formats are spec-shaped (%s)', async (fmt) => {
    // [spec] GET service_request_id from a token: only for type=batch; every service here is realtime
    const services = (await get('services.json').expect(200)).body as Json[];
    expect(new Set(services.map((s) => s.type))).toEqual(new Set(['realtime']));
    expectSpecError(await get(`tokens/abc123.${fmt}`), fmt, 404);
    expectSpecError(await get(`nothing.${fmt}`), fmt, 404);
    expectSpecError(await request(t.app).delete(`/open311/v2/requests.${fmt}`), fmt, 405);
  });
});
