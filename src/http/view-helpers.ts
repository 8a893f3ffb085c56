const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

/** Escapes text and turns the phone numbers in it (0537-1234567, 12345, 1990000xxxx) into tel: links. */
export function phoneLinks(text: string): string {
  return escapeHtml(text).replace(/(?<![\d-])(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|12345)(?![\d-])/g, (n) => `<a href="tel:${n.replace(/-/g, '')}">${n}</a>`);
}

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
const china = (iso: string) => new Date(Date.parse(iso) + 8 * 3600 * 1000);

/** 2026年12月1日（周二）, in China time. */
export function formatDate(iso: string): string {
  const d = china(iso);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日（周${WEEKDAYS[d.getUTCDay()]}）`;
}

/** 12月1日 09:05, in China time. */
export function formatDateTime(iso: string): string {
  const d = china(iso);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}
