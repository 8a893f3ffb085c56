import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { contains, groupConcat, inList } from '../../db/dialect.js';

export interface ThemeCount {
  code: string;
  name: string;
  count: number;
}

/** What search and lists need of every published item; small enough to hold in memory. */
export interface ItemIndexRow {
  id: number;
  code: string;
  name: string;
  keywords: string;
  themeCode: string;
  department: string;
  body: string;
  online: number;
  onlineDepth: number;
  highFrequency: number;
  canApply: number;
  promisedLimit: number;
  promisedLimitUnit: string;
  visits: number;
  /** 1 when 服务对象 includes individuals (自然人) */
  personal: number;
  /** 1 when it can be done wholly online (网上办理深度 1 全程网办 or 4 在线办理) */
  fullyOnline: number;
}

export interface Material {
  name: string;
  necessity: string;
  form: string;
  source: string;
  copies: number;
  notes: string;
}

export interface Fee {
  name: string;
  standard: string;
  basis: string;
  reducible: boolean;
}

export interface Faq {
  question: string;
  answer: string;
}

/** 政务服务事项 with everything a villager's guide shows. */
export interface ServiceItem {
  id: number;
  code: string;
  implCode: string;
  name: string;
  keywords: string;
  typeCode: string;
  typeName: string;
  themeCode: string;
  themeName: string;
  level: string;
  basis: string;
  department: string;
  handlingType: string;
  target: string;
  conditions: string;
  legalLimit: number;
  legalLimitUnit: string;
  promisedLimit: number;
  promisedLimitUnit: string;
  visits: number;
  charged: boolean;
  forms: string;
  process: string[];
  place: string;
  hours: string;
  consultPhone: string;
  complaintPhone: string;
  online: boolean;
  onlineDepth: number;
  pcUrl: string | null;
  mobileUrl: string | null;
  appointment: boolean;
  express: boolean;
  scope: string;
  highFrequency: boolean;
  canApply: boolean;
  materials: Material[];
  fees: Fee[];
  faqs: Faq[];
}

/** An item with every field staff edit (published or not), as the editor and the import file have it. */
export interface EditableItem {
  code: string;
  implCode: string;
  name: string;
  keywords: string;
  typeCode: string;
  themeCode: string;
  level: string;
  basis: string;
  department: string;
  departmentCode: string;
  handlingType: string;
  target: string;
  conditions: string;
  legalLimit: number;
  legalLimitUnit: string;
  promisedLimit: number;
  promisedLimitUnit: string;
  visits: number;
  charged: boolean;
  fees: Array<{ name: string; standard: string; basis: string; reducible: boolean }>;
  forms: string;
  process: string[];
  place: string;
  hours: string;
  consultPhone: string;
  complaintPhone: string;
  online: boolean;
  onlineDepth: number;
  pcUrl: string;
  mobileUrl: string;
  appointment: boolean;
  express: boolean;
  scope: string;
  highFrequency: boolean;
  canApply: boolean;
  published: boolean;
  materials: Array<{ name: string; necessity: string; form: string; source: string; copies: number; notes: string }>;
  faqs: Array<{ q: string; a: string }>;
}

type MaterialRow = Material & { itemId: number };
type FeeRow = Omit<Fee, 'reducible'> & { itemId: number; reducible: number };
type FaqRow = { itemId: number; question: string; answer: string };

/** Rows by the item they belong to, in the order read. */
function byItem<R extends { itemId: number }>(rows: R[]): Map<number, Array<Omit<R, 'itemId'>>> {
  const map = new Map<number, Array<Omit<R, 'itemId'>>>();
  for (const { itemId, ...rest } of rows) {
    const list = map.get(itemId);
    if (list) list.push(rest);
    else map.set(itemId, [rest]);
  }
  return map;
}

