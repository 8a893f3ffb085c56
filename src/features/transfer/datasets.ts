import type { Db } from '../../db/index.js';
import { MOBILE, normalisePhone } from '../cases/schema.js';
import type { CadreRole } from '../cadres/repo.js';
import { newPlateToken } from '../places/tokens.js';

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

export interface Scope {
  all: boolean;
  villageIds: ReadonlySet<number>;
}

/** A kind of data that can be exported, edited in Excel and imported again. */
export interface Dataset<T> {
  name: 'households' | 'cadres' | 'calendar' | 'catalog';
  headers: readonly string[];
  /** checks one row; `villageId` resolves a village code within the caller's scope */
  parse(cells: Record<string, string>, ctx: { villageId: (code: string) => number | undefined }): { value?: T; errors: Array<{ column: string; message: string }> };
  key(v: T): string;
  /** the current value for each key among these rows */
  existing(db: Db, values: T[]): Map<string, T>;
  same(a: T, b: T): boolean;
  /** rows that would reach beyond the caller's scope (checked with the rest, before anything is written) */
  conflicts?(db: Db, rows: Array<{ row: number; value: T }>, scope: Scope): RowError[];
  /** writes rows keyed on their natural key: writing the same rows twice changes nothing more */
  write(db: Db, rows: Array<PlannedRow<T>>): void;
  exportRows(db: Db, scope: Scope): string[][];
  /** exportRows in slices, each read whole, for datasets that grow with the district (a download is written between two slices) */
  exportSlices?(db: Db, scope: Scope): Iterable<string[][]>;
}

/** The 村居代码 column: a 12-digit code of a village in the caller's scope. */
function villageCell(
  c: Record<string, string>,
  ctx: { villageId: (code: string) => number | undefined },
  errors: Array<{ column: string; message: string }>,
): { villageCode: string; villageId: number | undefined } {
  const villageCode = c['村居代码'] ?? '';
  const villageId = /^\d{12}$/.test(villageCode) ? ctx.villageId(villageCode) : undefined;
  if (!/^\d{12}$/.test(villageCode)) errors.push({ column: '村居代码', message: '应为 12 位数字' });
  else if (villageId === undefined) errors.push({ column: '村居代码', message: '没有这个村居，或不在您的管理范围内' });
  return { villageCode, villageId };
}

const len = (s: string, min: number, max: number) => Array.from(s).length >= min && Array.from(s).length <= max;

// ---- households -----------------------------------------------------------------------------

export interface HouseholdRow {
  villageCode: string;
  villageId: number;
  address: string;
  contactName: string;
  contactPhone: string;
  notes: string;
}

