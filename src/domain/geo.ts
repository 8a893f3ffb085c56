/**
 * Village coordinates: WGS-84 decimal degrees (what GPS and Open311 give; 高德 and 腾讯 maps show
 * GCJ-02, a few hundred metres off, which is still the right village at the distances used here).
 */

/** A point in decimal degrees. */
export interface LatLong {
  latitude: number;
  longitude: number;
}

/**
 * The mainland's and islands' extent, rounded outwards: 曾母暗沙 (3.86 N) to 漠河 (53.56 N), 帕米尔
 * (73.50 E) to 黑瞎子岛 (135.08 E). A coordinate outside it is a mistake (swapped columns, a
 * projected metre value, a point in another country), not a village of this installation.
 */
export const CHINA_RANGE = { latitude: { min: 3.8, max: 53.6 }, longitude: { min: 73.4, max: 135.1 } } as const;

/** A decimal number as people type it: digits, at most one point, up to 8 decimals (about a millimetre). */
const DECIMAL = /^[+-]?\d{1,3}(?:\.\d{1,8})?$/;

export type CoordinateProblem = 'notNumber' | 'outOfRange' | 'pair';

/**
 * One coordinate written in decimal degrees, checked against `range`; `undefined` for an empty
 * text. Degrees-minutes-seconds, commas as decimal points, exponents and full-width digits are
 * refused (NFKC makes full-width digits ASCII first, as a spreadsheet from a Chinese IME may have them).
 */
export function parseDegrees(raw: string, range: { min: number; max: number }): { value?: number; problem?: CoordinateProblem } {
  const text = raw.normalize('NFKC').trim();
  if (text === '') return {};
  if (!DECIMAL.test(text)) return { problem: 'notNumber' };
  const value = Number(text);
  if (!Number.isFinite(value)) return { problem: 'notNumber' };
  if (value < range.min || value > range.max) return { problem: 'outOfRange' };
  return { value };
}

/**
 * A village's latitude and longitude as typed (a form, an import row): both empty is "not known"
 * (null), one alone is a problem, each must be in China's range. Problems are keyed by which one.
 */
export function parseVillageCoordinates(
  latitudeText: string,
  longitudeText: string,
): { value: LatLong | null; problems: Partial<Record<'latitude' | 'longitude', CoordinateProblem>> } {
  const lat = parseDegrees(latitudeText, CHINA_RANGE.latitude);
  const long = parseDegrees(longitudeText, CHINA_RANGE.longitude);
  const problems: Partial<Record<'latitude' | 'longitude', CoordinateProblem>> = {};
  if (lat.problem) problems.latitude = lat.problem;
  if (long.problem) problems.longitude = long.problem;
  if (!lat.problem && !long.problem && (lat.value === undefined) !== (long.value === undefined)) {
    problems[lat.value === undefined ? 'latitude' : 'longitude'] = 'pair';
  }
  if (Object.keys(problems).length || lat.value === undefined || long.value === undefined) return { value: null, problems };
  return { value: { latitude: lat.value, longitude: long.value }, problems };
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** The great-circle distance between two points in kilometres (haversine, on the mean Earth radius). */
export function distanceKm(a: LatLong, b: LatLong): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLong = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLong / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The place nearest to `point` with its distance; undefined when there are none. */
export function nearest<T extends LatLong>(point: LatLong, places: readonly T[]): { place: T; km: number } | undefined {
  let best: { place: T; km: number } | undefined;
  for (const place of places) {
    const km = distanceKm(point, place);
    if (!best || km < best.km) best = { place, km };
  }
  return best;
}
