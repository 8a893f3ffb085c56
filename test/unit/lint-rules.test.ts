import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FOREIGN_REPO = 'mashang/no-foreign-repo-imports';
const SQL = 'mashang/no-sql-outside-repos';

let eslint: ESLint;
beforeAll(() => {
  // the project's own eslint.config.js, as `npm run lint` reads it; the snippets are no files of the
  // project's tsconfig, so they are read without type information (the rules checked here need none)
  eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      languageOptions: { parserOptions: { project: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/await-thenable': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  });
});

/** The rules a snippet breaks when it is written at `file` (relative to the project root). */
async function brokenRules(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal, 'the snippet parses').toEqual([]);
  return result!.messages.map((m) => m.ruleId ?? '');
}

describe("lint: a feature reaches another feature's data through its service, never its repo", () => {
  it("when a feature imports another feature's repo, then the lint fails", async () => {
    expect(await brokenRules('src/features/cases/service.ts', "import { createPlacesRepo } from '../places/repo.js';\nvoid createPlacesRepo;\n")).toContain(
      FOREIGN_REPO,
    );
  });

  it("when only a type comes from another feature's repo, then the lint fails all the same", async () => {
    expect(await brokenRules('src/features/plates/routes.ts', "import type { Cadre } from '../cadres/repo.js';\nexport type C = Cadre;\n")).toContain(
      FOREIGN_REPO,
    );
  });

  it('when the path goes round about, from a nested file, or through a dynamic import, then the lint fails', async () => {
    expect(await brokenRules('src/features/cases/sub/x.ts', "export { createStaffRepo } from '../../../features/staff/repo.js';\n")).toContain(FOREIGN_REPO);
    expect(await brokenRules('src/features/cases/service.ts', "export const load = () => import('../staff/repo.js');\n")).toContain(FOREIGN_REPO);
  });

  it('when a module outside the features (the HTTP layer) imports a repo, then the lint fails', async () => {
    expect(await brokenRules('src/http/guard.ts', "import { createStaffRepo } from '../features/staff/repo.js';\nvoid createStaffRepo;\n")).toContain(
      FOREIGN_REPO,
    );
  });

  it('when a feature imports its own repo, or another feature’s service, then the lint passes', async () => {
    expect(
      await brokenRules(
        'src/features/cases/service.ts',
        "import { createCasesRepo } from './repo.js';\nimport { createPlacesService } from '../places/service.js';\nvoid createCasesRepo;\nvoid createPlacesService;\n",
      ),
    ).toEqual([]);
    expect(await brokenRules('src/features/cases/sub/x.ts', "import { createCasesRepo } from '../repo.js';\nvoid createCasesRepo;\n")).toEqual([]);
  });

  it('when the wiring (src/services.ts) or a test imports repos, then the lint passes', async () => {
    const code = "import { createPlacesRepo } from './features/places/repo.js';\nvoid createPlacesRepo;\n";
    expect(await brokenRules('src/services.ts', code)).not.toContain(FOREIGN_REPO);
    expect(
      await brokenRules('test/integration/x.test.ts', "import { createPlacesRepo } from '../../src/features/places/repo.js';\nvoid createPlacesRepo;\n"),
    ).toEqual([]);
  });
});

describe('lint: SQL lives in repos', () => {
  it('when a service file holds an SQL statement, then the lint fails', async () => {
    expect(await brokenRules('src/features/cases/service.ts', "export const q = 'SELECT id FROM cases WHERE token = ?';\n")).toContain(SQL);
    expect(await brokenRules('src/features/cases/service.ts', 'export const q = (t: string) => `\n  DELETE FROM ${t} WHERE id = ?`;\n')).toContain(SQL);
  });

  it('when a route calls .prepare( or .exec( on anything, then the lint fails', async () => {
    expect(
      await brokenRules('src/features/plates/routes.ts', 'export const f = (db: { prepare(s: string): unknown }, s: string) => db.prepare(s);\n'),
    ).toContain(SQL);
    expect(await brokenRules('src/features/plates/routes.ts', 'export const f = (db: { exec(s: string): unknown }, s: string) => db.exec(s);\n')).toContain(
      SQL,
    );
  });

  it('when the SQL is in a repo.ts or under src/db/, then the lint passes', async () => {
    const code = "export const f = (db: { prepare(s: string): unknown }) => db.prepare('SELECT id FROM cases WHERE token = ?');\n";
    expect(await brokenRules('src/features/cases/repo.ts', code)).toEqual([]);
    expect(await brokenRules('src/db/backup.ts', code)).toEqual([]);
    expect(await brokenRules('test/integration/x.test.ts', code)).toEqual([]);
  });

  it('when a string only looks a little like SQL (an HTTP method, prose, a regular expression), then the lint passes', async () => {
    const code = [
      "export const isDelete = (m: string) => m === 'DELETE';",
      "export const prose = 'Select a village';",
      'export const day = (s: string) => /^(\\d{4})-(\\d{2})$/.exec(s);',
      'const open = /<row\\b/g;',
      'export const first = (xml: string) => open.exec(xml);',
    ].join('\n');
    expect(await brokenRules('src/features/plates/routes.ts', code)).toEqual([]);
  });
});
