// Module hooks that let a worker thread run the TypeScript sources directly (tests run the sources;
// built code never needs this): `./x.js` resolves to `./x.ts` when only the .ts exists, and .ts
// files are transpiled (types stripped) as they load.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier, context.parentURL);
    const tsUrl = url.href.replace(/\.js$/, '.ts');
    if (!fs.existsSync(fileURLToPath(url)) && fs.existsSync(fileURLToPath(tsUrl))) return { url: tsUrl, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
