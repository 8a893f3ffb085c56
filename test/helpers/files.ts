import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '../../src/db/index.js';
import { seededDb } from './db.js';

/** Temporary folders, removed by cleanUp(). */
export function tempDirs() {
  const made: string[] = [];
  return {
    make(prefix = 'mashang-'): string {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(d);
      return d;
    },
    cleanUp(): void {
      for (const d of made.splice(0)) {
        fs.chmodSync(d, 0o700);
        fs.rmSync(d, { recursive: true, force: true });
      }
    },
  };
}

/** The seeded demo written to a database file (as a running installation has it), then opened as the server opens it. */
export function seededFile(file: string): Db {
  const image = seededDb();
  image.prepare('VACUUM INTO ?').run(file);
  image.close();
  return openDb(file);
}

/** Overwrites one page of a database file with garbage, as a failing disk might. */
export function damagePage(file: string, page: number): void {
  const header = Buffer.alloc(18);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.readSync(fd, header, 0, 18, 0);
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    fs.writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (page - 1) * pageSize);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
