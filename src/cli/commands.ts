import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDb } from '../db/index.js';
import { seedDemo } from '../features/seed/service.js';
import { createServices } from '../services.js';
import { randomPassword } from '../features/staff/passwords.js';
import { passwordProblem, PASSWORD_PROBLEMS } from '../features/staff/password-policy.js';
import { writeHouseholdPlatesPdf } from '../features/plates/pdf.js';
import { sizeOf } from '../features/plates/sizes.js';
import fs from 'node:fs';
import path from 'node:path';
import { BackupError, restoreBackup, takeBackup } from '../db/backup.js';
import { isRealDate } from '../domain/dates.js';
import { normalisePhone } from '../domain/phone.js';
import { startOfChinaDay } from '../domain/time.js';
import { ApiKeyNameError } from '../features/open311/service.js';
import { ValidationError } from '../errors.js';
import { postgresPool } from '../db/database.js';
import { copyToPostgres, CopyProblem } from '../db/copy-to-postgres.js';
import { describePostgres, openDatabase } from '../bootstrap.js';
import pino from 'pino';
import type { Db } from '../db/index.js';
import { scopeOf } from '../domain/scope.js';
import { t } from '../i18n/index.js';
import type { Services } from '../services.js';
import type { DatasetName } from '../features/transfer/datasets.js';
import type { Caller } from '../features/transfer/service.js';

const usage = `Usage: mashang <command>

Commands:
  migrate              apply pending database migrations
  seed [--key KEY]     load the demo districts (兖州区, and a small 曲阜市) into an empty database (KEY makes plate tokens repeatable)
  info                 print counts and a sample household URL
  plates --village CODE|--town CODE [--size plate|sticker] [--since YYYY-MM-DD] --out FILE.pdf
                       print a village's or township's household plates as a PDF
  district add CODE NAME
                       add a district (its 6-digit code, e.g. 370881, and its name) with the default reply templates
  import places|households|cadres|calendar|catalog FILE [--district CODE] [--dry-run] [--encoding auto|utf8|gbk]
                       load a CSV or .xlsx file: all rows or none; a dry run only reports. --district: the
                       district whose catalogue it is (required with more than one district), or the only
                       district whose places, households or cadres the file may hold
  export places|households|cadres|calendar|catalog [--district CODE] --out FILE.csv|FILE.xlsx
                       write the same columns, for editing in Excel and importing again; --district as for import
  jobs run             close unrated cases resolved over 7 days ago; drop expired sessions and import files
                       left unconfirmed for an hour; deliver the notifications that are due
  channels add wecom|dingtalk|webhook --url URL [--secret S] (--village CODE|--town CODE|--district CODE)
                       send new, reopened and badly rated cases of a place to a group robot or webhook
  channels list        the channels (addresses shortened, secrets never shown)
  channels remove ID   stop a channel
  user add USERNAME --role admin|staff|cadre --name NAME [--town CODE]... [--village CODE]... [--district CODE] [--cadre-phone PHONE]
                       create a back-office user; the password is read from MASHANG_NEW_PASSWORD or printed once
  apikey add NAME      create an Open311 API key; the key is printed once, as the last line
  apikey list          list the keys: name, first characters, state, last use
  apikey revoke NAME   stop a key from working
  user passwd USERNAME set a new password (MASHANG_NEW_PASSWORD, or a random one printed once)
  backup --out DIR     copy the database and the photos into a new folder, with a manifest and
                       SHA-256 checksums; safe while the server is serving
  restore --from DIR [--force]
                       check a backup's checksums and restore it into MASHANG_DB and MASHANG_DATA_DIR;
                       stop the server first. --force replaces an existing installation (its files
                       are kept with a .replaced-TIME suffix)
  migrate-to-postgres --to postgres://USER[:PASSWORD]@HOST[:PORT]/DB [--data-to DIR]
                       copy MASHANG_DB into an empty PostgreSQL database, checking every table's row
                       count and checksum and every photo under MASHANG_DATA_DIR (copied to DIR/photos
                       and DIR/cadres with --data-to); on any difference nothing is kept

The database is MASHANG_DB (default db/mashang.sqlite); photos are under MASHANG_DATA_DIR (default data).`;

