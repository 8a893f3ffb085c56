/**
 * Building blocks for the demo service catalogue (政务服务事项目录) of 兖州区:
 * implementing bodies, material shorthand and the compact item specification the catalogue
 * files are written in. catalog.ts turns specifications into CatalogItemSeed rows.
 *
 * Departments and their codes, window numbers and telephone numbers are made up for the demo.
 * Telephone numbers are all of the form 0537-1xxxxxx: a local number never starts with 1,
 * so none of them can reach a real line.
 */
import type { FaqSeed, FeeSeed, ItemTypeCode, MaterialSeed, TimeUnit } from './types.js';

export const TYPE_NAMES: Readonly<Record<ItemTypeCode, string>> = {
  '01': '行政许可',
  '02': '行政处罚',
  '03': '行政强制',
  '04': '行政征收',
  '05': '行政给付',
  '06': '行政检查',
  '07': '行政确认',
  '08': '行政奖励',
  '09': '行政裁决',
  '10': '其他权力',
  '20': '公共服务',
};

export interface Dept {
  /** two digits used inside 基本编码 */
  no: string;
  name: string;
  /** short name for telephone notes, e.g. 区民政局 */
  short: string;
  /** 18-char 实施主体编码 */
  code: string;
  /** default 办理地点 */
  place: string;
  /** two digits after 0537-1 */
  tel: string;
}

const HALL = '兖州区政务服务中心（兖州区建设东路与九州大道交汇处）';

function dept(no: string, name: string, short: string, tail: string, place: string, tel: string): Dept {
  const code = `11370812${tail}`;
  if (code.length !== 18) throw new Error(`department code of ${name} is not 18 chars`);
  return { no, name, short, code, place, tel };
}

