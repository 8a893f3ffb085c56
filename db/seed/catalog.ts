/**
 * The demo service catalogue of 兖州区: exactly 862 政务服务事项, as the district standardised.
 *
 * Item names follow the way Shandong catalogues publish them; departments, codes, window numbers
 * and telephone numbers are made up for the demo (all telephone numbers are 0537-1xxxxxx, which
 * cannot be a real local number). Deterministic: the same array on every call.
 */
import { BUILD_ITEMS } from './catalog-build.js';
import { BUSINESS_ITEMS } from './catalog-business.js';
import { CIVIC_ITEMS } from './catalog-civic.js';
import { EXTRA_ITEMS } from './catalog-extra.js';
import { REAL_ITEMS } from './catalog-real.js';
import { RURAL_ITEMS } from './catalog-rural.js';
import { SOCIAL_ITEMS } from './catalog-social.js';
import { DEPTS, TYPE_NAMES, type Spec } from './catalog-spec.js';
import { createRng, hashString, type Rng } from './prng.js';
import type { CatalogItemSeed, ItemTypeCode, TimeUnit } from './types.js';

export const CATALOG_SIZE = 862;

const HOURS = '工作日 上午9:00-12:00，下午13:30-17:00（夏季14:00-17:30）';
const HOURS_SAT = `${HOURS}；周六上午9:00-12:00延时服务`;
const TOWN_LEVEL = '乡镇（街道）级';

/** Default [法定, 承诺] limits by item type, in 工作日. */
const DEFAULT_LIMITS: Readonly<Record<ItemTypeCode, [number, number]>> = {
  '01': [20, 10],
  '02': [90, 60],
  '03': [30, 20],
  '04': [15, 5],
  '05': [30, 15],
  '06': [30, 15],
  '07': [20, 7],
  '08': [30, 20],
  '09': [60, 45],
  '10': [20, 10],
  '20': [15, 5],
};

/** Words villagers use, added from the item name. */
const KEYWORD_RULES: ReadonlyArray<[RegExp, string[]]> = [
  [/医疗保险|医保|参保登记.*城乡居民$|城乡居民参保/, ['医保']],
  [/社会保障卡/, ['社保卡']],
  [/养老保险待遇/, ['养老金']],
  [/居民身份证/, ['身份证']],
  [/户口/, ['户口']],
  [/机动车驾驶证|驾驶人/, ['驾照']],
  [/机动车(?!驾驶)/, ['汽车']],
  [/不动产|房屋所有权/, ['房产证']],
  [/住房公积金/, ['公积金']],
  [/残疾人证/, ['残疾证']],
  [/护照/, ['护照']],
  [/港澳/, ['港澳通行证']],
  [/台湾/, ['台湾通行证']],
  [/宅基地/, ['宅基地', '盖房']],
  [/拖拉机|联合收割机|农业机械|农机/, ['农机']],
  [/个体工商户/, ['营业执照', '开店']],
  [/食品经营|小餐饮/, ['饭店', '开饭馆']],
  [/公证/, ['公证']],
  [/调解/, ['纠纷']],
  [/投诉|举报/, ['投诉']],
  [/供水|水表|水费/, ['自来水']],
  [/燃气/, ['天然气']],
  [/有线电视/, ['电视']],
  [/个人所得税/, ['个税']],
  [/教师资格/, ['教师资格证']],
  [/动物|畜禽|兽/, ['养殖']],
];

function phone(tel: string, salt: string): string {
  const n = hashString(salt) % 10000;
  return `0537-1${tel}${String(n).padStart(4, '0')}`;
}

function keywords(s: Spec): string[] {
  const out: string[] = [];
  for (const k of s.kw ?? []) if (!out.includes(k)) out.push(k);
  for (const [re, words] of KEYWORD_RULES) {
    if (!re.test(s.n)) continue;
    for (const w of words) if (!out.includes(w) && w !== s.n) out.push(w);
  }
  return out.slice(0, 6);
}

