import { describe, expect, it } from 'vitest';
import { translator } from '../../src/i18n/index.js';

describe('i18n', () => {
  it('fills parameters', () => {
    expect(translator()('catalog.results', { count: 3 })).toBe('找到 3 项');
  });
  it('an unknown key throws rather than showing a key to a villager', () => {
    expect(() => translator()('no.such.key')).toThrow(/no.such.key/);
  });
  it('English falls back to Chinese for what it lacks', () => {
    const en = translator('en');
    expect(en('flows.help')).toBe('Help');
    expect(en('plate.replacedTitle')).toBe('此门牌已更换');
  });
});
