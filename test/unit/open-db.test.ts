import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDb, type Db } from '../../src/db/index.js';

describe('openDb: the settings of a connection to a SQLite file', () => {
  const opened: Db[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-open-'));
    dirs.push(dir);
    const f = path.join(dir, 'db.sqlite');
    const db = openDb(f);
    migrate(db);
    db.close();
    return f;
  };
  const open = (...args: Parameters<typeof openDb>) => {
    const db = openDb(...args);
    opened.push(db);
    return db;
  };

  it('the server’s connections keep a 64 MB page cache and a 256 MB memory map; a lean one (an export’s) SQLite’s default cache and no map', () => {
    const f = file();
    const server = open(f);
    expect(server.pragma('cache_size', { simple: true })).toBe(-64 * 1024);
    expect(server.pragma('mmap_size', { simple: true })).toBe(256 * 1024 * 1024);
    expect(server.pragma('journal_mode', { simple: true })).toBe('wal');
    const lean = open(f, { readonly: true, lean: true });
    // SQLite's default as better-sqlite3 builds it: 16 MB at most
    expect(lean.pragma('cache_size', { simple: true })).toBeGreaterThanOrEqual(-16_000);
    expect(lean.pragma('mmap_size', { simple: true })).toBe(0);
    expect(lean.readonly).toBe(true);
    // both read the same data
    expect(lean.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual(server.prepare('SELECT count(*) AS n FROM schema_migrations').get());
  });
});
