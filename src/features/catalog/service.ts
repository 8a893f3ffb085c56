import { NotFoundError } from '../../errors.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import type { CatalogRepo, EditableItem, ItemIndexRow, ServiceItem, ThemeCount } from './repo.js';
import { ITEM_TYPES } from './item-types.js';

export type { EditableItem } from './repo.js';
import { MAX_QUERY_LENGTH, rank, warmUp } from './search.js';
import { residentGuide, type Guide, type TownCentre } from './guide.js';

export const PAGE_SIZE = 20;

/**
 * Themes of the national list that are about running a business (设立变更 setting up and changing a
 * firm, 准营准办 licences to operate, 知识产权 intellectual property). The villager's theme list
 * leaves them out; they sit behind 「企业办事」.
 */
export const BUSINESS_THEMES: ReadonlySet<string> = new Set(['035', '040', '125']);

/**
 * What villagers apply for most, first on the 码上办 picker, in this order (by 事项名称, which is
 * unique in a catalogue): 低保, 高龄津贴, 城乡居民医保 (paying and joining), the pension's yearly
 * 资格认证, the two disability allowances, 户口 and 身份证.
 */
export const STAPLE_ITEMS: readonly string[] = [
  '最低生活保障',
  '80周岁以上老年人高龄津贴发放',
  '城乡居民基本医疗保险费缴纳',
  '城乡居民参保登记',
  '养老保险定期待遇领取资格认证',
  '困难残疾人生活补贴',
  '重度残疾人护理补贴',
  '户口登记',
  '户口迁移审批',
  '居民身份证办理（包括临时）',
];

const stapleRank = (r: ItemIndexRow) => {
  const i = STAPLE_ITEMS.indexOf(r.name);
  return i < 0 ? STAPLE_ITEMS.length : i;
};

export interface PickerGroup {
  code: string;
  name: string;
  items: ItemIndexRow[];
}

/** The 码上办 picker: the staples, then the rest by theme; or, for a search, what matched. */
export interface Picker {
  staples: ItemIndexRow[];
  groups: PickerGroup[];
  /** items matching the villager's words, best first; null when nothing was searched */
  found: ItemIndexRow[] | null;
}

export interface CatalogSearch {
  q?: string;
  theme?: string;
  online?: boolean;
  hf?: boolean;
  page?: number;
}

export interface CatalogResult {
  items: ItemIndexRow[];
  total: number;
  page: number;
  pages: number;
  /** the query as searched, after trimming to the maximum length */
  q: string;
  queryTooLong: boolean;
}

/** Everything the 码上查 list shows, read at one catalogue revision. */
export interface CatalogListing {
  /** what it was computed from: a new object whenever the district's catalogue changes (`edition`) */
  edition: object;
  result: CatalogResult;
  /** themes with published items */
  themes: ThemeCount[];
  themeGroups: { resident: ThemeCount[]; business: ThemeCount[] };
  /** published items */
  total: number;
}

interface SearchIndex {
  rows: ItemIndexRow[];
  themes: ThemeCount[];
  browseOrder: ItemIndexRow[];
  applicable: ItemIndexRow[];
}

/** A search of a district's published items, with the filters and the page asked. */
function searchIn({ rows, browseOrder }: SearchIndex, params: CatalogSearch): CatalogResult {
  const raw = params.q ?? '';
  const queryTooLong = Array.from(raw).length > MAX_QUERY_LENGTH;
  const q = Array.from(raw).slice(0, MAX_QUERY_LENGTH).join('');
  const matched = q ? rank(rows, q) : browseOrder;
  const filtered = matched.filter(
    (r) => (!params.theme || r.themeCode === params.theme) && (!params.online || r.fullyOnline === 1) && (!params.hf || r.highFrequency === 1),
  );
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, params.page ?? 1), pages);
  return {
    items: filtered.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    total: filtered.length,
    page,
    pages,
    q,
    queryTooLong,
  };
}

