// Module hooks that let a worker thread run the TypeScript sources directly (tests run the sources;
// built code never needs this): `./x.js` resolves to `./x.ts` when only the .ts exists, and .ts
// files are transpiled (types stripped) as they load. Transpiled files are kept in the temporary
// folder by content, so a later thread loads them without loading TypeScript at all.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cacheDir = path.join(os.tmpdir(), 'mashang-ts-cache');
let ts;

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
  const source = fs.readFileSync(file, 'utf8');
  const cached = path.join(cacheDir, `${crypto.createHash('sha256').update(file).update('\0').update(source).digest('hex')}.js`);
  try {
    return { format: 'module', source: fs.readFileSync(cached, 'utf8'), shortCircuit: true };
  } catch {
    // not transpiled yet
  }
  ts ??= (await import('typescript')).default;
  const { outputText } = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  });
  fs.mkdirSync(cacheDir, { recursive: true });
  const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(temporary, outputText);
  fs.renameSync(temporary, cached);
  return { format: 'module', source: outputText, shortCircuit: true };
}
