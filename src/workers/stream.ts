import { parentPort } from 'node:worker_threads';
import type { Response } from 'express';
import { performance } from 'node:perf_hooks';
import { villagersWaiting } from '../http/yield.js';
import { startWorker, WorkerFailure } from './run.js';

/**
 * What a streaming worker posts: bytes to send (UTF-8, their memory handed over rather than copied),
 * then its end (or why it could not go on).
 */
export type StreamMessage = { chunk: Uint8Array; rows: number } | { done: true; rows: number } | { failed: string };

/** Chunks a worker may have posted that the response has not yet taken: its read-ahead. */
const CREDIT = 2;
/** Characters a worker gathers before posting them. */
const CHUNK_CHARS = 64 * 1024;

export interface Streamed {
  /** every chunk was written (false: the client went away first) */
  complete: boolean;
  /** rows the worker read (sent, or about to be) */
  rows: number;
}

/**
 * Runs a download's reading and formatting in a worker thread started on `entry` (given `data`),
 * writing the bytes it posts to `res` at the response's pace: the worker runs at most CREDIT chunks
 * ahead of what the socket took, so a slow client holds back the reading and memory stays flat,
 * and this thread only copies bytes. `start` is called before the first chunk is written (to set
 * the headers): a worker that fails before that leaves the response untouched, and the caller can
 * answer with an error page. Rejects with WorkerFailure when the worker fails; the caller must then
 * not end the response as if it were complete. Stops the worker when the client goes away.
 */
export function streamFromWorker(
  entry: URL,
  data: unknown,
  res: Response,
  start: () => void,
  opts: { maxHeapMb?: number; yieldMs?: number; busy?: () => boolean } = {},
): Promise<Streamed> {
  const yieldMs = opts.yieldMs ?? 0;
  const busy = opts.busy ?? villagersWaiting;
  return new Promise<Streamed>((resolve, reject) => {
    const worker = startWorker(entry, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 128 } });
    let rows = 0;
    let started = false;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      res.off('close', onClose);
      void worker.terminate();
      f();
    };
    const onClose = () => settle(() => resolve({ complete: false, rows }));
    res.on('close', onClose);
    // The go-ahead for the next chunk; while this thread is busy (villagers' requests) it waits up
    // to yieldMs first, so that the reading (and on PostgreSQL the server's work) slows down.
    const more = () => {
      if (settled) return;
      if (yieldMs <= 0 || !busy()) return worker.postMessage('more');
      const until = performance.now() + yieldMs;
      const check = () => {
        if (settled) return;
        if (!busy() || performance.now() >= until) worker.postMessage('more');
        else setTimeout(check, 5);
      };
      setTimeout(check, 5);
    };
    worker.on('message', (m: StreamMessage) => {
      if ('failed' in m) return settle(() => reject(new WorkerFailure('crashed', new Error(m.failed))));
      rows = m.rows;
      if ('done' in m) return settle(() => resolve({ complete: !res.destroyed, rows }));
      if (!started) {
        started = true;
        start();
      }
      if (res.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength))) more();
      else res.once('drain', more);
    });
    worker.on('error', (err: Error & { code?: string }) =>
      settle(() => reject(new WorkerFailure(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crashed', err))),
    );
    worker.on('exit', () => settle(() => reject(new WorkerFailure('crashed'))));
  });
}

/**
 * In a worker started by streamFromWorker: posts the text of `parts` in chunks of about
 * CHUNK_CHARS, waiting for the main thread's go-ahead when CREDIT chunks are unread, then its end;
 * a failure is posted as such (never as an end). `rows` counts what the parts hold. `close` runs
 * before the end is posted (the worker's connection).
 */
export async function serveStream(parts: AsyncIterable<{ text: string; rows: number }>, close: () => Promise<void>): Promise<void> {
  const port = parentPort!;
  let credit = CREDIT;
  let wake: (() => void) | undefined;
  port.on('message', (m: unknown) => {
    if (m === 'more') {
      credit++;
      wake?.();
    }
  });
  const post = (m: StreamMessage) => port.postMessage(m);
  const encoder = new TextEncoder();
  let rows = 0;
  let buffer = '';
  const flush = async () => {
    while (credit <= 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    credit--;
    // encoded here, and the bytes' memory moved to the main thread: it only writes them
    const chunk = encoder.encode(buffer);
    buffer = '';
    port.postMessage({ chunk, rows } satisfies StreamMessage, [chunk.buffer]);
  };
  try {
    for await (const part of parts) {
      buffer += part.text;
      rows += part.rows;
      if (buffer.length >= CHUNK_CHARS) await flush();
    }
    if (buffer.length) await flush();
    await close();
    post({ done: true, rows });
  } catch (err) {
    await close().catch(() => undefined);
    post({ failed: err instanceof Error ? err.message : String(err) });
  }
  port.close();
}
