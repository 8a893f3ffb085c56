import { describe, expect, it } from 'vitest';
import { demoCatalog } from '../helpers/demo-data.js';
import { EVERYDAY_WORDS, findWords, parseEverydayWords, pinyinOf, queryTerms, rank, stripFillers, type Searchable } from '../../src/features/catalog/search.js';

const item = (name: string, o: Partial<Searchable> = {}): Searchable => ({
  name,
  keywords: '',
  body: '',
  highFrequency: 0,
  code: name,
  ...o,
});

const catalog = demoCatalog().map((i) => ({
  name: i.name,
  keywords: i.keywords,
  body: i.conditions + ' ' + i.materials.map((m) => m.name).join(' '),
  highFrequency: i.highFrequency ? 1 : 0,
  code: i.code,
}));

describe('catalogue search ranking', () => {
  it('低保 → 最低生活保障 first, over the demo catalogue', () => {
    expect(rank(catalog, '低保')[0]?.name).toBe('最低生活保障');
  });

  it('two-character queries match inside names', () => {
    const found = rank(catalog, '医保').map((i) => i.name);
    expect(found.length).toBeGreaterThan(3);
    expect(found[0]).toMatch(/医保|医疗保障|医疗保险/);
    expect(rank(catalog, '户口').every((i) => i.name.includes('户口') || i.keywords.includes('户口') || i.body.includes('户口'))).toBe(true);
  });

  it('a name match ranks above a keyword match, which ranks above a match in conditions or materials', () => {
    const items = [item('残疾人证新办', { body: '需提供户口簿' }), item('户口登记'), item('居住证办理', { keywords: '户口' })];
    expect(rank(items, '户口').map((i) => i.name)).toEqual(['户口登记', '居住证办理', '残疾人证新办']);
  });

  it('an exact name beats a name that starts with it, which beats one that contains it', () => {
    const items = [item('办理户口迁移'), item('户口迁移审批'), item('户口迁移')];
    expect(rank(items, '户口迁移').map((i) => i.name)).toEqual(['户口迁移', '户口迁移审批', '办理户口迁移']);
  });

  it('every word of a multi-word query must match', () => {
    const items = [item('城乡居民基本养老保险参保登记'), item('城乡居民参保登记'), item('失业登记')];
    expect(rank(items, '养老 登记').map((i) => i.name)).toEqual(['城乡居民基本养老保险参保登记']);
  });

  it('words that are names of object properties are just words', () => {
    for (const q of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(() => rank(catalog, q)).not.toThrow();
  });

  it('nothing matches nothing, and an empty query finds nothing', () => {
    expect(rank(catalog, '火星移民')).toEqual([]);
    expect(rank(catalog, '   ')).toEqual([]);
  });

  it('query terms are normalised: full-width spaces and punctuation split, letters lower-cased', () => {
    expect(queryTerms('  医保\u3000报销，ＡＢ ')).toEqual(['医保', '报销', 'ab']);
  });

  it('question and filler words are dropped, leaving what the villager asks about', () => {
    expect(stripFillers('我想问一下怎么办理低保呀')).toEqual(['低保']);
    expect(stripFillers('我家老人八十多岁了能领什么补贴')).toEqual(['老人八十多岁', '补贴']);
  });

  it('everyday words are found inside a sentence, longest first', () => {
    expect(findWords('儿子上户口')).toEqual({ words: ['上户口'], rest: ['儿子'] });
    expect(findWords('身份证丢了').words[0]).toBe('身份证丢了');
  });

  it('pinyin is toneless, whole and by initials', () => {
    expect(pinyinOf('最低生活保障')).toEqual({ full: 'zuidishenghuobaozhang', initials: 'zdshbz' });
    expect(pinyinOf('80周岁').full).toBe('zhousui');
  });

  it('a later item for an organisation does not outrank one for individuals', () => {
    const items = [item('医保定点', { personal: 0 }), item('医保卡补办', { personal: 1 })];
    expect(rank(items, '医保').map((i) => i.name)).toEqual(['医保卡补办', '医保定点']);
  });
});

describe('the everyday-word dictionary', () => {
  it('has at least 150 words', () => {
    expect(EVERYDAY_WORDS.size).toBeGreaterThanOrEqual(150);
  });

  it('every official term it names is in some item name or keyword of the demo catalogue', () => {
    const hay = demoCatalog().map((i) => `${i.name} ${i.keywords}`.toLowerCase());
    const missing = [...EVERYDAY_WORDS].flatMap(([w, terms]) => terms.filter((t) => !hay.some((h) => h.includes(t))).map((t) => `${w}: ${t}`));
    expect(missing).toEqual([]);
  });

  it('a line without a colon is an error, comments and blank lines are skipped', () => {
    expect(parseEverydayWords('# note\n\n低保: 最低生活保障、低保\n').get('低保')).toEqual(['最低生活保障', '低保']);
    expect(() => parseEverydayWords('低保 最低生活保障')).toThrow(/colon/);
  });
});