function toSeed(s: Spec, rng: Rng, seqs: Map<string, number>): CatalogItemSeed {
  const d = DEPTS[s.dept];
  const where = `${s.n}（${d.name}）`;
  const restricted = s.type === '02' || s.type === '03' || s.type === '06';
  const online = s.online ?? !restricted;
  const depth = online ? (s.depth ?? 2) : 3;
  const instant = s.instant === true;
  const unit: TimeUnit = s.unit ?? '工作日';
  const [legalDefault, promisedDefault] = s.limit ?? DEFAULT_LIMITS[s.type];
  const legalLimit = instant ? Math.max(1, legalDefault) : legalDefault;
  const promisedLimit = instant ? 0 : promisedDefault;
  if (!(legalLimit > 0) || (!instant && !(promisedLimit > 0 && promisedLimit < legalLimit))) {
    throw new Error(`bad limits for ${where}`);
  }
  const visits = depth === 1 ? 0 : (s.visits ?? (rng.chance(0.06) ? 2 : 1));
  const fees = s.fees ?? [];
  const level = s.level ?? (s.dept === 'town' ? TOWN_LEVEL : s.dept === 'gjj' ? '市级' : '区县级');
  const appointment = s.appointment ?? (depth === 1 ? rng.chance(0.3) : rng.chance(0.8));
  const express =
    s.express ?? ((s.type === '01' || s.type === '07') && depth !== 1 ? rng.chance(0.55) : rng.chance(0.1));
  const forms =
    s.forms ??
    (depth === 1
      ? '网上办理、窗口办理'
      : online
        ? express
          ? '窗口办理、网上办理、快递申请'
          : '窗口办理、网上办理'
        : '窗口办理');
  const hours =
    s.hours ?? (s.dept === 'ga' ? HOURS_SAT : depth === 1 ? `${HOURS}；网上办理全天受理` : HOURS);
  const section = s.section ?? '政务服务窗口';
  const faqs = s.faqs ?? [];
  if (s.hf === true && faqs.length === 0) throw new Error(`high-frequency item without FAQ: ${where}`);
  if (s.apply === true && restricted) throw new Error(`canApply on ${TYPE_NAMES[s.type]}: ${where}`);
  if (s.steps.length < 3 || s.steps.length > 6) throw new Error(`process must have 3-6 steps: ${where}`);
  if (s.mats.length < 1 || s.mats.length > 6) throw new Error(`materials must be 1-6: ${where}`);

  const seqKey = `${s.type}${d.no}`;
  const seq = (seqs.get(seqKey) ?? 0) + 1;
  seqs.set(seqKey, seq);
  const code = `00${s.type}${d.no}${String(seq).padStart(3, '0')}000`;

  return {
    code,
    implCode: `${d.code}${code}`,
    name: s.n,
    keywords: keywords(s),
    typeCode: s.type,
    typeName: TYPE_NAMES[s.type],
    themeCode: s.theme,
    level,
    basis: s.basis,
    department: d.name,
    departmentCode: d.code,
    handlingType: instant ? '即办件' : '承诺件',
    target: s.target ?? '自然人',
    conditions: s.cond,
    legalLimit,
    legalLimitUnit: unit,
    promisedLimit,
    promisedLimitUnit: unit,
    visits,
    charged: fees.length > 0,
    fees: fees.map((f) => ({ ...f })),
    forms,
    process: [...s.steps],
    place: s.place ?? d.place,
    hours,
    consultPhone: `${phone(d.tel, `${s.dept}:${section}`)}（${d.short}${section}）`,
    complaintPhone: `12345（政务服务便民热线）；${phone(d.tel, `${s.dept}:监督`)}（${d.short}监督电话）`,
    online,
    onlineDepth: depth,
    // Only an item's own online address: a portal's home page leaves a villager to search it alone.
    pcUrl: online ? (s.url ?? null) : null,
    mobileUrl: online ? (s.url ?? null) : null,
    appointment,
    express,
    scope: s.scope ?? '全区通办',
    highFrequency: s.hf === true,
    canApply: s.apply === true,
    materials: s.mats.map((m) => ({ ...m })),
    faqs: faqs.map((f) => ({ ...f })),
  };
}

/** Every item, in catalogue order. */
function allSpecs(): Spec[] {
  return [...REAL_ITEMS, ...SOCIAL_ITEMS, ...CIVIC_ITEMS, ...BUILD_ITEMS, ...BUSINESS_ITEMS, ...RURAL_ITEMS, ...EXTRA_ITEMS];
}

export function buildCatalog(): CatalogItemSeed[] {
  const specs = allSpecs();
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.n)) throw new Error(`duplicate catalogue item name: ${s.n}`);
    seen.add(s.n);
  }
  if (specs.length !== CATALOG_SIZE) throw new Error(`catalogue has ${specs.length} items, expected ${CATALOG_SIZE}`);
  const rng = createRng('mashang-catalog-370812');
  const seqs = new Map<string, number>();
  return specs.map((s) => toSeed(s, rng, seqs));
}