export function createCatalogRepo(db: Database) {
  const readRevision = db.fixed(sql<{ rev: number }>`SELECT rev FROM catalog_revision WHERE id = 1`);
  /** The materials, fees and questions of these items (every item of a district when given its id), by item. */
  const children = async (ids: number[] | number) => {
    const which = (column: RawBuilder<unknown>) =>
      typeof ids === 'number' ? sql`${column} IN (SELECT id FROM catalog_items WHERE district_id = ${ids})` : inList(db, column, ids);
    const [materials, fees, faqs] = await Promise.all([
      db.all<MaterialRow>(
        sql`SELECT item_id AS "itemId", name, necessity, form, source, copies, notes FROM catalog_materials WHERE ${which(sql`item_id`)} ORDER BY item_id, seq`,
      ),
      db.all<FeeRow>(sql`SELECT item_id AS "itemId", name, standard, basis, reducible FROM catalog_fees WHERE ${which(sql`item_id`)} ORDER BY item_id, seq`),
      db.all<FaqRow>(sql`SELECT item_id AS "itemId", question, answer FROM catalog_faqs WHERE ${which(sql`item_id`)} ORDER BY item_id, seq`),
    ]);
    return { materials: byItem(materials), fees: byItem(fees), faqs: byItem(faqs) };
  };

  const editables = async (rows: Array<Record<string, unknown>>, ids: number[] | number): Promise<EditableItem[]> => {
    if (rows.length === 0) return [];
    const c = await children(ids);
    return rows.map((i) => {
      const id = i.id as number;
      return {
        code: String(i.code),
        implCode: String(i.impl_code),
        name: String(i.name),
        keywords: String(i.keywords),
        typeCode: String(i.type_code),
        themeCode: String(i.theme_code),
        level: String(i.level),
        basis: String(i.basis),
        department: String(i.department),
        departmentCode: String(i.department_code),
        handlingType: String(i.handling_type),
        target: String(i.target),
        conditions: String(i.conditions),
        legalLimit: Number(i.legal_limit),
        legalLimitUnit: String(i.legal_limit_unit),
        promisedLimit: Number(i.promised_limit),
        promisedLimitUnit: String(i.promised_limit_unit),
        visits: Number(i.visits),
        charged: i.charged === 1,
        fees: (c.fees.get(id) ?? []).map((f) => ({ ...f, reducible: f.reducible === 1 })),
        forms: String(i.forms),
        process: JSON.parse(String(i.process)) as string[],
        place: String(i.place),
        hours: String(i.hours),
        consultPhone: String(i.consult_phone),
        complaintPhone: String(i.complaint_phone),
        online: i.online === 1,
        onlineDepth: Number(i.online_depth),
        pcUrl: (i.pc_url as string | null) ?? '',
        mobileUrl: (i.mobile_url as string | null) ?? '',
        appointment: i.appointment === 1,
        express: i.express === 1,
        scope: String(i.scope),
        highFrequency: i.high_frequency === 1,
        canApply: i.can_apply === 1,
        published: i.published === 1,
        materials: c.materials.get(id) ?? [],
        faqs: (c.faqs.get(id) ?? []).map((f) => ({ q: f.question, a: f.answer })),
      };
    });
  };

  return {
    /** Items with these codes, published or not, with every field. */
    async editableByCodes(districtId: number, codes: string[]): Promise<EditableItem[]> {
      if (codes.length === 0) return [];
      const rows = await db.all<Record<string, unknown>>(
        sql`SELECT * FROM catalog_items WHERE district_id = ${districtId} AND ${inList(db, sql`code`, codes, 'text')}`,
      );
      return editables(
        rows,
        rows.map((r) => r.id as number),
      );
    },
    /** Every item, by code. */
    allEditable: async (districtId: number) =>
      editables(await db.all<Record<string, unknown>>(sql`SELECT * FROM catalog_items WHERE district_id = ${districtId} ORDER BY code`), districtId),
    /** Writes an item on its code, replacing its materials, fees and questions. Call inside a transaction. */
    async upsertEditable(districtId: number, v: EditableItem, typeName: string | undefined): Promise<void> {
      const { id } = (await db.get<{ id: number }>(
        sql`INSERT INTO catalog_items (district_id, code, impl_code, name, keywords, type_code, type_name, theme_code, level, basis, department,
              department_code, handling_type, target, conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms,
              process, place, hours, consult_phone, complaint_phone, online, online_depth, pc_url, mobile_url, appointment, express, scope,
              high_frequency, can_apply, published, updated_at)
            VALUES (${districtId}, ${v.code}, ${v.implCode}, ${v.name}, ${v.keywords}, ${v.typeCode}, ${typeName ?? null}, ${v.themeCode}, ${v.level}, ${v.basis}, ${v.department},
              ${v.departmentCode}, ${v.handlingType}, ${v.target}, ${v.conditions}, ${v.legalLimit}, ${v.legalLimitUnit}, ${v.promisedLimit},
              ${v.promisedLimitUnit}, ${v.visits}, ${+v.charged}, ${v.forms}, ${JSON.stringify(v.process)}, ${v.place}, ${v.hours}, ${v.consultPhone},
              ${v.complaintPhone}, ${+v.online}, ${v.onlineDepth}, ${v.pcUrl || null}, ${v.mobileUrl || null}, ${+v.appointment}, ${+v.express}, ${v.scope},
              ${+v.highFrequency}, ${+v.canApply}, ${+v.published}, ${new Date().toISOString()})
            ON CONFLICT (district_id, code) DO UPDATE SET impl_code = excluded.impl_code, name = excluded.name, keywords = excluded.keywords, type_code = excluded.type_code,
              type_name = excluded.type_name, theme_code = excluded.theme_code, level = excluded.level, basis = excluded.basis, department = excluded.department,
              department_code = excluded.department_code, handling_type = excluded.handling_type, target = excluded.target, conditions = excluded.conditions,
              legal_limit = excluded.legal_limit, legal_limit_unit = excluded.legal_limit_unit, promised_limit = excluded.promised_limit,
              promised_limit_unit = excluded.promised_limit_unit, visits = excluded.visits, charged = excluded.charged, forms = excluded.forms,
              process = excluded.process, place = excluded.place, hours = excluded.hours, consult_phone = excluded.consult_phone,
              complaint_phone = excluded.complaint_phone, online = excluded.online, online_depth = excluded.online_depth, pc_url = excluded.pc_url,
              mobile_url = excluded.mobile_url, appointment = excluded.appointment, express = excluded.express, scope = excluded.scope,
              high_frequency = excluded.high_frequency, can_apply = excluded.can_apply, published = excluded.published, updated_at = excluded.updated_at
            RETURNING id`,
      ))!;
      await db.run(sql`DELETE FROM catalog_materials WHERE item_id = ${id}`);
      await db.run(sql`DELETE FROM catalog_fees WHERE item_id = ${id}`);
      await db.run(sql`DELETE FROM catalog_faqs WHERE item_id = ${id}`);
      if (v.materials.length > 0) {
        const rows = v.materials.map((m, i) => sql`(${id}, ${i}, ${m.name}, ${m.necessity}, ${m.form}, ${m.source}, ${m.copies}, ${m.notes})`);
        await db.run(sql`INSERT INTO catalog_materials (item_id, seq, name, necessity, form, source, copies, notes) VALUES ${sql.join(rows)}`);
      }
      if (v.fees.length > 0) {
        const rows = v.fees.map((f, i) => sql`(${id}, ${i}, ${f.name}, ${f.standard}, ${f.basis}, ${+f.reducible})`);
        await db.run(sql`INSERT INTO catalog_fees (item_id, seq, name, standard, basis, reducible) VALUES ${sql.join(rows)}`);
      }
      if (v.faqs.length > 0) {
        const rows = v.faqs.map((f, i) => sql`(${id}, ${i}, ${f.q}, ${f.a})`);
        await db.run(sql`INSERT INTO catalog_faqs (item_id, seq, question, answer) VALUES ${sql.join(rows)}`);
      }
    },
    /** read on every search: a statement of its own (Database.fixed) */
    revision: async () => (await readRevision())!.rev,
    themes: async (districtId: number) =>
      db.all<ThemeCount>(sql`
        SELECT t.code, t.name, count(i.id) AS count
        FROM catalog_themes t LEFT JOIN catalog_items i ON i.theme_code = t.code AND i.published = 1 AND i.district_id = ${districtId}
        GROUP BY t.code, t.name, t.sort ORDER BY t.sort`),
    /** Adds or renames themes by code; each one's sort is its place in the list. */
    async saveThemes(list: ReadonlyArray<{ code: string; name: string }>): Promise<void> {
      for (const [i, t] of list.entries()) {
        await db.run(
          sql`INSERT INTO catalog_themes (code, name, sort) VALUES (${t.code}, ${t.name}, ${i})
              ON CONFLICT (code) DO UPDATE SET name = excluded.name, sort = excluded.sort
              WHERE catalog_themes.name IS DISTINCT FROM excluded.name OR catalog_themes.sort IS DISTINCT FROM excluded.sort`,
        );
      }
    },
    indexRows: async (districtId: number) =>
      db.all<ItemIndexRow>(sql`
        SELECT i.id, i.code, i.name, i.keywords, i.theme_code AS "themeCode", i.department,
               i.conditions || ' ' || coalesce((SELECT ${groupConcat(db, sql`m.name`, ' ', sql`m.seq`)} FROM catalog_materials m WHERE m.item_id = i.id), '') AS body,
               i.online, i.online_depth AS "onlineDepth", i.high_frequency AS "highFrequency", i.can_apply AS "canApply",
               i.promised_limit AS "promisedLimit", i.promised_limit_unit AS "promisedLimitUnit", i.visits,
               CASE WHEN ${contains(db, sql`i.target`, '自然人')} THEN 1 ELSE 0 END AS personal,
               CASE WHEN i.online = 1 AND i.online_depth IN (1, 4) THEN 1 ELSE 0 END AS "fullyOnline"
        FROM catalog_items i WHERE i.district_id = ${districtId} AND i.published = 1 ORDER BY i.id`),
    adminList: async (districtId: number, q: string) =>
      db.all<{ code: string; name: string; department: string; published: number; canApply: number }>(
        sql`SELECT code, name, department, published, can_apply AS "canApply" FROM catalog_items
            WHERE district_id = ${districtId} AND (CAST(${q} AS text) = '' OR ${contains(db, sql`name`, q)} OR code = ${q}) ORDER BY theme_code, code LIMIT 100`,
      ),
    async getByCode(districtId: number, code: string): Promise<ServiceItem | undefined> {
      const row = await db.get<Record<string, unknown>>(sql`
        SELECT i.id, i.code, i.impl_code AS "implCode", i.name, i.keywords, i.type_code AS "typeCode", i.type_name AS "typeName",
               i.theme_code AS "themeCode", t.name AS "themeName", i.level, i.basis, i.department, i.handling_type AS "handlingType",
               i.target, i.conditions, i.legal_limit AS "legalLimit", i.legal_limit_unit AS "legalLimitUnit",
               i.promised_limit AS "promisedLimit", i.promised_limit_unit AS "promisedLimitUnit", i.visits, i.charged, i.forms,
               i.process, i.place, i.hours, i.consult_phone AS "consultPhone", i.complaint_phone AS "complaintPhone",
               i.online, i.online_depth AS "onlineDepth", i.pc_url AS "pcUrl", i.mobile_url AS "mobileUrl", i.appointment,
               i.express, i.scope, i.high_frequency AS "highFrequency", i.can_apply AS "canApply"
        FROM catalog_items i JOIN catalog_themes t ON t.code = i.theme_code
        WHERE i.district_id = ${districtId} AND i.code = ${code} AND i.published = 1`);
      if (!row) return undefined;
      const id = row.id as number;
      const [materials, fees, faqs] = await Promise.all([
        db.all<Material>(sql`SELECT name, necessity, form, source, copies, notes FROM catalog_materials WHERE item_id = ${id} ORDER BY seq`),
        db.all<Omit<Fee, 'reducible'> & { reducible: number }>(
          sql`SELECT name, standard, basis, reducible FROM catalog_fees WHERE item_id = ${id} ORDER BY seq`,
        ),
        db.all<Faq>(sql`SELECT question, answer FROM catalog_faqs WHERE item_id = ${id} ORDER BY seq`),
      ]);
      return {
        ...(row as unknown as ServiceItem),
        charged: row.charged === 1,
        online: row.online === 1,
        appointment: row.appointment === 1,
        express: row.express === 1,
        highFrequency: row.highFrequency === 1,
        canApply: row.canApply === 1,
        process: JSON.parse(row.process as string) as string[],
        materials,
        fees: fees.map((f) => ({ ...f, reducible: f.reducible === 1 })),
        faqs,
      };
    },
  };
}

export type CatalogRepo = ReturnType<typeof createCatalogRepo>;
