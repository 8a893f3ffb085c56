import { t } from '../../i18n/index.js';
import type { EditableItem } from '../catalog/service.js';
import { ITEM_TYPES } from '../catalog/item-types.js';
import type { Dataset } from './datasets.js';

export { ITEM_TYPES };

/** A catalogue item as the import file's columns describe it. */
export type CatalogRow = EditableItem;

const H = [
  '基本编码',
  '实施编码',
  '事项名称',
  '俗称',
  '事项类型编码',
  '主题编码',
  '行使层级',
  '设定依据',
  '实施主体',
  '实施主体编码',
  '办件类型',
  '服务对象',
  '受理条件',
  '法定办结时限',
  '法定时限单位',
  '承诺办结时限',
  '承诺时限单位',
  '到办事现场次数',
  '是否收费',
  '收费项目',
  '办理形式',
  '办理流程',
  '办理地点',
  '办理时间',
  '咨询方式',
  '监督投诉方式',
  '是否网办',
  '网上办理深度',
  '计算机端在线办理跳转地址',
  '移动端办理地址',
  '是否支持预约办理',
  '是否支持物流快递',
  '通办范围',
  '高频事项',
  '可码上办',
  '是否发布',
  '申请材料',
  '常见问题',
] as const;

const lines = (s: string) =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
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
      if (!v || Array.from(v).length > max) errors.push({ column: col, message: v ? t('transfer.tooLong', { max }) : t('transfer.required') });
      return v;
    };
    const int = (col: (typeof H)[number], min: number, max: number) => {
      const v = c[col] ?? '';
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) errors.push({ column: col, message: t('transfer.integer', { min, max }) });
      return Number(v);
    };
    const flag = (col: (typeof H)[number]) => {
      const v = c[col] ?? '';
      if (v !== '是' && v !== '否') errors.push({ column: col, message: t('transfer.yesNo') });
      return yes(v);
    };
    const unit = (col: (typeof H)[number]) => {
      const v = c[col] ?? '';
      if (!UNITS.includes(v)) errors.push({ column: col, message: t('transfer.unit') });
      return v;
    };
    const code = need('基本编码', 40);
    if (code && !/^[0-9A-Za-z]{6,40}$/.test(code)) errors.push({ column: '基本编码', message: t('transfer.itemCode') });
    const typeCode = c['事项类型编码'] ?? '';
    if (!ITEM_TYPES[typeCode]) errors.push({ column: '事项类型编码', message: t('transfer.typeCode') });
    const themeCode = c['主题编码'] ?? '';
    if (!/^\d{3}$/.test(themeCode)) errors.push({ column: '主题编码', message: t('transfer.themeCode') });
    const materials = lines(c['申请材料'] ?? '').map((l) => {
      const [name = '', necessity = '必要', form = '纸质', source = '申请人自备', copies = '1', notes = ''] = l.split('|').map((x) => x.trim());
      if (!name || !['必要', '非必要', '容缺'].includes(necessity) || !/^\d+$/.test(copies))
        errors.push({ column: '申请材料', message: t('transfer.material', { line: l }) });
      return { name, necessity, form, source, copies: Number(copies) || 0, notes };
    });
    const fees = lines(c['收费项目'] ?? '').map((l) => {
      const [name = '', standard = '', basis = '', reducible = '否'] = l.split('|').map((x) => x.trim());
      if (!name || !standard) errors.push({ column: '收费项目', message: t('transfer.fee', { line: l }) });
      return { name, standard, basis, reducible: yes(reducible) };
    });
    const faqs = lines(c['常见问题'] ?? '').map((l) => {
      const [q = '', ...rest] = l.split('|');
      const a = rest.join('|').trim();
      if (!q.trim() || !a) errors.push({ column: '常见问题', message: t('transfer.faq', { line: l }) });
      return { q: q.trim(), a };
    });
    const process = lines(c['办理流程'] ?? '');
    if (process.length === 0) errors.push({ column: '办理流程', message: t('transfer.process') });
    const row: CatalogRow = {
      code,
      implCode: need('实施编码', 60),
      name: need('事项名称', 100),
      keywords: (c['俗称'] ?? '').trim(),
      typeCode,
      themeCode,
      level: need('行使层级', 30),
      basis: need('设定依据'),
      department: need('实施主体', 60),
      departmentCode: need('实施主体编码', 30),
      handlingType: need('办件类型', 10),
      target: need('服务对象', 30),
      conditions: need('受理条件'),
      legalLimit: int('法定办结时限', 1, 3650),
      legalLimitUnit: unit('法定时限单位'),
      promisedLimit: int('承诺办结时限', 0, 3650),
      promisedLimitUnit: unit('承诺时限单位'),
      visits: int('到办事现场次数', 0, 3),
      charged: flag('是否收费'),
      fees,
      forms: need('办理形式', 100),
      process,
      place: need('办理地点', 200),
      hours: need('办理时间', 200),
      consultPhone: need('咨询方式', 200),
      complaintPhone: need('监督投诉方式', 200),
      online: flag('是否网办'),
      onlineDepth: int('网上办理深度', 1, 4),
      pcUrl: (c['计算机端在线办理跳转地址'] ?? '').trim(),
      mobileUrl: (c['移动端办理地址'] ?? '').trim(),
      appointment: flag('是否支持预约办理'),
      express: flag('是否支持物流快递'),
      scope: need('通办范围', 30),
      highFrequency: flag('高频事项'),
      canApply: flag('可码上办'),
      published: flag('是否发布'),
      materials,
      faqs,
    };
    if (row.promisedLimit > row.legalLimit && row.promisedLimitUnit === row.legalLimitUnit)
      errors.push({ column: '承诺办结时限', message: t('transfer.promisedLimit') });
    if (row.charged && fees.length === 0) errors.push({ column: '收费项目', message: t('transfer.fees') });
    if (row.canApply && ['02', '03', '06'].includes(typeCode)) errors.push({ column: '可码上办', message: t('transfer.canApply') });
    for (const u of [row.pcUrl, row.mobileUrl])
      if (u && !/^https?:\/\/\S+$/.test(u))
        errors.push({ column: u === row.pcUrl ? '计算机端在线办理跳转地址' : '移动端办理地址', message: t('transfer.url') });
    return errors.length ? { errors } : { value: row, errors };
  },
  key: (v) => v.code,
  async existing(owners, values) {
    return new Map(
      (
        await owners.catalog.editableItems(
          await owners.district(),
          values.map((v) => v.code),
        )
      ).map((i) => [i.code, i]),
    );
  },
  same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  async write(owners, values) {
    await owners.catalog.saveItems(await owners.district(), values);
  },
  async exportRows(owners) {
    return (await owners.catalog.allEditableItems(await owners.district())).map(toCells);
  },
};

export function toCells(r: CatalogRow): string[] {
  return [
    r.code,
    r.implCode,
    r.name,
    r.keywords,
    r.typeCode,
    r.themeCode,
    r.level,
    r.basis,
    r.department,
    r.departmentCode,
    r.handlingType,
    r.target,
    r.conditions,
    String(r.legalLimit),
    r.legalLimitUnit,
    String(r.promisedLimit),
    r.promisedLimitUnit,
    String(r.visits),
    yn(r.charged),
    r.fees.map((f) => [f.name, f.standard, f.basis, yn(f.reducible)].join('|')).join('\n'),
    r.forms,
    r.process.join('\n'),
    r.place,
    r.hours,
    r.consultPhone,
    r.complaintPhone,
    yn(r.online),
    String(r.onlineDepth),
    r.pcUrl,
    r.mobileUrl,
    yn(r.appointment),
    yn(r.express),
    r.scope,
    yn(r.highFrequency),
    yn(r.canApply),
    yn(r.published),
    r.materials.map((m) => [m.name, m.necessity, m.form, m.source, String(m.copies), m.notes].join('|')).join('\n'),
    r.faqs.map((f) => `${f.q}|${f.a}`).join('\n'),
  ];
}
