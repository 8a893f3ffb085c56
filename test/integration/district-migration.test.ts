import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationsDir, openDb } from '../../src/db/index.js';
import { migratePostgres } from '../../src/db/migrate-postgres.js';

/**
 * Migration 018 moves a single-district installation into the many-district model with nothing
 * lost: every row stays, catalogue items keep their ids (cases, materials and FAQs still point at
 * them) and belong to the one district, administrators become city administrators (they saw
 * everything and still do), everyone and everything else gets the district there was.
 */
const url = process.env.MASHANG_TEST_DATABASE_URL;
if (!url) console.warn('PostgreSQL part of the district migration test not run: MASHANG_TEST_DATABASE_URL is not set');

const BEFORE = `
INSERT INTO districts (id, code, name) VALUES (1, '370812', '兖州区');
INSERT INTO towns (id, district_id, code, name) VALUES (1, 1, '370812103', '颜店镇');
INSERT INTO villages (id, town_id, code, name) VALUES (1, 1, '370812103001', '甲村');
INSERT INTO catalog_themes (code, name, sort) VALUES ('085', '社会保障', 0);
INSERT INTO catalog_items (id, code, impl_code, name, type_code, type_name, theme_code, level, basis, department, department_code, handling_type, target,
  conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms, process, place, hours, consult_phone,
  complaint_phone, online, online_depth, appointment, express, scope, can_apply)
VALUES (7, '000000000001', '37081200000000001', '最低生活保障', '10', '公共服务', '085', '县级', '依据', '民政局', '1', '即办件', '自然人', '条件', 20, '工作日', 10,
  '工作日', 0, 0, '窗口办理', '[]', '大厅', '工作日', '0537-1', '0537-2', 1, 2, 0, 0, '全区通办', 1);
INSERT INTO catalog_materials (item_id, seq, name, necessity, form, source, copies) VALUES (7, 0, '身份证', '必要', '原件', '申请人', 1);
INSERT INTO catalog_faqs (item_id, seq, question, answer) VALUES (7, 0, '问', '答');
INSERT INTO cadres (id, name, role, phone) VALUES (3, '王', 'grid_worker', '19955550031');
INSERT INTO cadre_villages (cadre_id, village_id) VALUES (3, 1);
INSERT INTO users (id, username, display_name, password_hash, role) VALUES (1, 'admin', '管理员', 'x', 'admin');
INSERT INTO users (id, username, display_name, password_hash, role, cadre_id) VALUES (2, 'wang', '王', 'x', 'cadre', 3);
INSERT INTO user_scopes (user_id, level, code) VALUES (1, 'district', '370812');
INSERT INTO api_keys (id, name, key_hash, prefix, created_at) VALUES (1, '12345', 'h', 'p', '2026-01-01T00:00:00.000Z');
INSERT INTO audit_log (at, user_id, action) VALUES ('2026-01-01T00:00:00.000Z', 1, 'user_added');
`;

const CHECKS: Array<[string, unknown[]]> = [
  ["SELECT code || ':' || name || ':' || hotline FROM districts", ['370812:兖州区:12345']],
  ["SELECT id || ':' || district_id || ':' || name FROM catalog_items", ['7:1:最低生活保障']],
  ['SELECT count(*) FROM catalog_materials WHERE item_id = 7', [1]],
  ['SELECT count(*) FROM catalog_faqs WHERE item_id = 7', [1]],
  ["SELECT username || ':' || coalesce(CAST(district_id AS text), 'city') FROM users ORDER BY id", ['admin:city', 'wang:1']],
  ['SELECT district_id FROM cadres', [1]],
  ['SELECT DISTINCT district_id FROM reply_templates', [1]],
  ['SELECT count(*) FROM reply_templates', [6]],
  ['SELECT district_id FROM api_keys', [1]],
  ['SELECT district_id FROM audit_log', [1]],
  ["SELECT level || ':' || code FROM user_scopes", ['district:370812']],
];