export const households: Dataset<HouseholdRow> = {
  name: 'households',
  headers: ['村居代码', '门牌地址', '户联系人', '联系电话', '备注'],
  parse(c, ctx) {
    const errors: Array<{ column: string; message: string }> = [];
    const { villageCode, villageId } = villageCell(c, ctx, errors);
    const address = c['门牌地址'] ?? '';
    if (!len(address, 1, 50)) errors.push({ column: '门牌地址', message: '请填写门牌地址（不超过 50 个字）' });
    const contactName = c['户联系人'] ?? '';
    if (!len(contactName, 0, 20)) errors.push({ column: '户联系人', message: '姓名不能超过 20 个字' });
    const rawPhone = c['联系电话'] ?? '';
    const contactPhone = rawPhone ? normalisePhone(rawPhone) : '';
    if (contactPhone && !MOBILE.test(contactPhone)) errors.push({ column: '联系电话', message: '手机号应为 11 位数字，以 1 开头' });
    const notes = c['备注'] ?? '';
    if (!len(notes, 0, 200)) errors.push({ column: '备注', message: '备注不能超过 200 个字' });
    return errors.length ? { errors } : { value: { villageCode, villageId: villageId!, address, contactName, contactPhone, notes }, errors };
  },
  key: (v) => `${v.villageCode}|${v.address}`,
  existing(db, values) {
    const villageIds = [...new Set(values.map((v) => v.villageId))];
    const rows = db
      .prepare(`SELECT v.code AS villageCode, v.id AS villageId, h.address, coalesce(h.contact_name, '') AS contactName,
          coalesce(h.contact_phone, '') AS contactPhone, h.notes
        FROM households h JOIN villages v ON v.id = h.village_id WHERE v.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(villageIds)) as HouseholdRow[];
    return new Map(rows.map((r) => [households.key(r), r]));
  },
  same: (a, b) => a.contactName === b.contactName && a.contactPhone === b.contactPhone && a.notes === b.notes,
  write(db, rows) {
    // Keyed on (village, address), so writing a row again changes nothing: a re-run after a
    // failure part-way adds only what is missing. A new household gets its plate.
    const insert = db.prepare('INSERT INTO households (village_id, address, contact_name, contact_phone, notes) VALUES (?, ?, ?, ?, ?) ON CONFLICT (village_id, address) DO NOTHING');
    const plate = db.prepare("INSERT INTO plates (token, kind, household_id, village_id) VALUES (?, 'household', ?, ?)");
    const update = db.prepare('UPDATE households SET contact_name = ?, contact_phone = ?, notes = ? WHERE village_id = ? AND address = ?');
    for (const { status, value: v } of rows) {
      if (status === 'same') continue;
      const added = insert.run(v.villageId, v.address, v.contactName || null, v.contactPhone || null, v.notes);
      if (added.changes === 1) plate.run(newPlateToken(), Number(added.lastInsertRowid), v.villageId);
      else update.run(v.contactName || null, v.contactPhone || null, v.notes, v.villageId, v.address);
    }
  },
  exportRows(db, scope) {
    return [...households.exportSlices!(db, scope)].flat();
  },
  /** One village at a time, in the order of the file: township code, village code, then as added. */
  *exportSlices(db, scope) {
    const villages = db
      .prepare(`SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id
        WHERE v.id IN (SELECT value FROM json_each(?)) ORDER BY t.code, v.code`)
      .pluck()
      .all(JSON.stringify([...scope.villageIds])) as number[];
    const ofVillage = db
      .prepare(`SELECT v.code, h.address, coalesce(h.contact_name, ''), coalesce(h.contact_phone, ''), h.notes
        FROM households h JOIN villages v ON v.id = h.village_id WHERE h.village_id = ? ORDER BY h.id`)
      .raw();
    for (const id of villages) yield (ofVillage.all(id) as unknown[][]).map((r) => r.map(String));
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

export interface CadreRow {
  villageCode: string;
  villageId: number;
  name: string;
  role: CadreRole;
  phone: string;
  dutyHours: string;
}

export const cadres: Dataset<CadreRow> = {
  name: 'cadres',
  headers: ['村居代码', '姓名', '职务', '手机号', '值班时间'],
  parse(c, ctx) {
    const errors: Array<{ column: string; message: string }> = [];
    const { villageCode, villageId } = villageCell(c, ctx, errors);
    const name = c['姓名'] ?? '';
    if (!len(name, 1, 20)) errors.push({ column: '姓名', message: '请填写姓名（不超过 20 个字）' });
    const role = ROLE_NAMES[c['职务'] ?? ''];
    if (!role) errors.push({ column: '职务', message: `应为 ${Object.keys(ROLE_NAMES).join('、')} 之一` });
    const phone = normalisePhone(c['手机号'] ?? '');
    if (!MOBILE.test(phone)) errors.push({ column: '手机号', message: '手机号应为 11 位数字，以 1 开头' });
    const dutyHours = c['值班时间'] ?? '';
    if (!len(dutyHours, 0, 60)) errors.push({ column: '值班时间', message: '不能超过 60 个字' });
    return errors.length ? { errors } : { value: { villageCode, villageId: villageId!, name, role: role!, phone, dutyHours }, errors };
  },
  key: (v) => `${v.phone}|${v.villageCode}`,
  existing(db, values) {
    const phones = [...new Set(values.map((v) => v.phone))];
    const rows = db
      .prepare(`SELECT v.code AS villageCode, v.id AS villageId, c.name, c.role, c.phone, c.duty_hours AS dutyHours
        FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id JOIN villages v ON v.id = cv.village_id
        WHERE c.phone IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(phones)) as CadreRow[];
    return new Map(rows.map((r) => [cadres.key(r), r]));
  },
  same: (a, b) => a.name === b.name && a.role === b.role && a.dutyHours === b.dutyHours,
  // Cadre phones are public: a phone of a cadre who serves none of the caller's villages must not
  // reach that cadre (renaming them on another township's 码上帮).
  conflicts(db, rows, scope) {
    const phones = [...new Set(rows.map((r) => r.value.phone))];
    const served = db
      .prepare(`SELECT c.phone, cv.village_id AS villageId FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id
        WHERE c.phone IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(phones)) as Array<{ phone: string; villageId: number }>;
    const elsewhere = new Set<string>();
    const mine = new Set<string>();
    for (const s of served) (scope.villageIds.has(s.villageId) ? mine : elsewhere).add(s.phone);
    return rows
      .filter((r) => elsewhere.has(r.value.phone) && !mine.has(r.value.phone))
      .map((r) => ({ row: r.row, column: '手机号', message: '这个手机号已登记为其他镇街村居的干部，不能在这里导入；如确需调整，请联系区级管理员' }));
  },
  write(db, rows) {
    const byPhone = db.prepare('SELECT id FROM cadres WHERE phone = ?').pluck();
    const insert = db.prepare('INSERT INTO cadres (name, role, phone, duty_hours) VALUES (?, ?, ?, ?)');
    const update = db.prepare('UPDATE cadres SET name = ?, role = ?, duty_hours = ? WHERE id = ?');
    const link = db.prepare('INSERT OR IGNORE INTO cadre_villages (cadre_id, village_id) VALUES (?, ?)');
    for (const { status, value: v } of rows) {
      if (status === 'same') continue;
      let id = byPhone.get(v.phone) as number | undefined;
      if (id === undefined) id = Number(insert.run(v.name, v.role, v.phone, v.dutyHours).lastInsertRowid);
      else update.run(v.name, v.role, v.dutyHours, id);
      link.run(id, v.villageId);
    }
  },
  exportRows(db, scope) {
    return (
      db
        .prepare(`SELECT v.code, c.name, c.role, c.phone, c.duty_hours
          FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id
          WHERE v.id IN (SELECT value FROM json_each(?)) AND c.active = 1 ORDER BY t.code, v.code, c.id`)
        .raw()
        .all(JSON.stringify([...scope.villageIds])) as string[][]
    ).map(([code, name, role, phone, duty]) => [String(code), String(name), ROLE_LABEL[role as CadreRole] ?? String(role), String(phone), String(duty)]);
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
    const date = (c['日期'] ?? '').replace(/\//g, '-').replace(/^(\d{4})-(\d{1,2})-(\d{1,2})$/, (_, y: string, m: string, d: string) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`);
    const time = Date.parse(`${date}T00:00:00Z`);
    const valid = /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(time) && new Date(time).toISOString().startsWith(date);
    if (!valid) errors.push({ column: '日期', message: '应为日期，例如 2027-01-01' });
    const kind = KIND_NAMES[c['类型'] ?? ''];
    if (!kind) errors.push({ column: '类型', message: '应为 放假 或 调休上班' });
    const note = c['说明'] ?? '';
    if (!len(note, 0, 30)) errors.push({ column: '说明', message: '不能超过 30 个字' });
    return errors.length ? { errors } : { value: { date, kind: kind!, note }, errors };
  },
  key: (v) => v.date,
  existing(db, values) {
    const rows = db
      .prepare('SELECT date, kind, note FROM calendar_days WHERE date IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(values.map((v) => v.date))) as CalendarRow[];
    return new Map(rows.map((r) => [r.date, r]));
  },
  same: (a, b) => a.kind === b.kind && a.note === b.note,
  write(db, rows) {
    const upsert = db.prepare(
      'INSERT INTO calendar_days (date, kind, note) VALUES (?, ?, ?) ON CONFLICT(date) DO UPDATE SET kind = excluded.kind, note = excluded.note',
    );
    for (const { status, value: v } of rows) if (status !== 'same') upsert.run(v.date, v.kind, v.note);
  },
  exportRows(db) {
    return (db.prepare('SELECT date, kind, note FROM calendar_days ORDER BY date').all() as CalendarRow[]).map((r) => [
      r.date,
      r.kind === 'holiday' ? '放假' : '调休上班',
      r.note,
    ]);
  },
};

import { catalog } from './catalog-dataset.js';

export const DATASETS = { households, cadres, calendar, catalog } as const;
export type DatasetName = keyof typeof DATASETS;
