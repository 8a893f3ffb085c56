import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/index.js';

/** Every .ts file under src/, as a path relative to the project with forward slashes. */
function sources(dir = path.join(projectRoot, 'src')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [path.relative(projectRoot, full).split(path.sep).join('/')] : [];
  });
}

const SQL = /\.prepare\(|\bdb\.exec\(|\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b/;
const mayHoldSql = (file: string) => file.endsWith('/repo.ts') || file.startsWith('src/db/');

/** Lines of a file that hold SQL where none belongs. */
function sqlOutsideRepos(file: string, text: string): string[] {
  if (mayHoldSql(file)) return [];
  return text.split('\n').flatMap((line, i) => (SQL.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

/** Repos a file imports that are not its own feature's (only services.ts wires them outside features). */
function foreignRepoImports(file: string, text: string): string[] {
  const own = file.match(/^src\/features\/([^/]+)\//)?.[1];
  return [...text.matchAll(/from '([^']*\/repo\.js)'/g)]
    .map((m) => path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)))
    .filter((target) => (own ? target !== `src/features/${own}/repo.js` : file !== 'src/services.ts'))
    .map((target) => `${file} imports ${target}`);
}

const read = (f: string) => fs.readFileSync(path.join(projectRoot, f), 'utf8');

/** The tables a feature's repo writes (INSERT INTO, UPDATE … SET, DELETE FROM, upserts). */
function tablesWritten(text: string): string[] {
  const found = [...text.matchAll(/\b(?:INSERT(?: OR [A-Z]+)? INTO|UPDATE|DELETE FROM) ([a-z_]+)\b/g)].map((m) => m[1]!);
  // `ON CONFLICT … DO UPDATE SET` names no table; `DELETE FROM ${t}` is written out by the caller
  return [...new Set(found.filter((t) => t !== 'SET'))];
}

describe('every table has one owner', () => {
  it('SQL appears only in repos and in src/db', () => {
    expect(sources().flatMap((f) => sqlOutsideRepos(f, read(f)))).toEqual([]);
  });

  it("no feature imports another feature's repo; outside features only services.ts wires repos", () => {
    expect(sources().flatMap((f) => foreignRepoImports(f, read(f)))).toEqual([]);
  });

  it('each table is written by one feature only (others read it, or ask its owner to write)', () => {
    const writers = new Map<string, string[]>();
    for (const file of sources().filter((f) => /^src\/features\/[^/]+\/repo\.ts$/.test(f))) {
      const feature = file.split('/')[2]!;
      for (const table of tablesWritten(read(file))) writers.set(table, [...(writers.get(table) ?? []), feature]);
    }
    expect(writers.size).toBeGreaterThan(15);
    expect([...writers].filter(([, features]) => features.length > 1)).toEqual([]);
    expect(writers.get('plates')).toEqual(['places']);
    expect(tablesWritten("db.prepare('UPDATE plates SET status = ?'); db.prepare('INSERT OR IGNORE INTO cadre_villages (a) VALUES (?)')")).toEqual([
      'plates',
      'cadre_villages',
    ]);
  });

  it('the checks catch SQL in a service and a repo imported across features, and let a feature use its own repo', () => {
    expect(sqlOutsideRepos('src/features/transfer/service.ts', "  const ids = db.prepare('SELECT id FROM villages');")).toHaveLength(1);
    expect(sqlOutsideRepos('src/cli/commands.ts', "db.exec('DELETE FROM sessions')")).toHaveLength(1);
    expect(sqlOutsideRepos('src/features/places/repo.ts', "db.prepare('SELECT id FROM villages')")).toEqual([]);
    expect(sqlOutsideRepos('src/features/transfer/xlsx-reader.ts', 'const m = open.exec(xml);')).toEqual([]);
    expect(foreignRepoImports('src/features/transfer/datasets.ts', "import type { CadreRole } from '../cadres/repo.js';")).toEqual([
      'src/features/transfer/datasets.ts imports src/features/cadres/repo.js',
    ]);
    expect(foreignRepoImports('src/http/auth.ts', "import type { Role } from '../features/staff/repo.js';")).toHaveLength(1);
    expect(foreignRepoImports('src/features/places/service.ts', "import type { PlacesRepo } from './repo.js';")).toEqual([]);
    expect(foreignRepoImports('src/services.ts', "import { createPlacesRepo } from './features/places/repo.js';")).toEqual([]);
  });
});
