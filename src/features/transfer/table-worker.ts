import { parentPort } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from '../../workers/run.js';
import { parseTable, TableError, type TableJob, type TableAnswer } from './parse-table.js';

// Reads import files for the main thread (see readTable), one at a time.
parentPort!.on('message', ({ id, job }: WorkerRequest<TableJob>) => {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const reply = (answer: TableAnswer) => parentPort!.postMessage({ id, answer } satisfies WorkerReply<TableAnswer>);
  parseTable(bytes, job.encoding, job.maxRows).then(
    (table) => reply({ table }),
    (err: unknown) => {
      if (err instanceof TableError) reply({ problem: err.message });
      else throw err;
    },
  );
});
