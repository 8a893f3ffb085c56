import { t } from '../../i18n/index.js';
import { isMobile, normalisePhone } from '../../domain/phone.js';
import { isRealDate, normaliseDate } from '../../domain/dates.js';
import { inScope, type Scope } from '../../domain/scope.js';
import type { CadreRole, CadreServing, CadresService } from '../cadres/service.js';
import type { CalendarService } from '../calendar/service.js';
import type { CatalogService } from '../catalog/service.js';
import type { HouseholdRecord, PlacesService } from '../places/service.js';

/** The features that own what a dataset reads and writes: datasets go through their services only. */
export interface Owners {
  places: PlacesService;
  cadres: CadresService;
  calendar: CalendarService;
  catalog: CatalogService;
}

/** The owners as one import or export sees them: with the district it works in (the catalogue is a district's). */
export interface BoundOwners extends Owners {
  /** the district a catalogue import or export works in; refuses when the caller must name one */
  district(): Promise<number>;
}

/** One problem in an imported file, where staff can find it. */
export interface RowError {
  row: number;
  column: string;
  message: string;
}

export type RowStatus = 'add' | 'change' | 'same';

export interface PlannedRow<T> {
  row: number;
  status: RowStatus;
  value: T;
  /** what it replaces, for the preview */
  before?: T;
}

export type { Scope };

/** How rows are written; the defaults are what staff's imports use. */
export interface WriteOptions {
  /**
   * The token of a plate that a row creates: a random one (newPlateToken) unless given. The demo
   * seed derives them from its key, so the same key gives the same plates.
   */
  plateToken?: (plate: { kind: 'village'; villageCode: string } | { kind: 'household'; villageCode: string; address: string }) => string;
}

/** A kind of data that can be exported, edited in Excel and imported again. */
export interface Dataset<T> {
  name: 'places' | 'households' | 'cadres' | 'calendar' | 'catalog';
  headers: readonly string[];
  /** checks one row; `villageId` resolves a village code within the caller's scope */
  parse(
    cells: Record<string, string>,
    ctx: { villageId: (code: string) => number | undefined },
  ): { value?: T; errors: Array<{ column: string; message: string }> };
  key(v: T): string;
  /** the current value for each key among these rows */
  existing(owners: BoundOwners, values: T[]): Promise<Map<string, T>>;
  same(a: T, b: T): boolean;
  /** rows that would reach beyond the caller's scope (checked with the rest, before anything is written) */
  conflicts?(owners: BoundOwners, rows: Array<{ row: number; value: T }>, scope: Scope): Promise<RowError[]>;
  /** writes new and changed rows, all or none, keyed on their natural key: writing the same rows twice changes nothing more */
  write(owners: BoundOwners, values: T[], opts?: WriteOptions): Promise<void>;
  exportRows(owners: BoundOwners, scope: Scope): Promise<string[][]>;
  /** exportRows in slices, each read whole, for datasets that grow with the district (a download is written between two slices) */
  exportSlices?(owners: BoundOwners, scope: Scope): AsyncIterable<string[][]>;
}

/** The 村居代码 column: a 12-digit code of a village in the caller's scope. */
function villageCell(
  c: Record<string, string>,
  ctx: { villageId: (code: string) => number | undefined },
  errors: Array<{ column: string; message: string }>,
): { villageCode: string; villageId: number | undefined } {
  const villageCode = c['村居代码'] ?? '';
  const villageId = /^\d{12}$/.test(villageCode) ? ctx.villageId(villageCode) : undefined;
  if (!/^\d{12}$/.test(villageCode)) errors.push({ column: '村居代码', message: t('transfer.villageCode') });
  else if (villageId === undefined) errors.push({ column: '村居代码', message: t('transfer.noVillage') });
  return { villageCode, villageId };
}

const len = (s: string, min: number, max: number) => Array.from(s).length >= min && Array.from(s).length <= max;

// ---- households -----------------------------------------------------------------------------

