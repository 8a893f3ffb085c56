import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

// The package is a UMD bundle whose types claim a default export; at run time it may be either.
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = ((jsQRModule as unknown as { default?: Decode }).default ?? jsQRModule) as unknown as Decode;

/** Decodes the QR code in a PNG (or in a region of it); undefined when none is found. */
export function decodeQrPng(png: Buffer, region?: { x: number; y: number; width: number; height: number }): string | undefined {
  const img = PNG.sync.read(png);
  let { data, width, height } = img;
  if (region) {
    const out = new Uint8ClampedArray(region.width * region.height * 4);
    for (let y = 0; y < region.height; y++) {
      const from = ((region.y + y) * width + region.x) * 4;
      out.set(img.data.subarray(from, from + region.width * 4), y * region.width * 4);
    }
    data = Buffer.from(out.buffer);
    width = region.width;
    height = region.height;
  }
  return jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height)?.data;
}
