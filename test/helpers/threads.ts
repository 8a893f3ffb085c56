import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../src/db/index.js';

/**
 * Runs the `mashang` command in a thread of its own, with its own database connection, as a second
 * process would: what it locks, the app under test has to wait for. Output is dropped. Resolves to
 * the exit code.
 */
export function cliInThread(argv: string[], env: Record<string, string>): Promise<number> {
  const worker = new Worker(
    `const { register } = require('node:module');
     const { workerData, parentPort } = require('node:worker_threads');
     console.log = console.error = () => undefined;
     process.stderr.write = () => true;
     register(workerData.hooks);
     import(workerData.entry).then((m) => m.main(workerData.argv, workerData.env)).then((code) => parentPort.postMessage(code));`,
    {
      eval: true,
      workerData: {
        hooks: pathToFileURL(path.join(projectRoot, 'scripts', 'ts-worker-hooks.mjs')).href,
        entry: pathToFileURL(path.join(projectRoot, 'src', 'cli', 'commands.ts')).href,
        argv,
        env,
      },
    },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', (code: number) => {
      resolve(code);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