export type HouseholdRow = HouseholdRecord;

export const households: Dataset<HouseholdRow> = {
  name: 'households',
  headers: ['村居代码', '门牌地址', '户联系人', '联系电话', '备注'],
  parse(c, ctx) {
    const errors: Array<{ column: string; message: string }> = [];
    const { villageCode, villageId } = villageCell(c, ctx, errors);
    const address = c['门牌地址'] ?? '';
    if (!len(address, 1, 50)) errors.push({ column: '门牌地址', message: t('transfer.address') });
    const contactName = c['户联系人'] ?? '';
    if (!len(contactName, 0, 20)) errors.push({ column: '户联系人', message: t('transfer.contactName') });
    const rawPhone = c['联系电话'] ?? '';
    const contactPhone = rawPhone ? normalisePhone(rawPhone) : '';
    if (contactPhone && !isMobile(contactPhone)) errors.push({ column: '联系电话', message: t('transfer.mobile') });
    const notes = c['备注'] ?? '';
    if (!len(notes, 0, 200)) errors.push({ column: '备注', message: t('transfer.notes') });
    return errors.length ? { errors } : { value: { villageCode, villageId: villageId!, address, contactName, contactPhone, notes }, errors };
  },
  key: (v) => `${v.villageCode}|${v.address}`,
  async existing(owners, values) {
    const villageIds = [...new Set(values.map((v) => v.villageId))];
    return new Map((await owners.places.householdsIn(villageIds)).map((r) => [households.key(r), r]));
  },
  same: (a, b) => a.contactName === b.contactName && a.contactPhone === b.contactPhone && a.notes === b.notes,
  // Keyed on (village, address), so writing a row again changes nothing: a re-run after a
  // failure part-way adds only what is missing. A new household gets its plate.
  async write(owners, values, opts = {}) {
    const token = opts.plateToken;
    await owners.places.upsertHouseholds(
      values.map((v) => ({
        villageId: v.villageId,
        villageCode: v.villageCode,
        address: v.address,
        contactName: v.contactName || null,
        contactPhone: v.contactPhone || null,
        notes: v.notes,
      })),
      token ? (h) => token({ kind: 'household', villageCode: h.villageCode, address: h.address }) : undefined,
    );
  },
  async exportRows(owners, scope) {
    const rows: string[][] = [];
    for await (const slice of households.exportSlices!(owners, scope)) rows.push(...slice);
    return rows;
  },
  /** One village at a time, in the order of the file: township code, village code, then as added. */
  async *exportSlices(owners, scope) {
    for await (const rows of owners.places.exportHouseholdsByVillage([...scope.villageIds])) {
      yield rows.map((r) => [r.villageCode, r.address, r.contactName, r.contactPhone, r.notes].map(String));
    }
  },
};

// ---- cadres ---------------------------------------------------------------------------------

const ROLE_NAMES: Record<string, CadreRole> = {
  驻村第一书记: 'first_secretary',
  村党支部书记: 'party_secretary',
  村委会主任: 'committee_director',
  包村干部: 'town_cadre',
  网格员: 'grid_worker',
};
const ROLE_LABEL = Object.fromEntries(Object.entries(ROLE_NAMES).map(([k, v]) => [v, k])) as Record<CadreRole, string>;

export type CadreRow = CadreServing;

