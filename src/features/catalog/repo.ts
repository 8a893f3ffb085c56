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
  const materials = db.prepare('SELECT name, necessity, form, source, copies, notes FROM catalog_materials WHERE item_id = ? ORDER BY seq');
  const fees = db.prepare('SELECT name, standard, basis, reducible FROM catalog_fees WHERE item_id = ? ORDER BY seq');
  const faqs = db.prepare('SELECT question, answer FROM catalog_faqs WHERE item_id = ? ORDER BY seq');
  const adminList = db.prepare(`SELECT code, name, department, published, can_apply AS canApply FROM catalog_items
    WHERE (? = '' OR instr(name, ?) > 0 OR code = ?) ORDER BY theme_code, code LIMIT 100`);

  const editableByCodes = db.prepare('SELECT * FROM catalog_items WHERE code IN (SELECT value FROM json_each(?))');
  const allEditable = db.prepare('SELECT * FROM catalog_items ORDER BY code');
  const upsertItem = db.prepare(`INSERT INTO catalog_items (code, impl_code, name, keywords, type_code, type_name, theme_code, level, basis, department,
        department_code, handling_type, target, conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms,
        process, place, hours, consult_phone, complaint_phone, online, online_depth, pc_url, mobile_url, appointment, express, scope,
        high_frequency, can_apply, published, updated_at)
      VALUES (@code, @implCode, @name, @keywords, @typeCode, @typeName, @themeCode, @level, @basis, @department, @departmentCode, @handlingType,
        @target, @conditions, @legalLimit, @legalLimitUnit, @promisedLimit, @promisedLimitUnit, @visits, @charged, @forms, @process, @place, @hours,
        @consultPhone, @complaintPhone, @online, @onlineDepth, @pcUrl, @mobileUrl, @appointment, @express, @scope, @highFrequency, @canApply, @published,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      ON CONFLICT(code) DO UPDATE SET impl_code = excluded.impl_code, name = excluded.name, keywords = excluded.keywords, type_code = excluded.type_code,
        type_name = excluded.type_name, theme_code = excluded.theme_code, level = excluded.level, basis = excluded.basis, department = excluded.department,
        department_code = excluded.department_code, handling_type = excluded.handling_type, target = excluded.target, conditions = excluded.conditions,
        legal_limit = excluded.legal_limit, legal_limit_unit = excluded.legal_limit_unit, promised_limit = excluded.promised_limit,
        promised_limit_unit = excluded.promised_limit_unit, visits = excluded.visits, charged = excluded.charged, forms = excluded.forms,
        process = excluded.process, place = excluded.place, hours = excluded.hours, consult_phone = excluded.consult_phone,
        complaint_phone = excluded.complaint_phone, online = excluded.online, online_depth = excluded.online_depth, pc_url = excluded.pc_url,
        mobile_url = excluded.mobile_url, appointment = excluded.appointment, express = excluded.express, scope = excluded.scope,
        high_frequency = excluded.high_frequency, can_apply = excluded.can_apply, published = excluded.published, updated_at = excluded.updated_at`);
  const idOf = db.prepare('SELECT id FROM catalog_items WHERE code = ?').pluck();
  const clearChildren = ['catalog_materials', 'catalog_fees', 'catalog_faqs'].map((t) => db.prepare(`DELETE FROM ${t} WHERE item_id = ?`));
  const insertMaterial = db.prepare(
    'INSERT INTO catalog_materials (item_id, seq, name, necessity, form, source, copies, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertFee = db.prepare('INSERT INTO catalog_fees (item_id, seq, name, standard, basis, reducible) VALUES (?, ?, ?, ?, ?, ?)');
  const insertFaq = db.prepare('INSERT INTO catalog_faqs (item_id, seq, question, answer) VALUES (?, ?, ?, ?)');
  const editableFaqs = db.prepare('SELECT question AS q, answer AS a FROM catalog_faqs WHERE item_id = ? ORDER BY seq');

  const editable = (i: Record<string, unknown>): EditableItem => {
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
      fees: (fees.all(id) as Array<{ name: string; standard: string; basis: string; reducible: number }>).map((f) => ({ ...f, reducible: f.reducible === 1 })),
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
      materials: materials.all(id) as EditableItem['materials'],
      faqs: editableFaqs.all(id) as EditableItem['faqs'],
    };
  };
  const saveTheme = db.prepare(`INSERT INTO catalog_themes (code, name, sort) VALUES (?, ?, ?)
    ON CONFLICT(code) DO UPDATE SET name = excluded.name, sort = excluded.sort WHERE name IS NOT excluded.name OR sort IS NOT excluded.sort`);

  return {
    /** Items with these codes, published or not, with every field. */
    editableByCodes: (codes: string[]) => (editableByCodes.all(JSON.stringify(codes)) as Array<Record<string, unknown>>).map(editable),
    /** Every item, by code. */
    allEditable: () => (allEditable.all() as Array<Record<string, unknown>>).map(editable),
    /** Writes an item on its code, replacing its materials, fees and questions. Call inside a transaction. */
    upsertEditable(v: EditableItem, typeName: string | undefined): void {
      upsertItem.run({
        ...v,
        typeName,
        process: JSON.stringify(v.process),
        pcUrl: v.pcUrl || null,
        mobileUrl: v.mobileUrl || null,
        charged: +v.charged,
        online: +v.online,
        appointment: +v.appointment,
        express: +v.express,
        highFrequency: +v.highFrequency,
        canApply: +v.canApply,
        published: +v.published,
      });
      const id = idOf.get(v.code) as number;
      for (const c of clearChildren) c.run(id);
      v.materials.forEach((m, i) => insertMaterial.run(id, i, m.name, m.necessity, m.form, m.source, m.copies, m.notes));
      v.fees.forEach((f, i) => insertFee.run(id, i, f.name, f.standard, f.basis, +f.reducible));
      v.faqs.forEach((f, i) => insertFaq.run(id, i, f.q, f.a));
    },
    revision: () => revision.get() as number,
    themes: () => themes.all() as ThemeCount[],
    /** Adds or renames themes by code; each one's sort is its place in the list. */
    saveThemes: (list: ReadonlyArray<{ code: string; name: string }>) => list.forEach((t, i) => saveTheme.run(t.code, t.name, i)),
    indexRows: () => index.all() as ItemIndexRow[],
    adminList: (q: string) => adminList.all(q, q, q) as Array<{ code: string; name: string; department: string; published: number; canApply: number }>,
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
