import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsDir, openDb } from '../../src/db/index.js';
import { createHealth } from '../../src/db/health.js';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { damagePage, seededFile, tempDirs } from '../helpers/files.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanUp());

const latestMigration = () =>
  fs
    .readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .at(-1);

describe('GET /healthz checks that the database can be used, not only that it answers', () => {
  it('when the database takes writes and has every migration, then 200 with the schema version', async () => {
    const dir = dirs.make();
    const { app } = buildApp({ db: seededFile(path.join(dir, 'm.sqlite')) });
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', schema: latestMigration() });
  });

  it('when the database file is read-only (SQLite then opens it read-only), then 503 not_writable', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'm.sqlite');
    seededFile(file).close();
    // (a running installation has its secret stored already)
    const { app } = buildApp({ db: openDb(file, { readonly: true }), config: { secret: 's'.repeat(32) } });
    // pages still read fine, which is why a read-only check alone said ok
    const h = demoHousehold(openDb(file, { readonly: true }));
    await request(app).get(`/p/${h.token}`).expect(200);
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'not_writable' });
  });

  it('when a submission meets a damaged page of the database, then the submission fails and /healthz turns 503', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'm.sqlite');
    const seeded = seededFile(file);
    const casesRoot = seeded.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'cases'").pluck().get() as number;
    seeded.close();
    damagePage(file, casesRoot);
    const db = openDb(file);
    const { app } = buildApp({ db, config: { dataDir: dirs.make() } });
    await request(app).get('/healthz').expect(200);
    const h = demoHousehold(db);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '村东头路灯坏了半个月了',
      name: '王建国',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(500);
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'storage_error' });
  });

  it('when a migration is missing from the database, then 503 schema', async () => {
    const { app, db } = buildApp();
    db.prepare('DELETE FROM schema_migrations WHERE name = ?').run(latestMigration());
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'schema' });
  });

  it('probes the database at most once in its cache period, so a busy monitor adds no load', () => {
    const { db } = buildApp();
    let t = 0;
    let probes = 0;
    const pragma = db.pragma.bind(db);
    db.pragma = ((source: string, options?: { simple?: boolean }) => {
      if (source.startsWith('user_version =')) probes++;
      return pragma(source, options);
    }) as typeof db.pragma;
    const health = createHealth(db, { ttlMs: 5000, now: () => t });
    for (let i = 0; i < 10; i++) expect(health.check().ok).toBe(true);
    t = 5000;
    health.check();
    expect(probes).toBe(2);
  });
});
