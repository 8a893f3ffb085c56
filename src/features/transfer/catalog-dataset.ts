import type { Db } from '../../db/index.js';
import type { Dataset } from './datasets.js';

/** 事项类型 codes and names (DOMAIN.md). */
export const ITEM_TYPES: Readonly<Record<string, string>> = {
  '01': '行政许可', '02': '行政处罚', '03': '行政强制', '04': '行政征收', '05': '行政给付', '06': '行政检查',
  '07': '行政确认', '08': '行政奖励', '09': '行政裁决', '10': '其他权力', '20': '公共服务',
};

export interface CatalogRow {
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

const H = [
  '基本编码', '实施编码', '事项名称', '俗称', '事项类型编码', '主题编码', '行使层级', '设定依据', '实施主体', '实施主体编码', '办件类型', '服务对象',
  '受理条件', '法定办结时限', '法定时限单位', '承诺办结时限', '承诺时限单位', '到办事现场次数', '是否收费', '收费项目', '办理形式', '办理流程',
  '办理地点', '办理时间', '咨询方式', '监督投诉方式', '是否网办', '网上办理深度', '计算机端在线办理跳转地址', '移动端办理地址', '是否支持预约办理',
  '是否支持物流快递', '通办范围', '高频事项', '可码上办', '是否发布', '申请材料', '常见问题',
] as const;

const lines = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
const yes = (s: string) => s === '是';
const yn = (b: boolean) => (b ? '是' : '否');
const UNITS = ['工作日', '自然日'];

export const catalog: Dataset<CatalogRow> = {
  name: 'catalog',
  headers: H,
  parse(c) {
    const errors: Array<{ column: string; message: string }> = [];
    const need = (col: (typeof H)[number], max = 2000) => {
      const v = c[col] ?? '';
      if (!v || Array.from(v).length > max) errors.push({ column: col, message: v ? `不能超过 ${max} 个字` : '必须填写' });
      return v;
    };
    const int = (col: (typeof H)[number], min: number, max: number) => {
      const v = c[col] ?? '';
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) errors.push({ column: col, message: `应为 ${min} 到 ${max} 的整数` });
      return Number(v);
    };
    const flag = (col: (typeof H)[number]) => {
      const v = c[col] ?? '';
      if (v !== '是' && v !== '否') errors.push({ column: col, message: '应为 是 或 否' });
      return yes(v);
    };
    const unit = (col: (typeof H)[number]) => {
      const v = c[col] ?? '';
      if (!UNITS.includes(v)) errors.push({ column: col, message: '应为 工作日 或 自然日' });
      return v;
    };
    const code = need('基本编码', 40);
    if (code && !/^[0-9A-Za-z]{6,40}$/.test(code)) errors.push({ column: '基本编码', message: '应为 6-40 位字母或数字' });
    const typeCode = c['事项类型编码'] ?? '';
    if (!ITEM_TYPES[typeCode]) errors.push({ column: '事项类型编码', message: '应为 01-10 或 20' });
    const themeCode = c['主题编码'] ?? '';
    if (!/^\d{3}$/.test(themeCode)) errors.push({ column: '主题编码', message: '应为 3 位主题编码，例如 085' });
    const materials = lines(c['申请材料'] ?? '').map((l) => {
      const [name = '', necessity = '必要', form = '纸质', source = '申请人自备', copies = '1', notes = ''] = l.split('|').map((x) => x.trim());
      if (!name || !['必要', '非必要', '容缺'].includes(necessity) || !/^\d+$/.test(copies)) errors.push({ column: '申请材料', message: `「${l}」应为 名称|必要/非必要/容缺|形式|来源|份数|须知` });
      return { name, necessity, form, source, copies: Number(copies) || 0, notes };
    });
    const fees = lines(c['收费项目'] ?? '').map((l) => {
      const [name = '', standard = '', basis = '', reducible = '否'] = l.split('|').map((x) => x.trim());
      if (!name || !standard) errors.push({ column: '收费项目', message: `「${l}」应为 名称|标准|依据|是否减免` });
      return { name, standard, basis, reducible: yes(reducible) };
    });
    const faqs = lines(c['常见问题'] ?? '').map((l) => {
      const [q = '', ...rest] = l.split('|');
      const a = rest.join('|').trim();
      if (!q.trim() || !a) errors.push({ column: '常见问题', message: `「${l}」应为 问题|答案` });
      return { q: q.trim(), a };
    });
    const process = lines(c['办理流程'] ?? '');
    if (process.length === 0) errors.push({ column: '办理流程', message: '至少写一步，每步一行' });
    const row: CatalogRow = {
      code, implCode: need('实施编码', 60), name: need('事项名称', 100), keywords: (c['俗称'] ?? '').trim(), typeCode, themeCode,
      level: need('行使层级', 30), basis: need('设定依据'), department: need('实施主体', 60), departmentCode: need('实施主体编码', 30),
      handlingType: need('办件类型', 10), target: need('服务对象', 30), conditions: need('受理条件'),
      legalLimit: int('法定办结时限', 1, 3650), legalLimitUnit: unit('法定时限单位'), promisedLimit: int('承诺办结时限', 0, 3650), promisedLimitUnit: unit('承诺时限单位'),
      visits: int('到办事现场次数', 0, 3), charged: flag('是否收费'), fees, forms: need('办理形式', 100), process,
      place: need('办理地点', 200), hours: need('办理时间', 200), consultPhone: need('咨询方式', 200), complaintPhone: need('监督投诉方式', 200),
      online: flag('是否网办'), onlineDepth: int('网上办理深度', 1, 4), pcUrl: (c['计算机端在线办理跳转地址'] ?? '').trim(), mobileUrl: (c['移动端办理地址'] ?? '').trim(),
      appointment: flag('是否支持预约办理'), express: flag('是否支持物流快递'), scope: need('通办范围', 30), highFrequency: flag('高频事项'), canApply: flag('可码上办'),
      published: flag('是否发布'), materials, faqs,
    };
    if (row.promisedLimit > row.legalLimit && row.promisedLimitUnit === row.legalLimitUnit) errors.push({ column: '承诺办结时限', message: '承诺时限不能长于法定时限' });
    if (row.charged && fees.length === 0) errors.push({ column: '收费项目', message: '收费事项请写明收费项目' });
    if (row.canApply && ['02', '03', '06'].includes(typeCode)) errors.push({ column: '可码上办', message: '行政处罚、强制、检查类事项不能在线申请' });
    for (const u of [row.pcUrl, row.mobileUrl]) if (u && !/^https?:\/\/\S+$/.test(u)) errors.push({ column: u === row.pcUrl ? '计算机端在线办理跳转地址' : '移动端办理地址', message: '应为 http:// 或 https:// 开头的网址' });
    return errors.length ? { errors } : { value: row, errors };
  },
  key: (v) => v.code,
  existing(db, values) {
    const codes = values.map((v) => v.code);
    const items = db.prepare('SELECT * FROM catalog_items WHERE code IN (SELECT value FROM json_each(?))').all(JSON.stringify(codes)) as Array<Record<string, unknown>>;
    return new Map(items.map((i) => [String(i.code), fromDb(db, i)]));
  },
  same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  write(db, rows) {
    const upsert = db.prepare(`INSERT INTO catalog_items (code, impl_code, name, keywords, type_code, type_name, theme_code, level, basis, department,
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
    const clear = ['catalog_materials', 'catalog_fees', 'catalog_faqs'].map((t) => db.prepare(`DELETE FROM ${t} WHERE item_id = ?`));
    const material = db.prepare('INSERT INTO catalog_materials (item_id, seq, name, necessity, form, source, copies, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const fee = db.prepare('INSERT INTO catalog_fees (item_id, seq, name, standard, basis, reducible) VALUES (?, ?, ?, ?, ?, ?)');
    const faq = db.prepare('INSERT INTO catalog_faqs (item_id, seq, question, answer) VALUES (?, ?, ?, ?)');
    for (const { status, value: v } of rows) {
      if (status === 'same') continue;
      upsert.run({
        ...v, typeName: ITEM_TYPES[v.typeCode], process: JSON.stringify(v.process), pcUrl: v.pcUrl || null, mobileUrl: v.mobileUrl || null,
        charged: +v.charged, online: +v.online, appointment: +v.appointment, express: +v.express, highFrequency: +v.highFrequency, canApply: +v.canApply, published: +v.published,
      });
      const id = idOf.get(v.code) as number;
      for (const c of clear) c.run(id);
      v.materials.forEach((m, i) => material.run(id, i, m.name, m.necessity, m.form, m.source, m.copies, m.notes));
      v.fees.forEach((f, i) => fee.run(id, i, f.name, f.standard, f.basis, +f.reducible));
      v.faqs.forEach((f, i) => faq.run(id, i, f.q, f.a));
    }
  },
  exportRows(db) {
    return (db.prepare('SELECT * FROM catalog_items ORDER BY code').all() as Array<Record<string, unknown>>).map((i) => toCells(fromDb(db, i)));
  },
};

function fromDb(db: Db, i: Record<string, unknown>): CatalogRow {
  const id = i.id as number;
  return {
    code: String(i.code), implCode: String(i.impl_code), name: String(i.name), keywords: String(i.keywords), typeCode: String(i.type_code),
    themeCode: String(i.theme_code), level: String(i.level), basis: String(i.basis), department: String(i.department), departmentCode: String(i.department_code),
    handlingType: String(i.handling_type), target: String(i.target), conditions: String(i.conditions), legalLimit: Number(i.legal_limit),
    legalLimitUnit: String(i.legal_limit_unit), promisedLimit: Number(i.promised_limit), promisedLimitUnit: String(i.promised_limit_unit),
    visits: Number(i.visits), charged: i.charged === 1,
    fees: (db.prepare('SELECT name, standard, basis, reducible FROM catalog_fees WHERE item_id = ? ORDER BY seq').all(id) as Array<{ name: string; standard: string; basis: string; reducible: number }>).map((f) => ({ ...f, reducible: f.reducible === 1 })),
    forms: String(i.forms), process: JSON.parse(String(i.process)) as string[], place: String(i.place), hours: String(i.hours),
    consultPhone: String(i.consult_phone), complaintPhone: String(i.complaint_phone), online: i.online === 1, onlineDepth: Number(i.online_depth),
    pcUrl: (i.pc_url as string | null) ?? '', mobileUrl: (i.mobile_url as string | null) ?? '', appointment: i.appointment === 1, express: i.express === 1,
    scope: String(i.scope), highFrequency: i.high_frequency === 1, canApply: i.can_apply === 1, published: i.published === 1,
    materials: db.prepare('SELECT name, necessity, form, source, copies, notes FROM catalog_materials WHERE item_id = ? ORDER BY seq').all(id) as CatalogRow['materials'],
    faqs: (db.prepare('SELECT question AS q, answer AS a FROM catalog_faqs WHERE item_id = ? ORDER BY seq').all(id) as CatalogRow['faqs']),
  };
}

export function toCells(r: CatalogRow): string[] {
  return [
    r.code, r.implCode, r.name, r.keywords, r.typeCode, r.themeCode, r.level, r.basis, r.department, r.departmentCode, r.handlingType, r.target,
    r.conditions, String(r.legalLimit), r.legalLimitUnit, String(r.promisedLimit), r.promisedLimitUnit, String(r.visits), yn(r.charged),
    r.fees.map((f) => [f.name, f.standard, f.basis, yn(f.reducible)].join('|')).join('\n'), r.forms, r.process.join('\n'), r.place, r.hours,
    r.consultPhone, r.complaintPhone, yn(r.online), String(r.onlineDepth), r.pcUrl, r.mobileUrl, yn(r.appointment), yn(r.express), r.scope,
    yn(r.highFrequency), yn(r.canApply), yn(r.published),
    r.materials.map((m) => [m.name, m.necessity, m.form, m.source, String(m.copies), m.notes].join('|')).join('\n'),
    r.faqs.map((f) => `${f.q}|${f.a}`).join('\n'),
  ];
}
