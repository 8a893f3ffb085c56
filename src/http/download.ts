import type { Response } from 'express';

/**
 * Writes a download as its chunks are made (by a generator, or an async one that reads as it goes),
 * in flat memory: when the response's buffer is full it waits for 'drain' before asking for the
 * next chunk (a slow client holds back the reading, not the server's memory), and lets other
 * requests run between any two chunks. It stops asking for chunks as soon as the client goes away.
 * Returns whether every chunk was written; the caller ends the response.
 */
export async function writeChunks(res: Response, chunks: Iterable<string> | AsyncIterable<string>): Promise<boolean> {
  let gone = res.destroyed;
  let wake: (() => void) | undefined;
  const onClose = () => {
    gone = true;
    wake?.();
  };
  res.on('close', onClose);
  try {
    for await (const chunk of chunks) {
      if (gone) return false;
      if (chunk.length > 0 && !res.write(chunk)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once('drain', resolve);
        });
        res.off('drain', wake!);
        wake = undefined;
      }
      // Always through the event loop: 'drain' may come straight from the write (on a fast
      // socket), and other requests would wait until the whole file is written.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return !gone;
  } finally {
    res.off('close', onClose);
  }
}
