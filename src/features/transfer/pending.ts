import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Encoding } from './table.js';
import type { DatasetName } from './datasets.js';

/** How long a checked file waits for its confirmation. */
export const PENDING_MAX_AGE_MS = 3600_000;

interface Meta {
  userId: number;
  name: DatasetName;
  encoding: Encoding;
  at: number;
}

/**
 * Files checked in a dry run, kept under a random name until the same user confirms the import
 * (then removed), or until they expire: an hour later they are refused, and prune() removes them
 * (the server's jobs run it at start-up and every 10 minutes).
 */
export function createPendingImports(dir: string, now: () => Date = () => new Date()) {
  const files = (id: string) => ({ meta: path.join(dir, `${id}.json`), data: path.join(dir, `${id}.bin`) });
  const remove = (id: string) => {
    const f = files(id);
    fs.rmSync(f.meta, { force: true });
    fs.rmSync(f.data, { force: true });
  };
  return {
    /** Keeps a checked file for `userId`; returns its id. */
    keep(userId: number, name: DatasetName, encoding: Encoding, bytes: Buffer): string {
      fs.mkdirSync(dir, { recursive: true });
      const id = crypto.randomBytes(16).toString('hex');
      const f = files(id);
      fs.writeFileSync(f.data, bytes);
      fs.writeFileSync(f.meta, JSON.stringify({ userId, name, encoding, at: now().getTime() } satisfies Meta));
      return id;
    },

    /** The file, for the user who checked it and the same dataset, within the hour; then it is gone. */
    take(id: string, userId: number, name: DatasetName): { bytes: Buffer; encoding: Encoding } | undefined {
      if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
      const f = files(id);
      let meta: Meta;
      try {
        meta = JSON.parse(fs.readFileSync(f.meta, 'utf8')) as Meta;
      } catch {
        return undefined;
      }
      if (meta.userId !== userId || meta.name !== name) return undefined;
      try {
        if (now().getTime() - meta.at > PENDING_MAX_AGE_MS) return undefined;
        return { bytes: fs.readFileSync(f.data), encoding: meta.encoding };
      } catch {
        return undefined;
      } finally {
        remove(id);
      }
    },

    /** Removes files older than the hour (and any left half-written); returns how many uploads went. */
    prune(): number {
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        return 0;
      }
      const cutoff = now().getTime() - PENDING_MAX_AGE_MS;
      let removed = 0;
      for (const id of new Set(names.map((n) => n.match(/^([0-9a-f]{32})\.(?:json|bin)$/)?.[1]).filter((x): x is string => !!x))) {
        const f = files(id);
        let at: number;
        try {
          at = (JSON.parse(fs.readFileSync(f.meta, 'utf8')) as Meta).at;
        } catch {
          // no readable meta: judge by the file's own age
          try {
            at = fs.statSync(f.data).mtimeMs;
          } catch {
            at = 0;
          }
        }
        if (at < cutoff) {
          remove(id);
          removed++;
        }
      }
      return removed;
    },
  };
}

export type PendingImports = ReturnType<typeof createPendingImports>;
