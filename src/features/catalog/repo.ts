import type { Db } from '../../db/index.js';

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

export function createCatalogRepo(db: Db) {
  const revision = db.prepare('SELECT rev FROM catalog_revision WHERE id = 1').pluck();
  const themes = db.prepare(`
    SELECT t.code, t.name, count(i.id) AS count
    FROM catalog_themes t LEFT JOIN catalog_items i ON i.theme_code = t.code AND i.published = 1
    GROUP BY t.code ORDER BY t.sort`);
  const index = db.prepare(`
    SELECT i.id, i.code, i.name, i.keywords, i.theme_code AS themeCode, i.department,
           i.conditions || ' ' || coalesce((SELECT group_concat(m.name, ' ') FROM catalog_materials m WHERE m.item_id = i.id), '') AS body,
           i.online, i.online_depth AS onlineDepth, i.high_frequency AS highFrequency, i.can_apply AS canApply,
           i.promised_limit AS promisedLimit, i.promised_limit_unit AS promisedLimitUnit, i.visits,
           (instr(i.target, '自然人') > 0) AS personal, (i.online = 1 AND i.online_depth IN (1, 4)) AS fullyOnline
    FROM catalog_items i WHERE i.published = 1 ORDER BY i.id`);
  const byCode = db.prepare(`
    SELECT i.id, i.code, i.impl_code AS implCode, i.name, i.keywords, i.type_code AS typeCode, i.type_name AS typeName,
           i.theme_code AS themeCode, t.name AS themeName, i.level, i.basis, i.department, i.handling_type AS handlingType,
           i.target, i.conditions, i.legal_limit AS legalLimit, i.legal_limit_unit AS legalLimitUnit,
           i.promised_limit AS promisedLimit, i.promised_limit_unit AS promisedLimitUnit, i.visits, i.charged, i.forms,
           i.process, i.place, i.hours, i.consult_phone AS consultPhone, i.complaint_phone AS complaintPhone,
           i.online, i.online_depth AS onlineDepth, i.pc_url AS pcUrl, i.mobile_url AS mobileUrl, i.appointment,
           i.express, i.scope, i.high_frequency AS highFrequency, i.can_apply AS canApply
    FROM catalog_items i JOIN catalog_themes t ON t.code = i.theme_code
    WHERE i.code = ? AND i.published = 1`);
  const materials = db.prepare(
    'SELECT name, necessity, form, source, copies, notes FROM catalog_materials WHERE item_id = ? ORDER BY seq',
  );
  const fees = db.prepare('SELECT name, standard, basis, reducible FROM catalog_fees WHERE item_id = ? ORDER BY seq');
  const faqs = db.prepare('SELECT question, answer FROM catalog_faqs WHERE item_id = ? ORDER BY seq');
  const adminList = db.prepare(`SELECT code, name, department, published, can_apply AS canApply FROM catalog_items
    WHERE (? = '' OR instr(name, ?) > 0 OR code = ?) ORDER BY theme_code, code LIMIT 100`);

  const saveTheme = db.prepare(`INSERT INTO catalog_themes (code, name, sort) VALUES (?, ?, ?)
    ON CONFLICT(code) DO UPDATE SET name = excluded.name, sort = excluded.sort WHERE name IS NOT excluded.name OR sort IS NOT excluded.sort`);

  return {
    revision: () => revision.get() as number,
    themes: () => themes.all() as ThemeCount[],
    /** Adds or renames themes by code; each one's sort is its place in the list. */
    saveThemes: (list: ReadonlyArray<{ code: string; name: string }>) => list.forEach((t, i) => saveTheme.run(t.code, t.name, i)),
    indexRows: () => index.all() as ItemIndexRow[],
    adminList: (q: string) =>
      adminList.all(q, q, q) as Array<{ code: string; name: string; department: string; published: number; canApply: number }>,
    getByCode(code: string): ServiceItem | undefined {
      const row = byCode.get(code) as Record<string, unknown> | undefined;
      if (!row) return undefined;
      const id = row.id as number;
      return {
        ...(row as unknown as ServiceItem),
        charged: row.charged === 1,
        online: row.online === 1,
        appointment: row.appointment === 1,
        express: row.express === 1,
        highFrequency: row.highFrequency === 1,
        canApply: row.canApply === 1,
        process: JSON.parse(row.process as string) as string[],
        materials: materials.all(id) as Material[],
        fees: (fees.all(id) as Array<Omit<Fee, 'reducible'> & { reducible: number }>).map((f) => ({ ...f, reducible: f.reducible === 1 })),
        faqs: faqs.all(id) as Faq[],
      };
    },
  };
}

export type CatalogRepo = ReturnType<typeof createCatalogRepo>;
