import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { fsyncDir } from '../../db/durable.js';

export const MAX_PHOTOS = 3;
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
const MAX_EDGE = 1600;
const READABLE = new Set(['jpeg', 'png', 'webp', 'heif']);

export interface UploadedFile {
  originalname: string;
  buffer: Buffer;
  size: number;
}

export interface ProcessedPhoto {
  data: Buffer;
  mime: 'image/jpeg';
  width: number;
  height: number;
}

/** Why a photo was refused, as a key of the i18n dictionary (cases.errors.*). */
export class PhotoError extends Error {
  constructor(readonly reason: 'tooMany' | 'tooBig' | 'notImage' | 'unreadable') {
    super(reason);
  }
}

/**
 * Checks each photo by its bytes (not its name or declared type), turns it upright and re-encodes
 * it as JPEG: what comes out carries no EXIF (no GPS position, no phone model).
 */
export async function processPhotos(files: UploadedFile[]): Promise<ProcessedPhoto[]> {
  if (files.length > MAX_PHOTOS) throw new PhotoError('tooMany');
  const out: ProcessedPhoto[] = [];
  for (const f of files) {
    if (f.size > MAX_PHOTO_BYTES) throw new PhotoError('tooBig');
    let format: string | undefined;
    try {
      format = (await sharp(f.buffer, { failOn: 'none' }).metadata()).format;
    } catch {
      throw new PhotoError('notImage');
    }
    if (!format || !READABLE.has(format)) throw new PhotoError('notImage');
    try {
      const { data, info } = await sharp(f.buffer, { failOn: 'error', limitInputPixels: 50_000_000 })
        .rotate()
        .resize({ width: MAX_EDGE, height: MAX_EDGE, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80, mozjpeg: true })
        .toBuffer({ resolveWithObject: true });
      out.push({ data, mime: 'image/jpeg', width: info.width, height: info.height });
    } catch {
      throw new PhotoError('unreadable');
    }
  }
  return out;
}

/** Photos live under the data folder with random names, never in the web root. */
export function createPhotoStore(dataDir: string) {
  const dir = path.resolve(dataDir, 'photos');
  return {
    dir,
    /**
     * Writes the files and returns their names; the caller removes them if the case is not saved.
     * Each file, and then the folder, is synced to disk before this returns: the case row that
     * names them is committed after, so a receipt never points at a photo a power cut could lose.
     */
    write(photos: ProcessedPhoto[]): string[] {
      if (photos.length === 0) return [];
      fs.mkdirSync(dir, { recursive: true });
      const names: string[] = [];
      try {
        for (const p of photos) {
          const name = `${crypto.randomBytes(16).toString('hex')}.jpg`;
          const fd = fs.openSync(path.join(dir, name), 'wx');
          names.push(name);
          try {
            fs.writeFileSync(fd, p.data);
            fs.fsyncSync(fd);
          } finally {
            fs.closeSync(fd);
          }
        }
        fsyncDir(dir);
      } catch (err) {
        this.remove(names);
        throw err;
      }
      return names;
    },
    remove(names: string[]): void {
      for (const n of names) fs.rmSync(path.join(dir, path.basename(n)), { force: true });
    },
    path(name: string): string {
      return path.join(dir, path.basename(name));
    },
  };
}

export type PhotoStore = ReturnType<typeof createPhotoStore>;
