import sharp from 'sharp';

/**
 * Image work is the one thing here that can take hundreds of megabytes: a 50-megapixel photo
 * decodes to 150 MB of pixels, and twenty phones sending three photos each at once would decode
 * sixty. So photos are decoded a few at a time (the rest wait their turn, their bytes already in
 * memory), libvips keeps no cache of past operations (every photo is different, a cache only holds
 * memory) and gives each image one thread (the slots already keep the cores busy).
 */
export const IMAGE_SLOTS = 2;
sharp.cache(false);
sharp.concurrency(1);

/** A counting semaphore: at most `slots` tasks run at once, the others wait in order. */
export function createLimiter(slots: number) {
  let active = 0;
  let peak = 0;
  const waiting: Array<() => void> = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      // A finishing task hands its slot straight to the next in line, so none can slip in between.
      if (active < slots) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      peak = Math.max(peak, active);
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return waiting.length;
    },
    get peak() {
      return peak;
    },
  };
}

/** The one queue every sharp call of the app goes through. */
export const imageWork = createLimiter(IMAGE_SLOTS);
