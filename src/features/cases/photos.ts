import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { imageWork } from '../../images.js';
import { fsyncDir, writeDurably } from '../../db/durable.js';

export const MAX_PHOTOS = 3;
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
/** About a 50-megapixel camera's photo; larger ones are refused as too big before decoding. */
export const MAX_PHOTO_PIXELS = 50_000_000;
const MAX_EDGE = 1600;
const READABLE = new Set(['jpeg', 'png', 'webp', 'heif']);

/** A file as multer gives it: in memory (buffer) or already on disk (path). */
export interface UploadedFile {
  originalname: string;
  size: number;
  buffer?: Buffer;
  path?: string;
}

const inputOf = (f: UploadedFile): Buffer | string => f.buffer ?? f.path ?? Buffer.alloc(0);

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
 * Reads a photo's header only: a picture format we take, and not too big to decode (by bytes
 * and by pixels: a small file can claim a huge picture).
 */
async function checkPhoto(f: UploadedFile): Promise<void> {
  if (f.size > MAX_PHOTO_BYTES || (f.buffer?.length ?? 0) > MAX_PHOTO_BYTES) throw new PhotoError('tooBig');
  let meta: Metadata;
  try {
    meta = await sharp(inputOf(f), { failOn: 'none' }).metadata();
  } catch {
    throw new PhotoError('notImage');
  }
  if (!meta.format || !READABLE.has(meta.format)) throw new PhotoError('notImage');
  if ((meta.width ?? 0) * (meta.height ?? 0) > MAX_PHOTO_PIXELS) throw new PhotoError('tooBig');
}

/** Runs a re-encoding in the image queue; what libvips cannot decode becomes 'unreadable'. */
async function reencode(f: UploadedFile, build: (img: Sharp) => Sharp): Promise<{ data: Buffer; info: OutputInfo }> {
  return imageWork.run(async () => {
    await checkPhoto(f);
    try {
      return await build(sharp(inputOf(f), { failOn: 'error', limitInputPixels: MAX_PHOTO_PIXELS }).rotate()).toBuffer({ resolveWithObject: true });
    } catch {
      throw new PhotoError('unreadable');
    }
  });
}

/**
 * Checks each photo by its bytes (not its name or declared type), turns it upright and re-encodes
 * it as JPEG: what comes out carries no EXIF (no GPS position, no phone model).
 */
export async function processPhotos(files: UploadedFile[]): Promise<ProcessedPhoto[]> {
  if (files.length > MAX_PHOTOS) throw new PhotoError('tooMany');
  const out: ProcessedPhoto[] = [];
  for (const f of files) {
    const { data, info } = await reencode(f, (img) =>
      img.resize({ width: MAX_EDGE, height: MAX_EDGE, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 80, mozjpeg: true }),
    );
    out.push({ data, mime: 'image/jpeg', width: info.width, height: info.height });
  }
  return out;
}

/** A cadre's portrait for 码上帮: the same checks as a villager's photo, cut square and small. */
export async function processPortrait(f: UploadedFile): Promise<Buffer> {
  return (await reencode(f, (img) => img.resize(320, 320, { fit: 'cover' }).jpeg({ quality: 82, mozjpeg: true }))).data;
}

/**
 * Writes bytes under a fresh random name in `dir` and returns the name. A write that fails half-way
 * (a full disk) leaves no partial file behind.
 */
export function writeNewFile(dir: string, data: Buffer, ext = '.jpg'): string {
  fs.mkdirSync(dir, { recursive: true });
  const name = `${crypto.randomBytes(16).toString('hex')}${ext}`;
  const file = path.join(dir, name);
  try {
    // Synced before the caller commits the row that names it (see the photo store).
    writeDurably(file, data);
  } catch (err) {
    // 'wx' never truncates a file that was there before: only a file this call created is removed.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(file, { force: true });
    throw err;
  }
  return name;
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
      const names: string[] = [];
      try {
        for (const p of photos) names.push(writeNewFile(dir, p.data));
        if (names.length) fsyncDir(dir);
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
