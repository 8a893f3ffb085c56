/**
 * An item's guide as a villager reads it: the catalogue's official wording (自然人, 全区通办,
 * 在线预审, 已归集电子证照…) turned into plain words, online handling told as it is (only an item's
 * own address is a link; 「可网办」 only when it can be done wholly online), and where to go —
 * the villager's own 镇（街道）便民服务中心 when the guide was reached from a plate.
 */
import { t } from '../../i18n/index.js';
import type { Material, ServiceItem } from './repo.js';

/** The 便民服务中心 of the villager's town, from the plate they scanned. */
export interface TownCentre {
  townName: string;
  address: string;
  hours: string;
  phone: string;
}

export type OnlineLevel = 'full' | 'partly' | 'none';

export interface Guide {
  item: ServiceItem;
  /** 服务对象 in plain words: 个人, 企业和单位 */
  audience: string;
  /** 通办范围 in plain words, or '' when there is nothing to say */
  scope: string;
  online: OnlineLevel;
  /** the item's own online address, or null */
  onlineLink: string | null;
  centre: TownCentre | null;
  /** the item's own place and hours are worth showing besides the centre (they name another office) */
  otherPlace: boolean;
}

/** 网上办理深度: 1 全程网办 and 4 在线办理 can be done online; 2 在线预审 still needs a visit; 3 事项公开 only informs. */
export function onlineLevel(online: boolean, depth: number): OnlineLevel {
  if (!online) return 'none';
  if (depth === 1 || depth === 4) return 'full';
  if (depth === 2) return 'partly';
  return 'none';
}

/**
 * An address that leads to the item itself. A portal's home page (http://zwfw.sd.gov.cn/, …/m/)
 * leaves an elderly villager to search a government site alone: that is no link.
 */
export function ownLink(url: string | null): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const path = u.pathname.replace(/\/(index\.html?)?$/i, '').replace(/^\/(m|mobile|wap|h5)$/i, '');
  return path === '' && u.search === '' && u.hash === '' ? null : u.toString();
}

/** Message-key tails for the official words, in zh-CN.ts under `plain`. */
const AUDIENCE: Readonly<Record<string, string>> = { 自然人: 'person', 法人: 'organisation' };
const SCOPE: Readonly<Record<string, string>> = { 全区通办: 'district', 全市通办: 'city', 全省通办: 'province', 跨省通办: 'country' };
const SOURCE: Readonly<Record<string, string>> = {
  申请人自备: 'self',
  政府部门核发: 'government',
  '村（居）民委员会出具': 'village',
  医疗机构出具: 'hospital',
  用人单位出具: 'employer',
};
const FORM: Readonly<Record<string, string>> = { '纸质/电子': 'either', 纸质: 'paper', 电子: 'electronic' };

const lookup = (table: Readonly<Record<string, string>>, group: string, value: string) => {
  const key = Object.hasOwn(table, value) ? table[value] : undefined;
  return key ? t(`plain.${group}.${key}`) : value;
};

/** Phrases of the catalogue's notes that say something simple in office words. */
function plainPhrases(text: string): string {
  return text
    .replaceAll('已归集电子证照的可免于提交', t('plain.phrase.ecert'))
    .replaceAll('原件核验', t('plain.phrase.original'))
    .replaceAll('非法人组织', t('plain.phrase.otherOrganisation'))
    .replaceAll('自然人', t('plain.audience.person'))
    .replaceAll('法人', t('plain.audience.organisation'))
    .replaceAll('全程网办', t('plain.online.full'))
    .replaceAll('在线预审', t('plain.online.partly'));
}

function plainMaterial(m: Material): Material {
  return { ...m, source: lookup(SOURCE, 'source', m.source), form: lookup(FORM, 'form', m.form), notes: plainPhrases(m.notes) };
}

export function residentGuide(item: ServiceItem, centre: TownCentre | null): Guide {
  const audience = item.target
    .split(/[、,，]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => lookup(AUDIENCE, 'audience', s))
    .join('、');
  const online = onlineLevel(item.online, item.onlineDepth);
  return {
    item: {
      ...item,
      conditions: plainPhrases(item.conditions),
      process: item.process.map(plainPhrases),
      materials: item.materials.map(plainMaterial),
      faqs: item.faqs.map((f) => ({ question: f.question, answer: plainPhrases(f.answer) })),
    },
    audience,
    scope: item.scope ? lookup(SCOPE, 'scope', item.scope) : '',
    online,
    onlineLink: online === 'none' ? null : (ownLink(item.mobileUrl) ?? ownLink(item.pcUrl)),
    centre,
    // "户籍所在地镇（街道）便民服务中心…" says again what the centre above already says
    otherPlace: !centre || !/镇（街道）便民服务中心/.test(item.place),
  };
}
