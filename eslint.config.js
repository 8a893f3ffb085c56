// ESLint flat config: typescript-eslint's recommended rules, Prettier's opinions left to Prettier,
// and two architecture rules of this codebase (eslint-rules/):
//  - mashang/no-foreign-repo-imports: a feature's repo is imported only by the feature itself and
//    by src/services.ts (the wiring);
//  - mashang/no-sql-outside-repos: SQL lives in a feature's repo.ts or in src/db/.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import noForeignRepoImports from './eslint-rules/no-foreign-repo-imports.js';
import noSqlOutsideRepos from './eslint-rules/no-sql-outside-repos.js';

const SOURCES = ['**/*.{ts,js,mjs,cjs}'];

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'static/', 'views/', 'screenshots/', 'data/', 'test-results/', 'coverage/'],
  },
  {
    files: SOURCES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `const { town: _town, ...rest } = …` drops a field on purpose; `_x` marks a name kept unused
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  // The data layer is asynchronous: a promise nobody awaits is a write that may not have happened
  // yet (or failed unseen), and awaiting a plain value hides a mistake. Checked with the types.
  {
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  // repos' filter builders pair a clause with its parameter: `if (x) (where.push('a = ?'), params.push(x));`
  { files: ['src/**/repo.ts'], rules: { '@typescript-eslint/no-unused-expressions': 'off' } },
  {
    files: ['src/**/*.{ts,js,mjs,cjs}'],
    plugins: {
      mashang: { rules: { 'no-foreign-repo-imports': noForeignRepoImports, 'no-sql-outside-repos': noSqlOutsideRepos } },
    },
    rules: {
      'mashang/no-foreign-repo-imports': 'error',
      'mashang/no-sql-outside-repos': 'error',
    },
  },
  // the wiring builds every repo
  { files: ['src/services.ts'], rules: { 'mashang/no-foreign-repo-imports': 'off' } },
  // where SQL belongs
  { files: ['src/**/repo.ts', 'src/db/**'], rules: { 'mashang/no-sql-outside-repos': 'off' } },
  prettier,
);
