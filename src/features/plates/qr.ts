import QRCode from 'qrcode';

/** Plates hang outdoors and get dirty: error correction Q (25 %), and the standard 4-module quiet zone. */
export const QR_OPTIONS = { errorCorrectionLevel: 'Q' as const, margin: 4 };

/** The address a plate's QR opens, always from PUBLIC_BASE_URL (never the request's Host). */
export function plateUrl(publicBaseUrl: string, kind: 'household' | 'village', token: string): string {
  return `${publicBaseUrl}/${kind === 'household' ? 'p' : 'v'}/${token}`;
}

/** Crisp at any print size: one path, not a rectangle per module. */
export async function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { ...QR_OPTIONS, type: 'svg', color: { dark: '#000000', light: '#ffffff' } });
}

export async function qrPng(url: string, scale = 10): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...QR_OPTIONS, type: 'png', scale });
}

/**
 * The dark modules as horizontal runs (row, first column, length), quiet zone excluded, for
 * drawing into a PDF with few operations.
 */
export function qrRuns(url: string): { size: number; runs: Array<[number, number, number]> } {
  const qr = QRCode.create(url, { errorCorrectionLevel: QR_OPTIONS.errorCorrectionLevel });
  const size = qr.modules.size;
  const data = qr.modules.data;
  const runs: Array<[number, number, number]> = [];
  for (let y = 0; y < size; y++) {
    let x = 0;
    while (x < size) {
      if (data[y * size + x]) {
        const start = x;
        while (x < size && data[y * size + x]) x++;
        runs.push([y, start, x - start]);
      } else x++;
    }
  }
  return { size, runs };
}
