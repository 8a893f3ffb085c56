import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { Worker, workerData, type ResourceLimits } from 'node:worker_threads';
import { projectRoot } from '../db/index.js';

export interface WorkerLimits {
  /** a job still running after this long stops the worker */
  timeoutMs: number;
  /** heap of the worker; past it the worker dies, never the process */
  maxHeapMb: number;
  /** given to the thread as its workerData (where to read, for a reader) */
  workerData?: unknown;
}

/**
 * Starts a worker thread on `entry`. Built code runs the compiled .js entry; run from the
 * TypeScript sources (tests), the thread loads the .ts entry through scripts/ts-worker-hooks.mjs
 * (the entry's workerData is then under `workerData.data`: read it with workerInput()).
 */
export function startWorker(entry: URL, opts: { resourceLimits?: ResourceLimits; workerData?: unknown } = {}): Worker {
  const compiled = entry.href;
  const source = compiled.replace(/\.js$/, '.ts');
  const fromSource = !fs.existsSync(fileURLToPath(compiled)) && fs.existsSync(fileURLToPath(source));
  return fromSource
    ? new Worker(
        `const { register } = require('node:module');
         const { workerData } = require('node:worker_threads');
         register(workerData.hooks);
         import(workerData.entry);`,
        {
          eval: true,
          workerData: { hooks: pathToFileURL(path.join(projectRoot, 'scripts', 'ts-worker-hooks.mjs')).href, entry: source, data: opts.workerData },
          resourceLimits: opts.resourceLimits,
        },
      )
    : new Worker(entry, { resourceLimits: opts.resourceLimits, workerData: { data: opts.workerData } });
}

/** In a worker's entry: the workerData its starter gave (startWorker). */
export function workerInput<T>(): T {
  return (workerData as { data: T }).data;
}

/** How a worker job ended when it did not answer. */
export class WorkerFailure extends Error {
  constructor(
    readonly reason: 'timeout' | 'memory' | 'crashed',
    cause?: unknown,
  ) {
    super(`worker ${reason}`, { cause });
  }
}

/** What a worker entry receives and answers: one message per job, tagged with its id. */
export interface WorkerRequest<J> {
  id: number;
  job: J;
}
export interface WorkerReply<A> {
  id: number;
  answer: A;
}

/**
 * One worker thread that runs jobs one at a time, so heavy or hostile input (a huge spreadsheet)
 * costs that thread its own heap and time and never stalls the requests of the main thread. The
 * thread starts with the first job and is kept for the next; one that runs out of memory, crashes
 * or overruns is stopped, its job fails, and the next job starts a fresh one. It never keeps the
 * process alive while idle.
 */
export function workerQueue<J, A>(entry: URL, limits: WorkerLimits): (job: J) => Promise<A> {
  let worker: Worker | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let seq = 0;

  const spawn = (): Worker => {
    const w = startWorker(entry, { resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb }, workerData: limits.workerData });
    w.unref();
    // A thread that fails between jobs is simply replaced by the next job.
    w.on('error', () => undefined);
    w.on('exit', () => {
      if (worker === w) worker = undefined;
    });
    return w;
  };

  const runOne = (job: J) =>
    new Promise<A>((resolve, reject) => {
      const w = (worker ??= spawn());
      const id = ++seq;
      const finish = () => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        w.unref();
      };
      const fail = (reason: WorkerFailure['reason'], cause?: unknown) => {
        finish();
        if (worker === w) worker = undefined;
        void w.terminate();
        reject(new WorkerFailure(reason, cause));
      };
      const onMessage = (reply: WorkerReply<A>) => {
        if (reply.id !== id) return;
        finish();
        resolve(reply.answer);
      };
      const onError = (err: Error & { code?: string }) => fail(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crashed', err);
      const onExit = () => fail('crashed');
      const timer = setTimeout(() => fail('timeout'), limits.timeoutMs);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.ref();
      w.postMessage({ id, job } satisfies WorkerRequest<J>);
    });

  return (job: J) => {
    const run = tail.then(() => runOne(job));
    tail = run.catch(() => undefined);
    return run;
  };
}