/** Runs one command; returns the exit code. The environment is read as the server reads it. */
/** The command line prints its own lines: the opening's log goes nowhere. */
const quiet = pino({ level: 'silent' });

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig(env);
  switch (command) {
    case 'migrate': {
      const { database, applied } = await openDatabase(config, quiet);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
      await database.close();
      return 0;
    }
    case 'seed': {
      const { values } = parseArgs({ args: rest, options: { key: { type: 'string' } } });
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      if (!(await services.places.isEmpty())) {
        console.error('The database already holds places; seed only loads an empty one.');
        await database.close();
        return 1;
      }
      const started = Date.now();
      const counts = await seedDemo(services, { tokenKey: values.key ?? crypto.randomBytes(32).toString('base64url') });
      console.log(`seeded in ${Date.now() - started} ms:`, counts);
      await database.close();
      return 0;
    }
    case 'info': {
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      const { household } = await services.places.sampleTokens();
      for (const d of await services.places.districts()) console.log(`${d.code} ${d.name}: catalogue items ${await services.catalog.total(d.id)}`);
      if (household) console.log(`sample household: ${config.publicBaseUrl}/p/${household}`);
      await database.close();
      return 0;
    }
    case 'plates': {
      const { values } = parseArgs({
        args: rest,
        options: { village: { type: 'string' }, town: { type: 'string' }, size: { type: 'string' }, since: { type: 'string' }, out: { type: 'string' } },
      });
      if ((!values.village && !values.town) || !values.out || (values.size && !['plate', 'sticker'].includes(values.size))) break;
      if (values.since !== undefined && !isRealDate(values.since)) {
        console.error(`--since ${values.since}: not a date on the calendar; write it YYYY-MM-DD, e.g. 2026-11-01`);
        return 2;
      }
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      const selection = {
        villageIds: (await services.places.allVillages()).map((v) => v.id),
        villageCode: values.village,
        townCode: values.town,
        since: values.since ? startOfChinaDay(values.since).toISOString() : undefined,
      };
      const total = await services.plates.count(selection);
      if (total === 0) {
        console.error('no plates match');
        await database.close();
        return 1;
      }
      const started = Date.now();
      let done = 0;
      const progress = setInterval(() => process.stderr.write(`\r${done}/${total} plates`), 1000);
      const counted = (async function* () {
        for await (const p of services.plates.iterate(selection)) {
          done++;
          yield p;
        }
      })();
      try {
        const n = await writeHouseholdPlatesPdf(fs.createWriteStream(values.out), counted, {
          size: sizeOf(values.size),
          url: (token) => services.plates.url('household', token),
          title: '码上服务 门牌',
        });
        await services.staff.audit({ userId: null, ip: 'cli', action: 'plates_printed', target: values.village ?? values.town ?? '', detail: `${n}` });
        console.log(`\r${n} plates → ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        clearInterval(progress);
        await database.close();
      }
      return 0;
    }
    case 'import':
    case 'export': {
      const [name, ...args] = rest;
      if (name !== 'places' && name !== 'households' && name !== 'cadres' && name !== 'calendar' && name !== 'catalog') break;
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { 'dry-run': { type: 'boolean' }, encoding: { type: 'string' }, out: { type: 'string' }, district: { type: 'string' } },
      });
      const encoding = (values.encoding ?? 'auto') as 'auto' | 'utf8' | 'gbk';
      if (!['auto', 'utf8', 'gbk'].includes(encoding)) break;
      if (name === 'calendar' && values.district !== undefined) {
        console.error(t('cli.calendarShared'));
        return 2;
      }
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      try {
        const caller = await cliCaller(services, name, values.district);
        if (typeof caller === 'string') {
          console.error(caller);
          return 2;
        }
        if (command === 'export') {
          if (!values.out) break;
          const bytes = await services.transfer.export(name, caller, values.out.endsWith('.xlsx') ? 'xlsx' : 'csv');
          fs.writeFileSync(values.out, bytes);
          console.log(`${name} → ${values.out}`);
          return 0;
        }
        const file = positionals[0];
        if (!file) break;
        const bytes = fs.readFileSync(file);
        process.stderr.write(`reading ${file} (${(bytes.length / 1024).toFixed(0)} KB)…\n`);
        const started = Date.now();
        process.stderr.write('checking rows…\n');
        const plan = await services.transfer.dryRun(name, bytes, caller, encoding);
        for (const e of plan.errors.slice(0, 50)) console.error(`row ${e.row}, ${e.column}: ${e.message}`);
        if (plan.errors.length > 50) console.error(`… and ${plan.errors.length - 50} more`);
        const summary = `${plan.total} rows (${plan.format}${plan.encoding ? `, ${plan.encoding}` : ''}): ${plan.counts.add} to add, ${plan.counts.change} to change, ${plan.counts.same} unchanged, ${plan.errors.length} error(s)`;
        if (plan.errors.length) {
          console.error(`${summary}; nothing written`);
          return 1;
        }
        if (values['dry-run']) {
          console.log(`${summary}; dry run, nothing written`);
          return 0;
        }
        process.stderr.write(`writing ${plan.counts.add + plan.counts.change} rows, 500 to a transaction…\n`);
        await services.transfer.commit(name, bytes, caller, encoding);
        await services.staff.audit({ userId: null, ip: 'cli', action: 'imported', target: name, detail: summary });
        console.log(`${summary}; written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return 0;
      } finally {
        await database.close();
      }
    }
    case 'district': {
      const [sub, code, name, ...extra] = rest;
      if (sub !== 'add') break;
      if (code === undefined || name === undefined || extra.length) {
        console.error(t('cli.districtUsage'));
        return 2;
      }
      const problem = districtProblem(code, name.trim());
      if (problem) {
        console.error(problem);
        return 2;
      }
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      try {
        const taken = await services.places.districtByCode(code);
        if (taken) {
          console.error(t('cli.districtTaken', { code, name: taken.name }));
          return 2;
        }
        const { id, templates } = await services.transfer.together(async () => {
          const id = await services.places.addDistrict(code, name.trim());
          return { id, templates: await services.templates.addDefaults(id) };
        });
        await services.staff.audit({ userId: null, districtId: id, ip: 'cli', action: 'district_added', target: code, detail: name.trim() });
        const added = (await services.places.districtByCode(code))!;
        console.log(`added district ${added.code} ${added.name} (id ${added.id}, hotline ${added.hotline}, ${templates} reply templates)`);
        return 0;
      } finally {
        await database.close();
      }
    }
    case 'jobs': {
      if (rest[0] !== 'run') break;
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      const closed = await services.caseOffice.autoClose();
      const overdue = await services.caseOffice.markOverdue();
      const pruned = await services.staff.pruneSessions();
      const uploads = services.pendingImports.prune();
      const sent = await services.notifications.deliverDue();
      console.log(`closed ${closed} case(s), marked ${overdue} overdue, removed ${pruned} expired session(s) and ${uploads} unconfirmed import file(s)`);
      console.log(
        `notifications: ${sent.planned} made, ${sent.sent} sent, ${sent.retry} to retry, ${sent.dead} failed, ${sent.postponed} held back (quiet hours or daily cap)`,
      );
      await database.close();
      return 0;
    }
    case 'apikey': {
      const [sub, name, ...more] = rest;
      if (sub !== 'list' && !((sub === 'add' || sub === 'revoke') && name)) break;
      const { values: keyOpts } = parseArgs({ args: more, options: { district: { type: 'string' } } });
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      try {
        if (sub === 'add') {
          // --district CODE: a key that files in that district only (jurisdiction_id may be left out); without it, a city key
          const district = keyOpts.district ? await services.places.districtByCode(keyOpts.district) : undefined;
          if (keyOpts.district && !district) {
            console.error(`no district with code ${keyOpts.district}`);
            return 2;
          }
          try {
            const { key, row } = await services.open311.createKey(name!, null, district?.id ?? null);
            await services.staff.audit({ userId: null, ip: 'cli', action: 'apikey_created', target: `apikey:${row.id}`, detail: row.name });
            console.log(`API key "${row.name}" created; it is shown only now, keep it safe:`);
            console.log(key);
            return 0;
          } catch (err) {
            if (!(err instanceof ApiKeyNameError)) throw err;
            console.error(
              `the name is refused: ${err.reason === 'taken' ? 'a key with this name exists' : err.reason === 'tooLong' ? 'at most 40 characters' : 'empty'}`,
            );
            return 2;
          }
        }
        if (sub === 'revoke') {
          const key = await services.open311.keyByName(name!);
          if (!key) {
            console.error(`no API key named ${name}`);
            return 1;
          }
          if (await services.open311.revokeKey(key.id))
            await services.staff.audit({ userId: null, ip: 'cli', action: 'apikey_revoked', target: `apikey:${key.id}`, detail: key.name });
          console.log(`revoked: ${key.name}`);
          return 0;
        }
        for (const k of await services.open311.listKeys()) {
          console.log(
            [k.name, `${k.prefix}…`, k.revokedAt ? `revoked ${k.revokedAt}` : 'active', `last used ${k.lastUsedAt ?? 'never'}`, `uses ${k.uses}`].join('\t'),
          );
        }
        return 0;
      } finally {
        await database.close();
      }
    }
    case 'channels': {
      const [sub, ...args] = rest;
      if (sub !== 'add' && sub !== 'list' && sub !== 'remove') break;
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      try {
        if (sub === 'list') {
          for (const c of await services.notifications.channels()) {
            console.log(`${c.id}\t${c.kind}\t${c.scopeCode} ${c.scopeName}\t${c.url}${c.hasSecret ? '\tsecret set' : ''}`);
          }
          return 0;
        }
        if (sub === 'remove') {
          const id = Number(args[0]);
          if (!(await services.notifications.removeChannel(id))) {
            console.error(`No channel ${args[0] ?? ''}.`);
            return 1;
          }
          console.log(`removed channel ${id}`);
          return 0;
        }
        const { values, positionals } = parseArgs({
          args,
          allowPositionals: true,
          options: { url: { type: 'string' }, secret: { type: 'string' }, village: { type: 'string' }, town: { type: 'string' }, district: { type: 'string' } },
        });
        const places = [values.village, values.town, values.district].filter((v) => v !== undefined);
        if (positionals.length !== 1 || !values.url || places.length !== 1) {
          console.error('Usage: channels add wecom|dingtalk|webhook --url URL [--secret S] (--village CODE|--town CODE|--district CODE)');
          return 2;
        }
        try {
          const id = await services.notifications.addChannel({ kind: positionals[0]!, url: values.url, secret: values.secret ?? null, scopeCode: places[0]! });
          console.log(`added channel ${id}`);
          return 0;
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          for (const e of err.errors) console.error(`${e.field}: ${e.text}`);
          return 1;
        }
      } finally {
        await database.close();
      }
    }
    case 'user': {
      const [sub, username, ...more] = rest;
      if (!username || (sub !== 'add' && sub !== 'passwd')) break;
      const { database } = await openDatabase(config, quiet);
      const services = createServices(database, config);
      const given = env.MASHANG_NEW_PASSWORD;
      const problem = given !== undefined ? passwordProblem(given, username) : undefined;
      if (problem) {
        console.error(`MASHANG_NEW_PASSWORD is refused: ${PASSWORD_PROBLEMS[problem]}`);
        return 2;
      }
      const password = given ?? randomPassword();
      try {
        if (sub === 'passwd') {
          if (!(await services.staff.setPassword(username, password))) {
            console.error(`no user ${username}`);
            return 1;
          }
          await services.staff.audit({ userId: null, ip: 'cli', action: 'password_set', target: username });
        } else {
          const { values } = parseArgs({
            args: more,
            options: {
              role: { type: 'string' },
              name: { type: 'string' },
              town: { type: 'string', multiple: true },
              village: { type: 'string', multiple: true },
              district: { type: 'string' },
              'cadre-phone': { type: 'string' },
            },
          });
          const role = values.role;
          if (role !== 'admin' && role !== 'staff' && role !== 'cadre') {
            console.error('--role must be admin, staff or cadre');
            return 2;
          }
          const cadreId = values['cadre-phone'] ? await services.cadres.idByPhone(normalisePhone(values['cadre-phone'])) : undefined;
          if (values['cadre-phone'] && cadreId === undefined) {
            console.error(`no cadre with phone ${values['cadre-phone']}`);
            return 1;
          }
          // --district: an admin of that district (without it, an admin serves the city); others serve it whole
          const district = values.district ? await services.places.districtByCode(values.district) : undefined;
          if (values.district && !district) {
            console.error(`no district with code ${values.district}`);
            return 2;
          }
          const scopes = [
            ...(values.district && role !== 'admin' ? [{ level: 'district' as const, code: values.district }] : []),
            ...(values.town ?? []).map((code) => ({ level: 'town' as const, code })),
            ...(values.village ?? []).map((code) => ({ level: 'village' as const, code })),
          ];
          await services.staff.createUser({
            username,
            displayName: values.name ?? username,
            password,
            role,
            cadreId: cadreId ?? null,
            ...(role === 'admin' ? { districtId: district?.id ?? null } : {}),
            scopes,
          });
          await services.staff.audit({ userId: null, ip: 'cli', action: 'user_added', target: username, detail: role });
        }
      } finally {
        await database.close();
      }
      console.log(given ? 'done' : `done; password: ${password}  (shown once)`);
      return 0;
    }
    case 'backup': {
      if (config.databaseUrl) {
        console.error(
          'backup works on the SQLite file (MASHANG_DB); on PostgreSQL (MASHANG_DATABASE_URL) use its own tools: pg_dump and pg_restore, or continuous archiving.',
        );
        return 2;
      }
      const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } } });
      if (!values.out) break;
      const db = openDb(config.dbFile, { readonly: true });
      const started = Date.now();
      try {
        const m = await takeBackup(db, { dataDir: config.dataDir, out: values.out });
        const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
        console.log(
          `backup of ${path.resolve(config.dbFile)} → ${path.resolve(values.out)}: ${m.files.length} files, ${(bytes / 1048576).toFixed(1)} MB, ` +
            `schema ${m.schemaVersion}, ${m.tables.cases ?? 0} cases, ${m.tables.households ?? 0} households, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        for (const f of m.missingFiles) console.error(`warning: the database names ${f}, which is not in ${config.dataDir}`);
        return 0;
      } catch (err) {
        if (!(err instanceof BackupError)) throw err;
        console.error(err.message);
        return 1;
      } finally {
        db.close();
      }
    }
    case 'restore': {
      if (config.databaseUrl) {
        console.error(
          'restore works on the SQLite file (MASHANG_DB); on PostgreSQL (MASHANG_DATABASE_URL) use its own tools: pg_dump and pg_restore, or continuous archiving.',
        );
        return 2;
      }
      const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, force: { type: 'boolean' } } });
      if (!values.from) break;
      try {
        const r = restoreBackup({ from: values.from, dbFile: config.dbFile, dataDir: config.dataDir, force: values.force ?? false });
        for (const f of r.replaced) console.log(`kept the replaced ${f}`);
        console.log(
          `restored the backup of ${r.manifest.createdAt} (schema ${r.manifest.schemaVersion}, ${r.manifest.files.length} files) → ${path.resolve(config.dbFile)}, ` +
            `${path.resolve(config.dataDir)}; checksums, integrity and row counts checked`,
        );
        return 0;
      } catch (err) {
        if (!(err instanceof BackupError)) throw err;
        console.error(err.message);
        return 1;
      }
    }
    case 'migrate-to-postgres': {
      const { values } = parseArgs({ args: rest, options: { to: { type: 'string' }, 'data-to': { type: 'string' } } });
      if (!values.to) break;
      return migrateToPostgres(config.dbFile, config.dataDir, values.to, values['data-to']);
    }
    default:
      break;
  }
  console.log(usage);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

/** The first two digits of a mainland province-level division (北京 11 … 新疆 65). */
const PROVINCES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
]);

/**
 * What is wrong with a new district's code and name, in Chinese, or undefined. The code is that of a
 * county-level division (GB/T 2260): six digits, a province's two first, a county's two last (never 00:
 * that is a city or a province).
 */
export function districtProblem(code: string, name: string): string | undefined {
  if (!/^\d{6}$/.test(code) || !PROVINCES.has(code.slice(0, 2)) || code.endsWith('00')) return t('cli.districtCode', { code });
  const length = Array.from(name).length;
  if (length < 1 || length > 20 || /[\p{Cc}]/u.test(name)) return t('cli.districtName');
  return undefined;
}

/**
 * Whom an import or export runs as: a city administrator (every district, every village) working in
 * the district named; with --district, places, households and cadres are that district's villages
 * only. A message (in Chinese) instead when the district is unknown, or when a catalogue needs one and
 * the installation has several.
 */
async function cliCaller(services: Services, dataset: DatasetName, code: string | undefined): Promise<Caller | string> {
  const districts = await services.places.districts();
  const known = districts.map((d) => `${d.code} ${d.name}`).join('、') || '—';
  const district = code === undefined ? undefined : districts.find((d) => d.code === code);
  if (code !== undefined && !district) return t('cli.unknownDistrict', { code, known });
  if (dataset === 'catalog' && !district && districts.length > 1) return t('cli.districtRequired', { known });
  const villages = await services.places.allVillages();
  if (district && dataset !== 'catalog') {
    // The district's administrator, as far as these rows go: its villages and nothing else.
    const villageIds = villages.filter((v) => v.districtId === district.id).map((v) => v.id);
    return { role: 'admin', districtId: district.id, scope: scopeOf(villageIds, false, [district.id]) };
  }
  return {
    role: 'admin',
    districtId: district?.id,
    scope: scopeOf(
      villages.map((v) => v.id),
      true,
      districts.map((d) => d.id),
    ),
  };
}

/** The SQLite file as it is: read-only where SQLite allows it (a WAL file needs its -shm), else opened as the server opens it. */
function openForReading(file: string): Db {
  try {
    return openDb(file, { readonly: true });
  } catch {
    return openDb(file);
  }
}

/** migrate-to-postgres: the copy, its figures, and an exit code; the address is shown without its password. */
async function migrateToPostgres(dbFile: string, dataDir: string, url: string, dataTo: string | undefined): Promise<number> {
  let where: string;
  try {
    if (!/^postgres(ql)?:$/.test(new URL(url).protocol)) throw new Error('not postgres');
    where = describePostgres(url);
  } catch {
    console.error('--to must be a PostgreSQL address: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE');
    return 2;
  }
  if (dbFile === ':memory:' || !fs.existsSync(dbFile)) {
    console.error(`MASHANG_DB: ${path.resolve(dbFile)} does not exist; set MASHANG_DB to the SQLite file to copy.`);
    return 1;
  }
  const db = openForReading(dbFile);
  // the copy is one long transaction: no statement or idle limit (it sets its own as well)
  const pool = postgresPool(url, { max: 2, timeouts: { statementMs: 0, idleInTransactionMs: 0 } });
  // an idle connection the server drops must not crash the command: the query in progress fails instead
  pool.on('error', () => undefined);
  const started = Date.now();
  try {
    console.log(`copying ${path.resolve(dbFile)} → ${where}`);
    const report = await copyToPostgres(db, pool, { dataDir, dataTo, log: (line) => process.stderr.write(`${line}\n`) });
    for (const t of report.tables) console.log(`${t.table}: ${t.rows} rows, checksum ${t.checksum}`);
    console.log(
      `photos: ${report.photos.checked} present with their recorded size under ${path.resolve(dataDir)}` +
        (dataTo ? `, ${report.photos.copied} copied to ${path.resolve(dataTo)}` : ''),
    );
    const rows = report.tables.reduce((n, t) => n + t.rows, 0);
    console.log(
      `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.tables.length} tables, ${rows} rows, counts and checksums equal on both sides. ` +
        `Set MASHANG_DATABASE_URL to ${where} (with its password) and mount ${path.resolve(dataTo ?? dataDir)} as MASHANG_DATA_DIR on every instance.`,
    );
    return 0;
  } catch (err) {
    if (err instanceof CopyProblem) {
      console.error(`migrate-to-postgres refused: ${err.message}. Nothing was kept in ${where}.`);
      return 1;
    }
    const e = err as Error & { code?: string };
    const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', '28P01', '28000', '3D000'].includes(e.code ?? '');
    console.error(
      unreachable
        ? `cannot reach the PostgreSQL database ${where}: ${e.message}`
        : `migrate-to-postgres failed: ${e.message}. The copy was rolled back; nothing was kept in ${where}.`,
    );
    return 1;
  } finally {
    db.close();
    await pool.end().catch(() => undefined);
  }
}
