/**
 * Catalogue search for villagers. People ask the way they speak: 「我想问一下怎么办理低保呀」, a
 * sentence from WeChat's voice input, an everyday word (准生证, 迁户口), a homophone typo (低宝) or
 * pinyin (dibao, db). The search tries, in order, until one step finds something:
 *
 * 1. the query as typed: every word must match an item's name, its keywords (the words villagers
 *    use for it), or its conditions and materials; everyday words count as the official terms they
 *    stand for (everyday-words.txt);
 * 2. the query understood: question and filler words dropped, the everyday words found inside it,
 *    and what is left; an item matching more of them ranks higher;
 * 3. pinyin: letters (dibao, db, gaolingjintie) or a homophone typo (低宝 reads dibao) against the
 *    pinyin of everyday words and of item names and keywords, computed once per catalogue revision;
 * 4. character pairs (bigrams) shared with names and keywords.
 *
 * Items for individuals (自然人) come before items only for organisations (法人): these are the
 * villagers' pages. Results are cached per catalogue revision and query.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pinyin } from 'pinyin-pro';
import { projectRoot } from '../../db/index.js';

export const MAX_QUERY_LENGTH = 40;

// ───────────── the everyday-word dictionary ─────────────

/** Parses everyday-words.txt: `word: term、term`, `#` comments. Exported for the tests. */
export function parseEverydayWords(text: string): Map<string, readonly string[]> {
  const map = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.search(/[:：]/);
    if (colon <= 0) throw new Error(`everyday-words.txt: no colon in "${line}"`);
    const word = line.slice(0, colon).trim().toLowerCase();
    const terms = line
      .slice(colon + 1)
      .split(/[、,，]/)
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s.length > 0);
    if (!word || terms.length === 0) throw new Error(`everyday-words.txt: empty word or terms in "${line}"`);
    map.set(word, [...(map.get(word) ?? []), ...terms.filter((t) => !(map.get(word) ?? []).includes(t))]);
  }
  return map;
}

/** Everyday words → the official terms they stand for in item names (a Map: "constructor" is just a word). */
export const EVERYDAY_WORDS: ReadonlyMap<string, readonly string[]> = parseEverydayWords(
  fs.readFileSync(path.join(projectRoot, 'src', 'features', 'catalog', 'everyday-words.txt'), 'utf8'),
);
const officialFor = (term: string): readonly string[] => EVERYDAY_WORDS.get(term) ?? [];
/** Dictionary words, longest first, to find them inside a sentence. */
const WORDS_LONGEST_FIRST = [...EVERYDAY_WORDS.keys()].sort((a, b) => b.length - a.length);

/**
 * Question and filler words to drop from what people type or dictate, longest first so that
 * 「我想问一下」 goes before 「我想」. Only used once the query as typed found nothing.
 */
const FILLERS = [
  '我想问一下',
  '想问一下',
  '请问一下',
  '麻烦问一下',
  '我想咨询',
  '我想了解',
  '咨询一下',
  '了解一下',
  '我想问',
  '请问',
  '问一下',
  '需要哪些材料',
  '需要什么材料',
  '要什么材料',
  '要带什么',
  '需要带什么',
  '带什么',
  '什么材料',
  '哪些材料',
  '怎么办理',
  '怎样办理',
  '如何办理',
  '怎么申请',
  '怎么弄',
  '怎么搞',
  '怎么办',
  '怎么样',
  '怎么',
  '怎样',
  '如何',
  '去哪里',
  '到哪里',
  '在哪里',
  '在哪儿',
  '在哪',
  '哪里',
  '哪儿',
  '去哪',
  '多少钱',
  '多长时间',
  '多久',
  '能不能',
  '可不可以',
  '能否',
  '是不是',
  '有没有',
  '可以',
  '能领',
  '能办',
  '能拿',
  '领什么',
  '有什么',
  '什么',
  '哪些',
  '我想要',
  '我要',
  '我想',
  '我家',
  '我们家',
  '俺家',
  '咱家',
  '我们',
  '咱们',
  '家里',
  '俺',
  '我',
  '你好',
  '您好',
  '帮我',
  '给我',
  '一下',
  '办理',
  '申请',
  '手续',
  '流程',
  '要办',
  '现在',
  '已经',
  '呀',
  '啊',
  '吗',
  '呢',
  '吧',
  '嘛',
  '哦',
  '哈',
  '了',
  '的',
  '么',
  '想',
  '能',
  '要',
  '办',
  '领',
  '去',
  '在',
  '给',
  '和',
  '跟',
];

