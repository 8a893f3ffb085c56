import type { ReadConnection } from '../../workers/connection.js';
import type { ThreadPriority } from '../../workers/priority.js';
import { workerQueue } from '../../workers/run.js';
import type { StatsRepo } from './repo.js';

/** The niceness of the dashboard's reader thread: below the main thread's requests, above an export's. */
export const READER_NICE = 10;

type Method = 'totals' | 'byVillage' | 'byDistrict' | 'perHour';
export type ReaderJob = { method: Method; query: unknown } | { method: 'thread' };
export type ReaderAnswer = { value: unknown } | { error: string };

/** The stats repo whose reads run in a worker thread (reader-worker.ts) on a connection of its own. */
export interface StatsReader extends StatsRepo {
  /** the reader thread's id and niceness, as it set them (Linux) */
  thread(): Promise<ThreadPriority>;
}

/**
 * The dashboard's reads in a worker thread of lower priority with a read-only connection to the
 * SQLite file (PostgreSQL's reads are asynchronous already): the district's figures, tens of
 * milliseconds of SQLite's work, no longer hold the event loop. One read at a time; a thread that
 * fails or overruns is replaced for the next read.
 */
export function statsReader(connection: ReadConnection): StatsReader {
  const run = workerQueue<ReaderJob, ReaderAnswer>(new URL('./reader-worker.js', import.meta.url), {
    timeoutMs: 60_000,
    maxHeapMb: 128,
    workerData: { connection },
  });
  const call = async <R>(job: ReaderJob): Promise<R> => {
    const answer = await run(job);
    if ('error' in answer) throw new Error(`dashboard reader: ${answer.error}`);
    return answer.value as R;
  };
  return {
    totals: (query) => call({ method: 'totals', query }),
    byVillage: (query) => call({ method: 'byVillage', query }),
    byDistrict: (query) => call({ method: 'byDistrict', query }),
    perHour: (query) => call({ method: 'perHour', query }),
    thread: () => call({ method: 'thread' }),
  };
}