export const cadres: Dataset<CadreRow> = {
  name: 'cadres',
  headers: ['村居代码', '姓名', '职务', '手机号', '值班时间'],
  parse(c, ctx) {
    const errors: Array<{ column: string; message: string }> = [];
    const { villageCode, villageId } = villageCell(c, ctx, errors);
    const name = c['姓名'] ?? '';
    if (!len(name, 1, 20)) errors.push({ column: '姓名', message: t('transfer.name') });
    const role = ROLE_NAMES[c['职务'] ?? ''];
    if (!role) errors.push({ column: '职务', message: t('transfer.role', { roles: Object.keys(ROLE_NAMES).join('、') }) });
    const phone = normalisePhone(c['手机号'] ?? '');
    if (!isMobile(phone)) errors.push({ column: '手机号', message: t('transfer.mobile') });
    const dutyHours = c['值班时间'] ?? '';
    if (!len(dutyHours, 0, 60)) errors.push({ column: '值班时间', message: t('transfer.tooLong', { max: 60 }) });
    return errors.length ? { errors } : { value: { villageCode, villageId: villageId!, name, role: role!, phone, dutyHours }, errors };
  },
  key: (v) => `${v.phone}|${v.villageCode}`,
  async existing(owners, values) {
    const phones = [...new Set(values.map((v) => v.phone))];
    return new Map((await owners.cadres.servingByPhones(phones)).map((r) => [cadres.key(r), r]));
  },
  same: (a, b) => a.name === b.name && a.role === b.role && a.dutyHours === b.dutyHours,
  // Cadre phones are public: a phone of a cadre who serves none of the caller's villages must not
  // reach that cadre (renaming them on another township's 码上帮).
  async conflicts(owners, rows, scope) {
    const phones = [...new Set(rows.map((r) => r.value.phone))];
    const elsewhere = new Set<string>();
    const mine = new Set<string>();
    for (const s of await owners.cadres.servingByPhones(phones)) (inScope(scope, s.villageId) ? mine : elsewhere).add(s.phone);
    return rows
      .filter((r) => elsewhere.has(r.value.phone) && !mine.has(r.value.phone))
      .map((r) => ({ row: r.row, column: '手机号', message: t('transfer.cadreElsewhere') }));
  },
  async write(owners, values) {
    await owners.cadres.upsertMany(values.map((v) => ({ villageId: v.villageId, name: v.name, role: v.role, phone: v.phone, dutyHours: v.dutyHours })));
  },
  async exportRows(owners, scope) {
    return (await owners.cadres.exportServing([...scope.villageIds])).map((c) => [
      String(c.villageCode),
      String(c.name),
      ROLE_LABEL[c.role] ?? String(c.role),
      String(c.phone),
      String(c.dutyHours),
    ]);
  },
};

// ---- calendar -------------------------------------------------------------------------------

export interface CalendarRow {
  date: string;
  kind: 'holiday' | 'workday';
  note: string;
}

const KIND_NAMES: Record<string, CalendarRow['kind']> = { 放假: 'holiday', 调休上班: 'workday' };

export const calendar: Dataset<CalendarRow> = {
  name: 'calendar',
  headers: ['日期', '类型', '说明'],
  parse(c) {
    const errors: Array<{ column: string; message: string }> = [];
    const date = normaliseDate(c['日期'] ?? '');
    if (!isRealDate(date)) errors.push({ column: '日期', message: t('transfer.date') });
    const kind = KIND_NAMES[c['类型'] ?? ''];
    if (!kind) errors.push({ column: '类型', message: t('transfer.dayKind') });
    const note = c['说明'] ?? '';
    if (!len(note, 0, 30)) errors.push({ column: '说明', message: t('transfer.tooLong', { max: 30 }) });
    return errors.length ? { errors } : { value: { date, kind: kind!, note }, errors };
  },
  key: (v) => v.date,
  async existing(owners, values) {
    return new Map(
      (await owners.calendar.days(values.map((v) => v.date))).map((r) => [r.date, { date: r.date, kind: r.kind as CalendarRow['kind'], note: r.note }]),
    );
  },
  same: (a, b) => a.kind === b.kind && a.note === b.note,
  async write(owners, values) {
    await owners.calendar.setDays(values);
  },
  async exportRows(owners) {
    return (await owners.calendar.allDays()).map((r) => [r.date, r.kind === 'holiday' ? '放假' : '调休上班', r.note]);
  },
};

import { catalog } from './catalog-dataset.js';
import { places } from './places-dataset.js';

export const DATASETS = { places, households, cadres, calendar, catalog } as const;
export type DatasetName = keyof typeof DATASETS;