export const DEPTS = {
  mz: dept('01', '济宁市兖州区民政局', '区民政局', '004170365U', `${HALL}二楼 A区 10-13号窗口`, '23'),
  rs: dept('02', '济宁市兖州区人力资源和社会保障局', '区人社局', '00417052XD', `${HALL}二楼 B区 21-30号窗口`, '24'),
  yb: dept('03', '济宁市兖州区医疗保障局', '区医保局', 'MB1C86217N', `${HALL}二楼 C区 31-36号窗口`, '25'),
  ga: dept('04', '济宁市公安局兖州分局', '兖州公安分局', '00417008X6', `${HALL}一楼 C区 公安户政窗口`, '26'),
  wj: dept('05', '济宁市兖州区卫生健康局', '区卫生健康局', 'MB1C8536XP', `${HALL}三楼 A区 51-53号窗口`, '27'),
  nync: dept('06', '济宁市兖州区农业农村局', '区农业农村局', '004170401B', `${HALL}三楼 B区 55-58号窗口`, '28'),
  zj: dept('07', '济宁市兖州区住房和城乡建设局', '区住房和城乡建设局', '004170233R', `${HALL}三楼 C区 61-64号窗口`, '29'),
  zrzy: dept('08', '济宁市兖州区自然资源局', '区自然资源局', 'MB1C8579X2', `${HALL}三楼 D区 66-68号窗口`, '30'),
  tyjr: dept('09', '济宁市兖州区退役军人事务局', '区退役军人事务局', 'MB1D2741XA', `${HALL}二楼 D区 40-41号窗口`, '31'),
  sf: dept('10', '济宁市兖州区司法局', '区司法局', '004170137E', `${HALL}一楼 F区 公共法律服务窗口`, '32'),
  jt: dept('11', '济宁市兖州区教育和体育局', '区教育和体育局', '004170188H', `${HALL}三楼 E区 70-71号窗口`, '33'),
  cl: dept('12', '济宁市兖州区残疾人联合会', '区残联', 'MB1D0246X5', `${HALL}二楼 E区 44-45号窗口`, '34'),
  scjg: dept('13', '济宁市兖州区市场监督管理局', '区市场监管局', 'MB1C8602X7', `${HALL}一楼 A区 1-8号窗口`, '35'),
  sp: dept('14', '济宁市兖州区行政审批服务局', '区行政审批服务局', 'MB1C7318XK', `${HALL}一楼 B区 综合受理窗口`, '36'),
  sw: dept('15', '济宁市兖州区水务局', '区水务局', '00417041X9', `${HALL}三楼 F区 75号窗口`, '37'),
  tax: dept('16', '国家税务总局济宁市兖州区税务局', '区税务局', 'MB1F6309XC', `${HALL}一楼 E区 办税服务厅`, '38'),
  jtys: dept('17', '济宁市兖州区交通运输局', '区交通运输局', '004170274G', `${HALL}三楼 G区 78-79号窗口`, '39'),
  wl: dept('18', '济宁市兖州区文化和旅游局', '区文化和旅游局', 'MB1C8571XE', `${HALL}三楼 H区 81-82号窗口`, '40'),
  gjj: dept(
    '19',
    '济宁市住房公积金管理中心兖州管理部',
    '市公积金中心兖州管理部',
    'MB1A09324L',
    `济宁市住房公积金管理中心兖州管理部服务大厅（${HALL}二楼 F区）`,
    '41',
  ),
  yj: dept('20', '济宁市兖州区应急管理局', '区应急管理局', 'MB1C8598X3', `${HALL}三楼 J区 86号窗口`, '42'),
  st: dept('21', '济宁市生态环境局兖州区分局', '兖州生态环境分局', 'MB1D3367XR', `${HALL}三楼 J区 88号窗口`, '43'),
  zf: dept('22', '济宁市兖州区综合行政执法局', '区综合行政执法局', 'MB1C8652XW', `${HALL}三楼 K区 90号窗口`, '44'),
  xf: dept('23', '济宁市兖州区消防救援大队', '区消防救援大队', 'MB1E0417XY', `${HALL}三楼 K区 92号窗口`, '45'),
  qx: dept('24', '济宁市兖州区气象局', '区气象局', 'MB1E0522XT', `${HALL}三楼 K区 93号窗口`, '46'),
  gd: dept(
    '25',
    '国网济宁市兖州区供电公司',
    '兖州供电公司',
    'MA3C41Q57H',
    '兖州区供电营业厅，或兖州区政务服务中心一楼 G区 水电气暖信综合窗口',
    '47',
  ),
  gz: dept('26', '济宁市兖州区公证处', '区公证处', '00417014XG', `${HALL}一楼 F区 公证受理窗口`, '48'),
  zb: dept('27', '济宁市兖州区人民政府征兵办公室', '区征兵办', '00417067X4', '兖州区人民武装部征兵办公室', '49'),
  mzzj: dept('28', '济宁市兖州区民族宗教事务局', '区民族宗教局', 'MB1C8718XM', `${HALL}三楼 L区 95号窗口`, '50'),
  town: dept(
    '29',
    '兖州区各镇人民政府（街道办事处）',
    '镇（街道）',
    'MB1C9003XF',
    '户籍所在地镇（街道）便民服务中心综合受理窗口',
    '51',
  ),
  fg: dept('30', '济宁市兖州区发展和改革局', '区发展改革局', '004170029N', `${HALL}三楼 L区 96号窗口`, '52'),
  sh: dept('31', '济宁市兖州区商务局', '区商务局', 'MB1C8547X0', `${HALL}三楼 L区 97号窗口`, '53'),
  yc: dept('32', '济宁市兖州区烟草专卖局', '区烟草专卖局', 'MB1E0587X8', `${HALL}一楼 A区 9号窗口`, '54'),
  hsh: dept('33', '济宁市兖州区红十字会', '区红十字会', 'MB1D0259XJ', `${HALL}二楼 E区 46号窗口`, '55'),
  xfj: dept('34', '济宁市兖州区信访局', '区信访局', '00417021XC', '兖州区人民来访接待中心', '56'),
  zfb: dept('35', '济宁市兖州区人民政府办公室', '区政府办公室', '004170010X', `${HALL}一楼 服务台（政府信息公开申请受理点）`, '57'),
  fl: dept('36', '济宁市兖州区妇女联合会', '区妇联', 'MB1D0283X9', '兖州区妇女儿童活动中心维权服务站', '58'),
  gh: dept('37', '济宁市兖州区总工会', '区总工会', 'MB1D0305XB', '兖州区职工服务中心', '59'),
  da: dept('38', '济宁市兖州区档案馆', '区档案馆', 'MB1C9127XS', '兖州区档案馆查档接待室', '60'),
  gdwl: dept(
    '39',
    '山东广电网络有限公司兖州分公司',
    '兖州广电网络',
    'MA3D27P48K',
    '兖州广电网络营业厅，或兖州区政务服务中心一楼 G区 水电气暖信综合窗口',
    '61',
  ),
  zsk: dept('40', '济宁市兖州区招生考试中心', '区招生考试中心', 'MB1C9135XQ', `${HALL}三楼 E区 72号窗口`, '62'),
} as const satisfies Record<string, Dept>;

export type DeptKey = keyof typeof DEPTS;

/** The compact form every catalogue item is written in. */
export interface Spec {
  n: string;
  type: ItemTypeCode;
  theme: string;
  dept: DeptKey;
  basis: string;
  cond: string;
  mats: MaterialSeed[];
  steps: string[];
  kw?: string[];
  /** [法定, 承诺] in `unit`; ignored for 即办件 except the legal limit */
  limit?: [number, number];
  unit?: TimeUnit;
  instant?: boolean;
  level?: string;
  target?: string;
  depth?: 1 | 2 | 3 | 4;
  visits?: 0 | 1 | 2 | 3;
  scope?: string;
  fees?: FeeSeed[];
  faqs?: FaqSeed[];
  hf?: boolean;
  apply?: boolean;
  express?: boolean;
  appointment?: boolean;
  online?: boolean;
  /** 办理地点 when it differs from the department's window */
  place?: string;
  /** the office named after the consultation number, e.g. 社会救助股 */
  section?: string;
  hours?: string;
  forms?: string;
  /** the item's own online handling address, when it has one (never a portal's home page) */
  url?: string;
}

