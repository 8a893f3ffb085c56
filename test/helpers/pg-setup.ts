import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { testConfig } from '../../src/config.js';
import { postgresDatabase, postgresPool } from '../../src/db/database.js';
import { migratePostgres } from '../../src/db/migrate-postgres.js';
import { seedDemo } from '../../src/features/seed/service.js';
import { createServices } from '../../src/services.js';
import { urlWithDatabase } from './engine.js';
import { TEST_TOKEN_KEY } from './seed-image.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the PostgreSQL database every test app's database is copied from: migrated and seeded with the demo */
    pgTemplate: string;
    /** the same, migrated only */
    pgEmptyTemplate: string;
    /** the prefix of this run's databases, so the run drops exactly its own */
    pgRunTag: string;
  }
}

/**
 * The PostgreSQL run's templates (vitest globalSetup, only when MASHANG_TEST_ENGINE=postgres): the
 * schema and the demo are made once through the real migrations and import; each app copies them.
 * Every database this run made is dropped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.MASHANG_TEST_DATABASE_URL;
  if (!url) throw new Error('MASHANG_TEST_ENGINE=postgres needs MASHANG_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const empty = `mashang_empty_${tag}`;
  const seeded = `mashang_tpl_${tag}`;
  await admin.query(`CREATE DATABASE ${empty}`);
  const emptyPool = postgresPool(urlWithDatabase(url, empty), { max: 1 });
  await migratePostgres(emptyPool);
  await emptyPool.end();
  await admin.query(`CREATE DATABASE ${seeded} TEMPLATE ${empty}`);
  const database = postgresDatabase(postgresPool(urlWithDatabase(url, seeded), { max: 2 }));
  await seedDemo(createServices(database, testConfig()), { tokenKey: TEST_TOKEN_KEY });
  await database.close();
  project.provide('pgTemplate', seeded);
  project.provide('pgEmptyTemplate', empty);
  project.provide('pgRunTag', tag);
  return async () => {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR datname IN ($2, $3)', [
      `mashang_t_${tag}_`,
      empty,
      seeded,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
  };
}
