import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDb } from '../../src/db/index.js';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { onPostgres } from '../helpers/engine.js';
import { seededFile, tempDirs } from '../helpers/files.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { jpegWithGps } from '../helpers/images.js';

const dirs = tempDirs();
afterEach(() => {
  vi.restoreAllMocks();
  dirs.cleanUp();
});

// The database file's journal and sync, and the file's rows seen from fsync: the SQLite engine only
// (vitest.config.ts leaves this file out of the PostgreSQL run too).
describe.runIf(!onPostgres)('a receipt is shown only for what is on disk', () => {
  it('opens a file database in WAL with synchronous = FULL, so every commit syncs the WAL', () => {
    const db = openDb(path.join(dirs.make(), 'm.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL; NORMAL (1) may lose the last commits to a power cut
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('syncs each photo file and the photos folder before the case that names them is committed', async () => {
    const dir = dirs.make();
    const dataDir = path.join(dir, 'data');
    const db = seededFile(path.join(dir, 'm.sqlite'));
    const { app, sql } = buildApp({ db, config: { dataDir } });
    const photosDir = path.join(dataDir, 'photos');
    const synced: Array<{ target: string; cases: number }> = [];
    const fsync = fs.fsyncSync;
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      synced.push({ target, cases: db.prepare('SELECT count(*) FROM cases').pluck().get() as number });
      fsync(fd);
    });
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'complaint', content: '村东头路灯坏了半个月了', name: '王建国', phone: '13812345678', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
      [{ name: 'lamp.jpg', data: await jpegWithGps() }],
    ).expect(303);
    const photo = db.prepare('SELECT file_name FROM case_photos').pluck().get() as string;
    const file = synced.find((s) => s.target === path.join(photosDir, photo));
    const folder = synced.find((s) => s.target === photosDir);
    expect(file).toEqual({ target: path.join(photosDir, photo), cases: 0 });
    expect(folder).toEqual({ target: photosDir, cases: 0 });
    expect(synced.indexOf(folder!)).toBeGreaterThan(synced.indexOf(file!));
  });
});