const dirs: string[] = [];
afterAll(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
/** A folder with the migrations before 018 from `from`. */
function before018(from: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-018-'));
  dirs.push(dir);
  for (const f of fs.readdirSync(from).filter((f) => /^\d{3}_.*\.sql$/.test(f) && f < '018')) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  return dir;
}

describe('migration 018: one district becomes the first of many, with nothing lost', () => {
  it('on SQLite, an installation whose import had made two districts: users and templates go to their places’ district', () => {
    const db = openDb(':memory:');
    migrate(db, before018(migrationsDir));
    db.exec(BEFORE);
    db.exec(`INSERT INTO districts (id, code, name) VALUES (2, '370881', '曲阜市');
      INSERT INTO towns (id, district_id, code, name) VALUES (2, 2, '370881001', '鲁城街道');
      INSERT INTO users (id, username, display_name, password_hash, role) VALUES (3, 'lu', '鲁', 'x', 'staff');
      INSERT INTO user_scopes (user_id, level, code) VALUES (3, 'town', '370881001');
      INSERT INTO reply_templates (title, body, created_at, town_code) VALUES ('鲁城', '您好', '2026-01-01T00:00:00.000Z', '370881001');`);
    migrate(db);
    expect(db.prepare("SELECT district_id FROM users WHERE username = 'lu'").pluck().get()).toBe(2);
    expect(db.prepare("SELECT district_id FROM users WHERE username = 'wang'").pluck().get()).toBe(1);
    expect(db.prepare("SELECT district_id FROM reply_templates WHERE title = '鲁城'").pluck().get()).toBe(2);
    expect(db.prepare('SELECT count(*) FROM reply_templates WHERE district_id = 1').pluck().get()).toBe(6);
  });

  it('on SQLite, a new installation’s shipped templates go to its first district only; a city-wide template stays the city’s', () => {
    const db = openDb(':memory:');
    migrate(db);
    expect(db.prepare('SELECT count(*) FROM reply_templates WHERE district_id IS NULL').pluck().get()).toBe(6);
    db.exec("INSERT INTO districts (id, code, name) VALUES (1, '370812', '兖州区')");
    expect(db.prepare('SELECT count(*) FROM reply_templates WHERE district_id = 1').pluck().get()).toBe(6);
    db.exec("INSERT INTO reply_templates (title, body, created_at) VALUES ('全市通用', '您好', '2026-01-01T00:00:00.000Z')");
    db.exec("INSERT INTO districts (id, code, name) VALUES (2, '370881', '曲阜市')");
    expect(db.prepare("SELECT district_id FROM reply_templates WHERE title = '全市通用'").pluck().get()).toBeNull();
    expect(db.prepare('SELECT count(*) FROM reply_templates WHERE district_id = 2').pluck().get()).toBe(0);
  });

  it('on SQLite (the catalogue table rebuilt with foreign keys checked)', () => {
    const db = openDb(':memory:');
    migrate(db, before018(migrationsDir));
    db.exec(BEFORE);
    expect(migrate(db)).toContain('018_districts.sql');
    for (const [query, expected] of CHECKS) expect(db.prepare(query).pluck().all(), query).toEqual(expected);
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    // an item's code and name are now unique in its district only
    db.exec("INSERT INTO districts (id, code, name) VALUES (2, '370881', '曲阜市')");
    db.exec(`INSERT INTO catalog_items (district_id, code, impl_code, name, type_code, type_name, theme_code, level, basis, department, department_code,
      handling_type, target, conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms, process, place, hours,
      consult_phone, complaint_phone, online, online_depth, appointment, express, scope)
      SELECT 2, code, '37088100000000001', name, type_code, type_name, theme_code, level, basis, department, department_code, handling_type, target,
      conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms, process, place, hours, consult_phone,
      complaint_phone, online, online_depth, appointment, express, scope FROM catalog_items WHERE id = 7`);
    expect(() => db.exec('UPDATE catalog_items SET district_id = 1 WHERE district_id = 2')).toThrow(/UNIQUE/);
  });

  it.skipIf(!url)('on PostgreSQL', async () => {
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    const schema = `t_018_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 1 });
    try {
      await migratePostgres(pool, before018(path.join(migrationsDir, 'postgres')));
      await pool.query(BEFORE);
      expect(await migratePostgres(pool)).toContain('018_districts.sql');
      for (const [query, expected] of CHECKS) {
        const rows = (await pool.query(query)).rows.map((r: Record<string, unknown>) => Object.values(r)[0]);
        expect(
          rows.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)),
          query,
        ).toEqual(expected);
      }
    } finally {
      await pool.end();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
