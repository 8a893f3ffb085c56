// The dashboard's reads on a SQLite file, in a worker thread of low priority with a read-only
// connection of its own (see reader.ts): a district's figures take tens of milliseconds of
// synchronous SQLite work, which would otherwise stall every request of the main thread meanwhile.
import { parentPort } from 'node:worker_threads';
import { openReadConnection, type ReadConnection } from '../../workers/connection.js';
import { lowerThreadPriority } from '../../workers/priority.js';
import { workerInput, type WorkerReply, type WorkerRequest } from '../../workers/run.js';
import { createStatsRepo } from './repo.js';
import { READER_NICE, type ReaderAnswer, type ReaderJob } from './reader.js';

const { connection } = workerInput<{ connection: ReadConnection }>();
const thread = lowerThreadPriority(READER_NICE);
const repo = createStatsRepo(openReadConnection(connection));

parentPort!.on('message', ({ id, job }: WorkerRequest<ReaderJob>) => {
  const run = async (): Promise<ReaderAnswer> => {
    try {
      if (job.method === 'thread') return { value: thread };
      const method = repo[job.method] as (q: unknown) => Promise<unknown>;
      return { value: await method(job.query) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  };
  void run().then((answer) => parentPort!.postMessage({ id, answer } satisfies WorkerReply<ReaderAnswer>));
});