export function createCatalogService(repo: CatalogRepo, uow: UnitOfWork) {
  const build = async (districtId: number): Promise<SearchIndex> => {
    const rows = await repo.indexRows(districtId);
    const browseOrder = rows
      .slice()
      .sort(
        (a, b) =>
          stapleRank(a) - stapleRank(b) ||
          b.highFrequency - a.highFrequency ||
          b.personal - a.personal ||
          a.themeCode.localeCompare(b.themeCode) ||
          a.code.localeCompare(b.code),
      );
    const applicable = rows
      .filter((r) => r.canApply === 1 && r.highFrequency === 1)
      .sort((a, b) => a.themeCode.localeCompare(b.themeCode) || a.code.localeCompare(b.code));
    // Pinyin and character pairs of every name, once per revision rather than on a request.
    warmUp(rows);
    warmUp(applicable);
    return { rows, themes: await repo.themes(districtId), browseOrder, applicable };
  };
  // A district's published items are few (hundreds) and read on every search: keep each district's in
  // memory, loaded on first use, and reload when the catalogue's revision (bumped by triggers on any
  // write, from any process) moves or the themes are saved. The load is shared by the requests that
  // wait for it; a failed one is dropped so the next request tries again. Searching stays in memory.
  const cache = new Map<number, { rev: number; index: Promise<SearchIndex> }>();
  const current = async (districtId: number): Promise<SearchIndex> => {
    const rev = await repo.revision();
    let entry = cache.get(districtId);
    if (!entry || entry.rev !== rev) {
      const index = build(districtId);
      const made = { rev, index };
      entry = made;
      cache.set(districtId, made);
      index.catch(() => {
        if (cache.get(districtId) === made) cache.delete(districtId);
      });
    }
    return entry.index;
  };

  return {
    /** Items with these codes, published or not, with every field (for the editor and imports). */
    editableItems: (districtId: number, codes: string[]): Promise<EditableItem[]> => repo.editableByCodes(districtId, codes),
    /** Every item of a district with every field, by code (the export). */
    allEditableItems: (districtId: number): Promise<EditableItem[]> => repo.allEditable(districtId),
    /** Writes a district's items on their codes, each with its materials, fees and questions, all or none; no other district's. */
    async saveItems(districtId: number, items: EditableItem[]): Promise<void> {
      await uow.run(async () => {
        for (const item of items) await repo.upsertEditable(districtId, item, ITEM_TYPES[item.typeCode]);
      });
    },
    /** The themes (主题分类) items are filed under, in the order villagers see them; codes are kept. */
    async saveThemes(list: ReadonlyArray<{ code: string; name: string }>): Promise<void> {
      await uow.run(() => repo.saveThemes(list));
      cache.clear();
    },
    async themes(districtId: number): Promise<ThemeCount[]> {
      return (await current(districtId)).themes.filter((t) => t.count > 0);
    },
    /** The villager's themes, and the business ones (企业办事) kept apart. */
    async themeGroups(districtId: number): Promise<{ resident: ThemeCount[]; business: ThemeCount[] }> {
      const all = (await current(districtId)).themes.filter((t) => t.count > 0);
      return { resident: all.filter((t) => !BUSINESS_THEMES.has(t.code)), business: all.filter((t) => BUSINESS_THEMES.has(t.code)) };
    },
    async total(districtId: number): Promise<number> {
      return (await current(districtId)).rows.length;
    },
    async search(districtId: number, params: CatalogSearch): Promise<CatalogResult> {
      return searchIn(await current(districtId), params);
    },
    /** The list page's contents: a search and the district's themes and count, at one revision (read once). */
    async listing(districtId: number, params: CatalogSearch): Promise<CatalogListing> {
      const index = await current(districtId);
      const themes = index.themes.filter((t) => t.count > 0);
      return {
        edition: index,
        result: searchIn(index, params),
        themes,
        themeGroups: { resident: themes.filter((t) => !BUSINESS_THEMES.has(t.code)), business: themes.filter((t) => BUSINESS_THEMES.has(t.code)) },
        total: index.rows.length,
      };
    },
    /**
     * What a district's listings are computed from now: the same object until its catalogue changes
     * (any write to it, from any process, or the themes saved), a new one after. A page kept from
     * a listing (its `edition`) is current while this hands out that same object.
     */
    edition: (districtId: number): Promise<object> => current(districtId),
    /** An item that can be applied for through 码上办, or undefined. */
    async applicableItem(districtId: number, code: string): Promise<ServiceItem | undefined> {
      if (!/^[0-9A-Za-z]{6,40}$/.test(code)) return undefined;
      const item = await repo.getByCode(districtId, code);
      return item?.canApply ? item : undefined;
    },
    /** Every published item that can be applied for, by theme and code, with its theme's name (Open311's services). */
    async applicableItems(districtId: number): Promise<Array<ItemIndexRow & { themeName: string }>> {
      const { rows, themes } = await current(districtId);
      const names = new Map(themes.map((th) => [th.code, th.name]));
      return rows
        .filter((r) => r.canApply === 1)
        .sort((a, b) => a.themeCode.localeCompare(b.themeCode) || a.code.localeCompare(b.code))
        .map((r) => ({ ...r, themeName: names.get(r.themeCode) ?? '' }));
    },
    /** The picker on 码上办: high-frequency items that can be applied for; the staples first. */
    async picker(districtId: number, q: string): Promise<Picker> {
      const { applicable, themes } = await current(districtId);
      const text = Array.from(q).slice(0, MAX_QUERY_LENGTH).join('');
      if (text.trim()) return { staples: [], groups: [], found: rank(applicable, text) };
      const staples = STAPLE_ITEMS.map((name) => applicable.find((r) => r.name === name)).filter((r): r is ItemIndexRow => r !== undefined);
      const rest = applicable.filter((r) => !staples.includes(r));
      const groups = themes
        .map((th) => ({ code: th.code, name: th.name, items: rest.filter((r) => r.themeCode === th.code) }))
        .filter((g) => g.items.length > 0);
      return { staples, groups, found: null };
    },
    /** Items for the back office, published or not, by name or code (first 100). */
    adminList: (districtId: number, q: string) => repo.adminList(districtId, q),
    /** An item's guide in plain words, with the villager's own 便民服务中心 when known. */
    async guide(districtId: number, code: string, centre: TownCentre | null): Promise<Guide> {
      const item = await repo.getByCode(districtId, code);
      if (!item) throw new NotFoundError('service item');
      return residentGuide(item, centre);
    },
    async item(districtId: number, code: string): Promise<ServiceItem> {
      const item = await repo.getByCode(districtId, code);
      if (!item) throw new NotFoundError('service item');
      return item;
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
