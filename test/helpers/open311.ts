import type { TestApp } from './app.js';

/** GeoReport v2's fields of a service request, in the order of the spec's example responses. */
export const REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
];

/**
 * The jurisdiction the Open311 tests speak to: the demo's first district, 兖州区. The seeded
 * installation serves two districts (兖州区 and 曲阜市), so a GeoReport client names the one it means
 * (`jurisdiction_id`) unless its API key belongs to a district.
 */
export const JURISDICTION_ID = '370812';
/** The demo's second district, 曲阜市, with a small catalogue of its own. */
export const OTHER_JURISDICTION_ID = '370881';

/** An Open311 path (after /open311/v2/) with `jurisdiction_id` added, unless it already names one (even an empty one). */
export function inJurisdiction(path: string, code: string = JURISDICTION_ID): string {
  if (/[?&]jurisdiction_id=/.test(path)) return path;
  return `${path}${path.includes('?') ? '&' : '?'}jurisdiction_id=${code}`;
}

/**
 * A new API key that belongs to a district (api_keys.district_id): it files and reads in that
 * district without naming it, and only there. Returns the key itself.
 */
export async function districtKey(t: Pick<TestApp, 'services'>, name: string, code: string = JURISDICTION_ID): Promise<string> {
  const district = await t.services.places.districtByCode(code);
  if (!district) throw new Error(`no district ${code}`);
  const { key, row } = await t.services.open311.createKey(name, null, district.id);
  // the premise of every test that uses it
  if (row.districtId !== district.id) throw new Error(`the key was not made for district ${code}`);
  return key;
}
