/** Hand-made multipart bodies, for the ways a phone or a client gets them wrong. */
export const BOUNDARY = 'mashangBoundary7MA4YWxkTrZu0gW';

export type Part = { name: string; value: string } | { name: string; filename: string; data: Buffer; type?: string };

export function multipartBody(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ('filename' in p) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'image/jpeg'}\r\n\r\n`,
        ),
      );
      chunks.push(p.data, Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** The same body cut off in the middle of its last part, as when a phone loses signal. */
export function truncated(body: Buffer): Buffer {
  return body.subarray(0, body.length - Math.min(body.length - 1, 40));
}

export const multipartType = (boundary = BOUNDARY) => `multipart/form-data; boundary=${boundary}`;

/** A body whose second part has a header line busboy cannot read. */
export function badPartHeader(fields: Record<string, string>, boundary = BOUNDARY): Buffer {
  const good = Object.entries(fields).map(([name, value]) => ({ name, value }));
  const body = multipartBody(good, boundary)
    .toString('latin1')
    .replace(/--\r\n$/, '\r\n');
  return Buffer.concat([Buffer.from(body, 'latin1'), Buffer.from(`Content-Disposition form-data no colon here\r\n\r\nx\r\n--${boundary}--\r\n`)]);
}
