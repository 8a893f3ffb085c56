import { zhCN } from './zh-CN.js';
import { en } from './en.js';

export type Messages = typeof zhCN;
export type Locale = 'zh-CN' | 'en';
export type Translate = (key: string, params?: Record<string, string | number>) => string;

const dictionaries: Record<Locale, unknown> = { 'zh-CN': zhCN, en };

function lookup(dict: unknown, key: string): unknown {
  let node: unknown = dict;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Returns a translator; an unknown key throws so that a typo fails a test rather than showing a key to a villager. */
export function translator(locale: Locale = 'zh-CN'): Translate {
  const memo = new Map<string, unknown>();
  return (key, params) => {
    let found = memo.get(key);
    if (found === undefined) {
      found = lookup(dictionaries[locale], key) ?? lookup(zhCN, key);
      if (typeof found === 'string') memo.set(key, found);
    }
    if (typeof found !== 'string') throw new Error(`Missing message: ${key}`);
    if (!params) return found;
    return found.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  };
}

export const t = translator('zh-CN');
