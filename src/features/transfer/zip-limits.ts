import zlib from 'node:zlib';

/** Bounds on what an uploaded .xlsx may inflate to. */
export interface ZipLimits {
  /** all entries together, inflated */
  maxInflatedBytes: number;
  maxEntries: number;
}

export class ZipLimitError extends Error {
  constructor(readonly problem: 'unreadable' | 'tooLarge') {
    super(problem);
  }
}

interface Entry {
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Opens a zip (an .xlsx) within limits: the declared sizes of all entries together must fit before
 * anything is inflated, and each entry read is inflated with its declared size as a hard cap, so a
 * zip that lies about its sizes is refused as soon as it inflates past them.
 */
export function openZip(bytes: Buffer, limits: ZipLimits): { has(name: string): boolean; read(name: string): Buffer } {
  const entries = centralDirectory(bytes, limits);
  let declared = 0;
  for (const e of entries.values()) declared += e.size;
  if (declared > limits.maxInflatedBytes) throw new ZipLimitError('tooLarge');
  return {
    has: (name) => entries.has(name),
    read(name) {
      const e = entries.get(name);
      if (!e) throw new ZipLimitError('unreadable');
      const start = e.localOffset + 30 + bytes.readUInt16LE(e.localOffset + 26) + bytes.readUInt16LE(e.localOffset + 28);
      const data = bytes.subarray(start, start + e.compressedSize);
      if (e.method === 0) {
        if (data.length !== e.size) throw new ZipLimitError('unreadable');
        return data;
      }
      let out: Buffer;
      try {
        out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(e.size, 1) });
      } catch (err) {
        throw new ZipLimitError((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'tooLarge' : 'unreadable');
      }
      if (out.length !== e.size) throw new ZipLimitError('unreadable');
      return out;
    },
  };
}

function centralDirectory(bytes: Buffer, limits: ZipLimits): Map<string, Entry> {
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipLimitError('unreadable');
  const count = bytes.readUInt16LE(eocd + 10);
  const cdOffset = bytes.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipLimitError('unreadable'); // zip64: never a real spreadsheet
  if (count > limits.maxEntries) throw new ZipLimitError('tooLarge');
  const entries = new Map<string, Entry>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || bytes.readUInt32LE(p) !== CENTRAL) throw new ZipLimitError('unreadable');
    const nameLength = bytes.readUInt16LE(p + 28);
    const entry: Entry = {
      method: bytes.readUInt16LE(p + 10),
      compressedSize: bytes.readUInt32LE(p + 20),
      size: bytes.readUInt32LE(p + 24),
      localOffset: bytes.readUInt32LE(p + 42),
    };
    const name = bytes.toString('utf8', p + 46, p + 46 + nameLength);
    if (entry.method !== 0 && entry.method !== 8) throw new ZipLimitError('unreadable');
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff) throw new ZipLimitError('unreadable');
    if (entry.localOffset + 30 > cdOffset || bytes.readUInt32LE(entry.localOffset) !== LOCAL) throw new ZipLimitError('unreadable');
    const dataEnd = entry.localOffset + 30 + bytes.readUInt16LE(entry.localOffset + 26) + bytes.readUInt16LE(entry.localOffset + 28) + entry.compressedSize;
    if (dataEnd > cdOffset) throw new ZipLimitError('unreadable');
    if (entries.has(name)) throw new ZipLimitError('unreadable');
    entries.set(name, entry);
    p += 46 + nameLength + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
  }
  return entries;
}
