import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { buildCatalog } from '../../db/seed/catalog.js';
import { buildDistrict } from '../../db/seed/district.js';
import { calendar2026 } from '../../db/seed/calendar.js';
import { THEMES } from '../../db/seed/themes.js';
import { projectRoot } from '../../src/db/index.js';
import { seedDemo } from '../../src/features/seed/service.js';
import { emptyDb } from '../helpers/db.js';

/** The real item names of DOMAIN.md, kept in a fixture so the test runs without shared/. */
function domainRealNames(): string[] {
  return fs
    .readFileSync(path.join(projectRoot, 'test', 'fixtures', 'domain-real-items.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
}

/** The same list read from DOMAIN.md itself, where the document is beside the project. */
function namesInDomainDoc(): string[] | undefined {
  const file = path.join(projectRoot, '..', 'shared', 'DOMAIN.md');
  if (!fs.existsSync(file)) return undefined;
  const section = fs.readFileSync(file, 'utf8').split('## Real high-frequency items for individuals')[1]!.split('\n## ')[0]!;
  const names: string[] = [];
  for (const line of section.split('\n- ').slice(1)) {
    const body = line.replace(/\n\s+/g, '').split(': ').slice(1).join(': ');
    for (const name of body.split(';')) if (name.trim()) names.push(name.trim());
  }
  return names;
}

describe('demo catalogue', () => {
  const catalog = buildCatalog();

  it('holds exactly 862 items with unique names, codes and implementation codes', () => {
    expect(catalog).toHaveLength(862);
    expect(new Set(catalog.map((i) => i.name)).size).toBe(862);
    expect(new Set(catalog.map((i) => i.code)).size).toBe(862);
    expect(new Set(catalog.map((i) => i.implCode)).size).toBe(862);
    for (const i of catalog) expect(i.code, i.name).toHaveLength(12);
  });

  it('holds every real item name from DOMAIN.md, fully filled and high-frequency', () => {
    const names = domainRealNames();
    expect(names.length).toBe(72);
    expect(namesInDomainDoc() ?? names).toEqual(names);
    const byName = new Map(catalog.map((i) => [i.name, i]));
    for (const name of names) {
      const item = byName.get(name);
      expect(item, name).toBeDefined();
      expect(item!.materials.length, name).toBeGreaterThan(0);
      expect(item!.process.length, name).toBeGreaterThanOrEqual(3);
      expect(item!.highFrequency, name).toBe(true);
    }
  });

  it('has at least 60 high-frequency items that can be applied for, none of them enforcement', () => {
    const applicable = catalog.filter((i) => i.highFrequency && i.canApply);
    expect(applicable.length).toBeGreaterThanOrEqual(60);
    expect(catalog.filter((i) => i.canApply && ['02', '03', '06'].includes(i.typeCode))).toEqual([]);
  });

  it('fills every field plausibly and reads like a real catalogue', () => {
    const themeCodes = new Set(THEMES.map((t) => t.code));
    for (const i of catalog) {
      expect(i.name, i.code).not.toMatch(/测试|示例|事项\d|XX|某某|\(\d+\)|（\d+）|placeholder/i);
      expect(themeCodes.has(i.themeCode), i.name).toBe(true);
      for (const field of ['typeName', 'level', 'basis', 'department', 'departmentCode', 'conditions', 'forms', 'place', 'hours', 'consultPhone', 'complaintPhone', 'scope', 'target'] as const) {
        expect(i[field].trim(), `${i.name}.${field}`).not.toBe('');
      }
      expect(i.legalLimit, i.name).toBeGreaterThan(0);
      expect(i.promisedLimit, i.name).toBeLessThanOrEqual(i.legalLimit);
      expect(i.process.length, i.name).toBeGreaterThan(0);
      expect(i.materials.length, i.name).toBeGreaterThan(0);
      if (i.charged) expect(i.fees.length, i.name).toBeGreaterThan(0);
      // an online address, where given, is the item's own page, never a portal's home page
      for (const u of [i.pcUrl, i.mobileUrl]) if (u) expect(new URL(u).pathname.replace(/\/(m\/?)?$/, ''), i.name).not.toBe('');
    }
    for (const code of themeCodes) expect(catalog.filter((i) => i.themeCode === code).length, code).toBeGreaterThanOrEqual(3);
  });

  it('is the same every time', () => {
    expect(buildCatalog()).toEqual(catalog);
  });
});

describe('demo district', () => {
  const district = buildDistrict();

  it('is 兖州区 with its 10 real townships', () => {
    expect(district.code).toBe('370812');
    expect(district.towns.map((t) => `${t.code} ${t.name}`)).toEqual([
      '370812001 鼓楼街道',
      '370812003 龙桥街道',
      '370812006 酒仙桥街道',
      '370812007 兴隆庄街道',
      '370812101 大安镇',
      '370812102 新驿镇',
      '370812103 颜店镇',
      '370812105 新兖镇',
      '370812107 漕河镇',
      '370812111 小孟镇',
    ]);
  });

  it('has at least 3 villages per township including the named ones, and 30–150 households each', () => {
    const named = ['新兖镇 道义社区', '新兖镇 泗庄社区', '颜店镇 天齐庙村', '颜店镇 屯二村', '颜店镇 史村', '漕河镇 管口新村'];
    const all = district.towns.flatMap((t) => t.villages.map((v) => `${t.name} ${v.name}`));
    for (const n of named) expect(all).toContain(n);
    for (const town of district.towns) {
      expect(town.villages.length).toBeGreaterThanOrEqual(3);
      for (const v of town.villages) {
        expect(v.code.startsWith(town.code) && v.code.length === 12, v.name).toBe(true);
        expect(v.households.length, v.name).toBeGreaterThanOrEqual(30);
        expect(v.households.length, v.name).toBeLessThanOrEqual(150);
        expect(new Set(v.households.map((h) => h.address)).size).toBe(v.households.length);
      }
    }
  });

  it('gives 史村 its 12 lanes', () => {
    const shi = district.towns.flatMap((t) => t.villages).find((v) => v.name === '史村')!;
    const lanes = new Set(shi.households.map((h) => /^(\d+)胡同/.exec(h.address)?.[1]));
    expect([...lanes].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
  });

  it('has 2–5 fictional cadres per village, all five roles, and only unreal phone numbers', () => {
    const roles = new Set<string>();
    const phones: string[] = [];
    for (const town of district.towns) {
      for (const v of town.villages) {
        const serving = v.cadres.length + town.townCadres.filter((c) => c.villageCodes.includes(v.code)).length;
        expect(serving, v.name).toBeGreaterThanOrEqual(2);
        expect(serving, v.name).toBeLessThanOrEqual(5);
        for (const c of v.cadres) roles.add(c.role);
        phones.push(...v.cadres.map((c) => c.phone), ...v.households.flatMap((h) => (h.contactPhone ? [h.contactPhone] : [])));
      }
      for (const c of town.townCadres) {
        roles.add(c.role);
        phones.push(c.phone);
      }
    }
    expect(roles).toEqual(new Set(['first_secretary', 'party_secretary', 'committee_director', 'town_cadre', 'grid_worker']));
    for (const p of phones) expect(p).toMatch(/^1990000\d{4}$/);
    expect(new Set(phones).size).toBe(phones.length);
  });

  it('is the same every time', () => {
    expect(buildDistrict()).toEqual(district);
  });
});

describe('seeding the demo', () => {
  const dump = (key: string) => {
    const db = emptyDb();
    const started = Date.now();
    const counts = seedDemo(db, { tokenKey: key });
    const ms = Date.now() - started;
    const tables = ['districts', 'towns', 'villages', 'households', 'plates', 'cadres', 'cadre_villages', 'catalog_items', 'catalog_materials', 'catalog_fees', 'catalog_faqs', 'calendar_days'];
    const rows = Object.fromEntries(
      tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all().map((r) => ({ ...(r as object), issued_at: undefined, created_at: undefined, updated_at: undefined }))]),
    );
    db.close();
    return { counts, ms, rows };
  };

  it('writes the same rows for the same key, in well under 10 seconds', () => {
    const a = dump('k');
    const b = dump('k');
    expect(a.rows).toEqual(b.rows);
    expect(a.counts.items).toBe(862);
    expect(a.counts.villages).toBeGreaterThanOrEqual(30);
    expect(a.ms).toBeLessThan(10_000);
  });

  it('gives other plate tokens for another key', () => {
    const a = dump('k1').rows.plates as unknown as Array<{ token: string }>;
    const b = dump('k2').rows.plates as unknown as Array<{ token: string }>;
    expect(a[0]!.token).not.toBe(b[0]!.token);
  });

  it('writes nothing when any row fails', () => {
    const db = emptyDb();
    const catalog = buildCatalog();
    const broken = [...catalog, { ...catalog[0]! }]; // a duplicate name fails at the very end
    expect(() => seedDemo(db, { tokenKey: 'k', catalog: broken })).toThrow();
    expect(db.prepare('SELECT count(*) FROM households').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM catalog_items').pluck().get()).toBe(0);
  });

  it('seeds the 2026 official calendar', () => {
    const days = calendar2026();
    expect(days.filter((d) => d.kind === 'holiday')).toHaveLength(3 + 9 + 3 + 5 + 3 + 3 + 7);
    expect(days.filter((d) => d.kind === 'workday').map((d) => d.date)).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
  });
});