export type Defaults = Omit<Spec, 'n'>;
export type Item = Partial<Spec> & { n: string };

/** A run of items sharing defaults; an item may be a bare name or override any field. */
export function group(d: Defaults, items: ReadonlyArray<string | Item>): Spec[] {
  return items.map((it) => (typeof it === 'string' ? { ...d, n: it } : { ...d, ...it }));
}

const ISSUED =
  /身份证|户口簿|结婚证|离婚证|营业执照|证书|许可证|驾驶证|行驶证|护照|通行证|社会保障卡|判决书|裁定书|调解书|不动产权|房产证|残疾人证|退出现役证|出生医学证明|死亡医学证明|火化证明|批准文件|批复|登记证|合格证|优待证|居住证|户口迁移证/;

/**
 * One material from shorthand: a leading `?` marks 非必要, `~` marks 容缺; text after `|` is the note.
 * Source, form and copies follow the usual pattern for that kind of paper.
 */
export function m(spec: string): MaterialSeed {
  let s = spec;
  let necessity: MaterialSeed['necessity'] = '必要';
  if (s.startsWith('?')) {
    necessity = '非必要';
    s = s.slice(1);
  } else if (s.startsWith('~')) {
    necessity = '容缺';
    s = s.slice(1);
  }
  const bar = s.indexOf('|');
  const name = bar >= 0 ? s.slice(0, bar) : s;
  let notes = bar >= 0 ? s.slice(bar + 1) : '';
  let source = '申请人自备';
  let form: MaterialSeed['form'] = '纸质/电子';
  let copies = 1;
  if (/号码|人脸|卡号|联系方式|联系电话|身份信息|预约信息/.test(name) || /^(在线填写|线上|网上)/.test(notes)) {
    form = '电子';
    copies = 0;
  } else if (/医疗机构|医院|卫生院/.test(name) && /证明|诊断|病历|报告|记录/.test(name)) source = '医疗机构出具';
  else if (/村（居）民委员会|村（居）委会|村民委员会|居民委员会/.test(name)) source = '村（居）民委员会出具';
  else if (/用人单位|工作单位|所在单位/.test(name)) source = '用人单位出具';
  else if (/银行/.test(name)) source = '申请人自备';
  else if (/申请表|申请书|登记表|申报表|审批表|承诺书|声明|授权书|委托书|情况说明|备案表|告知书/.test(name)) {
    source = '申请人自备';
    if (!notes && /表$/.test(name)) notes = '可在窗口领取或在线填写，需申请人签字确认';
  } else if (ISSUED.test(name)) {
    source = '政府部门核发';
    if (!notes && /居民身份证|户口簿|营业执照|结婚证|社会保障卡/.test(name)) notes = '原件核验；已归集电子证照的可免于提交';
  }
  if (/照片|相片/.test(name)) {
    form = /数码/.test(name) ? '电子' : '纸质';
    copies = form === '电子' ? 0 : 1;
  }
  return { name, necessity, form, source, copies, notes };
}

export function ms(...specs: string[]): MaterialSeed[] {
  return specs.map(m);
}

/** The usual steps, written once. */
export const STEPS = {
  apply: '申请：申请人通过窗口、山东政务服务网或“爱山东”APP提交申请材料',
  accept: '受理：窗口对材料进行审查，材料齐全、符合法定形式的当场受理；不齐全的一次性告知需补正的内容',
  review: '审核：承办股室对申请材料进行审查，必要时组织实地核查',
  decide: '决定：作出准予或不予办理的决定，不予办理的书面说明理由',
  deliver: '送达：通过窗口领取、邮寄或电子证照方式送达办理结果',
  done: '办结：当场办结并告知办理结果',
} as const;

export const STD_STEPS: string[] = [STEPS.apply, STEPS.accept, STEPS.review, STEPS.decide, STEPS.deliver];
export const INSTANT_STEPS: string[] = [STEPS.apply, '受理：工作人员核验身份信息和申请材料', STEPS.done];
export const PERMIT_STEPS: string[] = [
  STEPS.apply,
  STEPS.accept,
  '审查：对申请材料进行实质审查，需要现场核查的组织现场核查',
  '决定：作出准予许可或不予许可的决定',
  '制证送达：准予许可的制发证件，可窗口领取或免费邮寄',
];
export const GIVE_STEPS: string[] = [
  '申请：申请人向户籍所在地村（居）委会或镇（街道）便民服务中心提出申请，也可通过“爱山东”APP在线申请',
  '初审：镇（街道）组织入户调查、核实情况，并在村（居）务公开栏公示',
  '审核确认：区主管部门对初审意见进行审核，作出确认决定',
  '发放：审核通过的自次月起按月（或按规定）发放至本人社会保障卡或银行账户',
];
export const FILING_STEPS: string[] = [
  STEPS.apply,
  '受理：窗口核对备案材料是否齐全',
  '备案：材料齐全的予以备案并出具备案回执',
];
