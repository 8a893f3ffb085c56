import { parseVillageCoordinates, type CoordinateProblem } from '../../domain/geo.js';
import { t } from '../../i18n/index.js';
import type { PlaceRow } from '../places/service.js';
import type { Dataset, RowError } from './datasets.js';

const len = (s: string, min: number, max: number) => Array.from(s).length >= min && Array.from(s).length <= max;
const PHONE = /^[0-9()（）\-\s]{0,30}$/;

/** What a coordinate cell's problem says, by column. */
const COORDINATE_MESSAGE: Record<'latitude' | 'longitude', Record<CoordinateProblem, string>> = {
  latitude: { notNumber: 'data.places.latitude', outOfRange: 'data.places.latitudeRange', pair: 'data.places.coordinatePair' },
  longitude: { notNumber: 'data.places.longitude', outOfRange: 'data.places.longitudeRange', pair: 'data.places.coordinatePair' },
};
const COORDINATE_COLUMN = { latitude: '纬度', longitude: '经度' } as const;
/** A number as the export writes it: the stored value, or empty when not known. */
const degrees = (v: number | null | undefined) => (v == null ? '' : String(v));

/**
 * 镇街与村居: one row per village, with its township (and the township's 便民服务中心) and district.
 * Keyed on the village code: a new code adds the village (and its township or district when they
 * are new too) with its plate; a known one renames. Only admins import it (see the transfer service).
 * 经度 and 纬度 (WGS-84 decimal degrees, inside China) are optional columns: empty cells clear a
 * village's coordinates, a file without the columns keeps them.
 */
export const places: Dataset<PlaceRow> = {
  name: 'places',
  headers: [
    '区县代码',
    '区县名称',
    '乡镇代码',
    '乡镇名称',
    '便民服务中心地址',
    '便民服务中心办理时间',
    '便民服务中心电话',
    '村居代码',
    '村居名称',
    '经度',
    '纬度',
  ],
  parse(c) {
    const errors: Array<{ column: string; message: string }> = [];
    const cell = (column: string) => c[column] ?? '';
    const row: PlaceRow = {
      districtCode: cell('区县代码'),
      districtName: cell('区县名称'),
      townCode: cell('乡镇代码'),
      townName: cell('乡镇名称'),
      centreAddress: cell('便民服务中心地址'),
      centreHours: cell('便民服务中心办理时间'),
      centrePhone: cell('便民服务中心电话'),
      villageCode: cell('村居代码'),
      villageName: cell('村居名称'),
    };
    if (!/^\d{6}$/.test(row.districtCode)) errors.push({ column: '区县代码', message: t('data.places.districtCode') });
    if (!len(row.districtName, 1, 20)) errors.push({ column: '区县名称', message: t('data.places.districtName') });
    if (!/^\d{9}$/.test(row.townCode) || !row.townCode.startsWith(row.districtCode)) errors.push({ column: '乡镇代码', message: t('data.places.townCode') });
    if (!len(row.townName, 1, 30)) errors.push({ column: '乡镇名称', message: t('data.places.name') });
    if (!len(row.centreAddress, 0, 100)) errors.push({ column: '便民服务中心地址', message: t('data.places.centreAddress') });
    if (!len(row.centreHours, 1, 100)) errors.push({ column: '便民服务中心办理时间', message: t('data.places.centreHours') });
    if (!PHONE.test(row.centrePhone)) errors.push({ column: '便民服务中心电话', message: t('data.places.centrePhone') });
    if (!/^\d{12}$/.test(row.villageCode) || !row.villageCode.startsWith(row.townCode))
      errors.push({ column: '村居代码', message: t('data.places.villageCode') });
    if (!len(row.villageName, 1, 30)) errors.push({ column: '村居名称', message: t('data.places.name') });
    if ('经度' in c || '纬度' in c) {
      const { value, problems } = parseVillageCoordinates(cell('纬度'), cell('经度'));
      for (const k of ['longitude', 'latitude'] as const) {
        const problem = problems[k];
        if (problem) errors.push({ column: COORDINATE_COLUMN[k], message: t(COORDINATE_MESSAGE[k][problem]) });
      }
      row.latitude = value?.latitude ?? null;
      row.longitude = value?.longitude ?? null;
    }
    return errors.length ? { errors } : { value: row, errors };
  },
  key: (v) => v.villageCode,
  async existing(owners) {
    return new Map((await owners.places.placeRows()).map(({ villageId: _, ...r }) => [r.villageCode, r]));
  },
  // A row from a file without the coordinate columns says nothing about them.
  same: (a, b) =>
    (Object.keys(a) as Array<keyof PlaceRow>).every(
      (k) => a[k] === b[k] || ((k === 'latitude' || k === 'longitude') && (a[k] === undefined || b[k] === undefined)),
    ),
  // A township (and a district) is written once per village row: every row naming it must say the same.
  // A caller serving some districts only (a district's administrator, the command line's --district)
  // writes rows of those districts only.
  async conflicts(owners, rows, scope) {
    const errors: RowError[] = [];
    if (!scope.all) {
      const served = new Set((await owners.places.districts()).filter((d) => scope.districtIds.has(d.id)).map((d) => d.code));
      for (const r of rows) if (!served.has(r.value.districtCode)) errors.push({ row: r.row, column: '区县代码', message: t('data.places.otherDistrict') });
    }
    const towns = new Map<string, { row: number; value: PlaceRow }>();
    const districts = new Map<string, { row: number; value: PlaceRow }>();
    for (const r of rows) {
      const town = towns.get(r.value.townCode);
      const district = districts.get(r.value.districtCode);
      if (!town) towns.set(r.value.townCode, r);
      else if (['townName', 'centreAddress', 'centreHours', 'centrePhone'].some((k) => town.value[k as keyof PlaceRow] !== r.value[k as keyof PlaceRow])) {
        errors.push({ row: r.row, column: '乡镇名称', message: t('data.places.townDiffers', { row: town.row }) });
      }
      if (!district) districts.set(r.value.districtCode, r);
      else if (district.value.districtName !== r.value.districtName) {
        errors.push({ row: r.row, column: '区县名称', message: t('data.places.districtDiffers', { row: district.row }) });
      }
    }
    return errors;
  },
  async write(owners, values, opts = {}) {
    const token = opts.plateToken;
    await owners.places.importPlaces(values, token ? (villageCode) => token({ kind: 'village', villageCode }) : undefined);
  },
  async exportRows(owners, scope) {
    return (await owners.places.placeRows())
      .filter((r) => scope.villageIds.has(r.villageId))
      .map((r) => [
        r.districtCode,
        r.districtName,
        r.townCode,
        r.townName,
        r.centreAddress,
        r.centreHours,
        r.centrePhone,
        r.villageCode,
        r.villageName,
        degrees(r.longitude),
        degrees(r.latitude),
      ]);
  },
};