/** Splits a query into terms: full-width spaces and punctuation separate words; letters are lower-cased. */
export function queryTerms(q: string): string[] {
  return q
    .normalize('NFKC')
    .toLowerCase()
    .split(/[\s,，。、;；:：!！?？"'“”‘’()（）《》<>·…~～]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 5);
}

/** The query with question and filler words taken out, as the words left between them. */
export function stripFillers(term: string): string[] {
  let parts = [term];
  for (const f of FILLERS) {
    if (!parts.some((p) => p.includes(f))) continue;
    parts = parts.flatMap((p) => p.split(f)).filter((p) => p.length > 0);
  }
  return parts;
}

/** Everyday words found inside a text (longest first, not overlapping) and the pieces left over. */
export function findWords(text: string): { words: string[]; rest: string[] } {
  const words: string[] = [];
  let pieces = [text];
  for (const w of WORDS_LONGEST_FIRST) {
    if (w.length < 2 || !pieces.some((p) => p.includes(w))) continue;
    words.push(w);
    pieces = pieces.flatMap((p) => p.split(w)).filter((p) => p.length > 0);
  }
  return { words, rest: pieces };
}

// ───────────── pinyin ─────────────

/** Toneless pinyin of a text: the whole (zuidishenghuobaozhang) and the initials (zdshbz). */
export function pinyinOf(text: string): { full: string; initials: string } {
  const syllables = pinyin(text, { toneType: 'none', type: 'array', nonZh: 'removed', v: true }).filter((s) => /^[a-z]+$/i.test(s));
  return { full: syllables.join('').toLowerCase(), initials: syllables.map((s) => s[0]!.toLowerCase()).join('') };
}

let wordPinyin: { full: Map<string, string[]>; initials: Map<string, string[]> } | undefined;
/** Dictionary words by their pinyin, made on first use. */
function dictionaryByPinyin() {
  if (!wordPinyin) {
    const full = new Map<string, string[]>();
    const initials = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, k: string, w: string) => m.set(k, [...(m.get(k) ?? []), w]);
    for (const w of EVERYDAY_WORDS.keys()) {
      if (!/\p{Script=Han}/u.test(w)) continue;
      const p = pinyinOf(w);
      add(full, p.full, w);
      add(initials, p.initials, w);
    }
    wordPinyin = { full, initials };
  }
  return wordPinyin;
}

// ───────────── the items, prepared once per catalogue revision ─────────────

export interface Searchable {
  name: string;
  keywords: string;
  body: string;
  highFrequency: number;
  code: string;
  /** 1 when the item serves individuals (自然人); items for organisations only come after */
  personal?: number;
}

interface Prepared<T> {
  item: T;
  name: string;
  keywords: string;
  keywordList: string[];
  body: string;
  /** lazily: pinyin and bigrams, only needed when the first steps found nothing */
  extra?: { namePinyin: { full: string; initials: string }; keywordPinyin: Array<{ full: string; initials: string }>; bigrams: Set<string> };
}

interface Index<T> {
  prepared: Prepared<T>[];
  /** ranked results of recent queries; the catalogue's revision makes a new index */
  results: Map<string, T[]>;
}

const indexes = new WeakMap<readonly Searchable[], Index<Searchable>>();
const RESULT_CACHE_SIZE = 500;

function indexOf<T extends Searchable>(items: readonly T[]): Index<T> {
  let idx = indexes.get(items) as Index<T> | undefined;
  if (!idx) {
    const prepared = items.map((item) => {
      const keywords = item.keywords.toLowerCase();
      return { item, name: item.name.toLowerCase(), keywords, keywordList: keywords.split(/\s+/).filter(Boolean), body: item.body.toLowerCase() };
    });
    idx = { prepared, results: new Map() };
    indexes.set(items, idx as Index<Searchable>);
  }
  return idx;
}

function extraOf(p: Prepared<Searchable>): NonNullable<Prepared<Searchable>['extra']> {
  if (!p.extra) {
    p.extra = {
      namePinyin: pinyinOf(p.name),
      keywordPinyin: p.keywordList.map(pinyinOf),
      bigrams: new Set([...bigrams(p.name), ...p.keywordList.flatMap(bigrams)]),
    };
  }
  return p.extra;
}

/** Computes what the pinyin and bigram steps need for every item (at catalogue load, so no request waits for it). */
export function warmUp(items: readonly Searchable[]): void {
  for (const p of indexOf(items).prepared) extraOf(p);
}

function bigrams(text: string): string[] {
  const chars = Array.from(text.replace(/[^\p{Script=Han}a-z0-9]/gu, ''));
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

// ───────────── scoring ─────────────

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
  if (officialFor(term).some((o) => item.keywords.includes(o))) return 350;
  const body = item.body;
  if (body.includes(term) || officialFor(term).some((o) => body.includes(o))) return 100;
  return 0;
}

type Scored<T> = Array<{ item: T; score: number }>;

/** Every term must match (the query as typed). */
function allTerms<T extends Searchable>(prepared: Prepared<T>[], terms: string[]): Scored<T> {
  const scored: Scored<T> = [];
  for (const p of prepared) {
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
  return scored;
}

/** Any term may match; everyday words weigh more than the words left over, and more matches rank higher. */
function anyTerms<T extends Searchable>(prepared: Prepared<T>[], words: string[], rest: string[]): Scored<T> {
  const scored: Scored<T> = [];
  for (const p of prepared) {
    let score = 0;
    for (const w of words) score += termScore(p as Prepared<Searchable>, w) * 1.5;
    for (const r of rest) {
      const s = termScore(p as Prepared<Searchable>, r);
      // a leftover word found only in the conditions says little about the item
      if (s > 100) score += s;
    }
    if (score > 0) scored.push({ item: p.item, score });
  }
  return scored;
}

/** Letters as pinyin (or a Chinese query read as pinyin): dictionary words that sound alike, then names and keywords. */
function byPinyin<T extends Searchable>(prepared: Prepared<T>[], letters: string): Scored<T> {
  if (letters.length < 2) return [];
  const dict = dictionaryByPinyin();
  const words = [...new Set([...(dict.full.get(letters) ?? []), ...(letters.length <= 4 ? (dict.initials.get(letters) ?? []) : [])])];
  const byWord = new Map<T, number>();
  if (words.length > 0) for (const { item, score } of anyTerms(prepared, words, [])) byWord.set(item, score);
  const scored: Scored<T> = [];
  for (const p of prepared) {
    const x = extraOf(p as Prepared<Searchable>);
    let score = byWord.get(p.item) ?? 0;
    const { full, initials } = x.namePinyin;
    if (letters.length >= 4 && full.includes(letters)) score = Math.max(score, full.startsWith(letters) ? 800 : 600);
    else if (initials === letters) score = Math.max(score, 900);
    else if (letters.length >= 3 && initials.startsWith(letters)) score = Math.max(score, 500);
    for (const k of x.keywordPinyin) {
      if (k.full === letters || (letters.length <= 4 && k.initials === letters)) score = Math.max(score, 450);
      else if (letters.length >= 4 && k.full.includes(letters)) score = Math.max(score, 300);
    }
    if (score > 0) scored.push({ item: p.item, score });
  }
  return scored;
}

/** Character pairs shared with the name and keywords; at least a third of the query's pairs must be found. */
function byBigrams<T extends Searchable>(prepared: Prepared<T>[], texts: string[]): Scored<T> {
  const wanted = [...new Set(texts.flatMap(bigrams))];
  if (wanted.length === 0) return [];
  const needed = Math.max(1, Math.ceil(wanted.length / 3));
  const scored: Scored<T> = [];
  for (const p of prepared) {
    const x = extraOf(p as Prepared<Searchable>);
    let hits = 0;
    let score = 0;
    for (const b of wanted) {
      if (!x.bigrams.has(b)) continue;
      hits++;
      score += p.name.includes(b) ? 3 : 2;
    }
    if (hits >= needed) scored.push({ item: p.item, score });
  }
  return scored;
}

function sorted<T extends Searchable>(scored: Scored<T>): T[] {
  scored.sort(
    (a, b) =>
      (b.item.personal ?? 1) - (a.item.personal ?? 1) ||
      b.score - a.score ||
      b.item.highFrequency - a.item.highFrequency ||
      a.item.name.length - b.item.name.length ||
      a.item.code.localeCompare(b.item.code),
  );
  return scored.map((s) => s.item);
}

function search<T extends Searchable>(prepared: Prepared<T>[], terms: string[]): T[] {
  // 1. as typed
  const exact = allTerms(prepared, terms);
  if (exact.length > 0) return sorted(exact);

  // 2. understood: fillers out, everyday words found inside
  const pieces = terms.flatMap(stripFillers);
  const words: string[] = [];
  const rest: string[] = [];
  for (const piece of pieces) {
    const found = findWords(piece);
    words.push(...found.words);
    rest.push(...found.rest.filter((r) => r.length >= 2));
  }
  const understood = pieces.join('') !== terms.join('') || words.length > 0 ? anyTerms(prepared, words, rest) : [];
  if (understood.length > 0) return sorted(understood);

  // 3. pinyin: typed letters, or Chinese read aloud (a homophone typo such as 低宝)
  const text = pieces.join('');
  const letters = /^[a-z]+$/.test(text) ? text : /\p{Script=Han}/u.test(text) ? pinyinOf(text).full : '';
  if (letters) {
    const sounds = byPinyin(prepared, letters);
    if (sounds.length > 0) return sorted(sounds);
  }

  // 4. character pairs
  return sorted(byBigrams(prepared, pieces));
}

/** Items for a query, best first (see the top of this file). */
export function rank<T extends Searchable>(items: readonly T[], q: string): T[] {
  const terms = queryTerms(q);
  if (terms.length === 0) return [];
  const idx = indexOf(items);
  const key = terms.join(' ');
  const cached = idx.results.get(key);
  if (cached) return cached;
  const result = search(idx.prepared, terms);
  if (idx.results.size >= RESULT_CACHE_SIZE) idx.results.delete(idx.results.keys().next().value as string);
  idx.results.set(key, result);
  return result;
}
