import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { migrate, openDb } from '../db/index.js';
import { seedDemo } from '../features/seed/service.js';
import { createServices } from '../services.js';

const usage = `Usage: mashang <command>

Commands:
  migrate              apply pending database migrations
  seed [--key KEY]     load the demo district into an empty database (KEY makes plate tokens repeatable)
  info                 print counts and a sample household URL

The database is MASHANG_DB (default db/mashang.sqlite).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'migrate': {
      const db = openDb(config.dbFile);
      const applied = migrate(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
      db.close();
      return 0;
    }
    case 'seed': {
      const { values } = parseArgs({ args: rest, options: { key: { type: 'string' } } });
      const db = openDb(config.dbFile);
      migrate(db);
      const services = createServices(db, config);
      if (!services.places.isEmpty()) {
        console.error('The database already holds places; seed only loads an empty one.');
        db.close();
        return 1;
      }
      const started = Date.now();
      const counts = seedDemo(db, { tokenKey: values.key ?? crypto.randomBytes(32).toString('base64url') });
      console.log(`seeded in ${Date.now() - started} ms:`, counts);
      db.close();
      return 0;
    }
    case 'info': {
      const db = openDb(config.dbFile);
      migrate(db);
      const services = createServices(db, config);
      const { household } = services.places.sampleTokens();
      console.log(`catalogue items: ${services.catalog.total()}`);
      if (household) console.log(`sample household: ${config.publicBaseUrl}/p/${household}`);
      db.close();
      return 0;
    }
    default:
      console.log(usage);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
