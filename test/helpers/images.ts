import sharp from 'sharp';

/** A real JPEG carrying EXIF with a GPS position, as a phone camera writes it. */
export async function jpegWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'TestPhone', Model: 'X1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '35/1 33/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '116/1 49/1 0/1' },
    })
    .toBuffer();
}

export async function png(): Promise<Buffer> {
  return sharp({ create: { width: 20, height: 20, channels: 4, background: '#336699' } })
    .png()
    .toBuffer();
}

/** A camera-sized photo (4000×3000, noisy so it does not compress away): several megabytes. */
export async function cameraPhoto(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const raw = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (x >> 16) & 0xff;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}
