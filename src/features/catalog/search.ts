/**
 * Catalogue search for villagers: short Chinese queries (低保, 医保) must work, so matching is by
 * substring on the item's name, the words villagers use for it, and its conditions and materials,
 * with a small dictionary of everyday words for official terms. Name matches rank first.
 */

/** Everyday words → the official terms they stand for in item names. */
const EVERYDAY: Readonly<Record<string, readonly string[]>> = {
  低保: ['最低生活保障'],
  医保: ['医疗保障', '医疗保险', '医保'],
  社保: ['社会保险', '社会保障'],
  社保卡: ['社会保障卡'],
  五保: ['特困人员'],
  身份证: ['居民身份证'],
  户口本: ['户口'],
  准生证: ['生育登记'],
  养老金: ['养老保险待遇'],
  退休金: ['养老保险待遇'],
  残疾证: ['残疾人证'],
  结婚证: ['结婚'],
  高龄补贴: ['高龄津贴'],
  老年补贴: ['高龄津贴', '老年人'],
  危房: ['危房改造'],
  驾照: ['驾驶证'],
  护照: ['普通护照'],
  公积金: ['住房公积金'],
  失业金: ['失业保险金'],
  新农合: ['城乡居民基本医疗保险', '城乡居民参保'],
  盖房: ['乡村建设规划许可', '农村宅基地'],
  宅基地: ['农村宅基地'],
};

/** Everyday words → official terms, as a Map so that a query like "constructor" finds nothing odd. */
export const EVERYDAY_WORDS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(EVERYDAY));
const officialFor = (term: string): readonly string[] => EVERYDAY_WORDS.get(term) ?? [];

export interface Searchable {
  name: string;
  keywords: string;
  body: string;
  highFrequency: number;
  code: string;
}

/** Lower-cased copies of the searched fields, made once per catalogue revision, not per query. */
interface Prepared<T> {
  item: T;
  name: string;
  keywords: string;
  keywordList: string[];
  body: string;
}

const preparedCache = new WeakMap<readonly Searchable[], Prepared<Searchable>[]>();

function prepare<T extends Searchable>(items: readonly T[]): Prepared<T>[] {
  let p = preparedCache.get(items) as Prepared<T>[] | undefined;
  if (!p) {
    p = items.map((item) => {
      const keywords = item.keywords.toLowerCase();
      return { item, name: item.name.toLowerCase(), keywords, keywordList: keywords.split(/\s+/), body: item.body.toLowerCase() };
    });
    preparedCache.set(items, p as Prepared<Searchable>[]);
  }
  return p;
}

export const MAX_QUERY_LENGTH = 40;

/** Splits a query into terms: full-width spaces and punctuation separate words; letters are lower-cased. */
export function queryTerms(q: string): string[] {
  return q
    .normalize('NFKC')
    .toLowerCase()
    .split(/[\s,，。、;；:：!！?？"'“”‘’()（）《》<>·]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 5);
}

function termScore(item: Prepared<Searchable>, term: string): number {
  const name = item.name;
  let best = 0;
  if (name === term) best = 1000;
  else if (name.startsWith(term)) best = 800;
  else if (name.includes(term)) best = 600;
  for (const official of officialFor(term)) {
    if (name === official) best = Math.max(best, 950);
    else if (name.startsWith(official)) best = Math.max(best, 750);
    else if (name.includes(official)) best = Math.max(best, 550);
  }
  if (best > 0) return best;
  if (item.keywordList.includes(term)) return 450;
  if (item.keywords.includes(term)) return 400;
  const body = item.body;
  if (body.includes(term) || officialFor(term).some((o) => body.includes(o))) return 100;
  return 0;
}

/** Items that match every term, best first: name matches, then keywords, then the rest. */
export function rank<T extends Searchable>(items: readonly T[], q: string): T[] {
  const terms = queryTerms(q);
  if (terms.length === 0) return [];
  const scored: Array<{ item: T; score: number }> = [];
  for (const p of prepare(items)) {
    let score = 0;
    for (const term of terms) {
      const s = termScore(p as Prepared<Searchable>, term);
      if (s === 0) {
        score = 0;
        break;
      }
      score += s;
    }
    if (score > 0) scored.push({ item: p.item, score });
  }
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      b.item.highFrequency - a.item.highFrequency ||
      a.item.name.length - b.item.name.length ||
      a.item.code.localeCompare(b.item.code),
  );
  return scored.map((s) => s.item);
}
