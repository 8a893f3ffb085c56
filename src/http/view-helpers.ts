import { PHONE_IN_TEXT, telHref } from '../domain/phone.js';
import { chinaClock } from '../domain/time.js';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

/** Escapes text and turns the phone numbers in it (0537-1234567, 12345, 1990000xxxx) into tel: links. */
export function phoneLinks(text: string): string {
  return escapeHtml(text).replace(PHONE_IN_TEXT, (n) => `<a href="${telHref(n)}">${n}</a>`);
}

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** 2026年12月1日（周二）, in China time. */
export function formatDate(iso: string): string {
  const c = chinaClock(iso);
  return `${c.year}年${c.month}月${c.day}日（周${WEEKDAYS[c.weekday]}）`;
}

/** 12月1日 09:05, in China time. */
export function formatDateTime(iso: string): string {
  const c = chinaClock(iso);
  return `${c.month}月${c.day}日 ${String(c.hours).padStart(2, '0')}:${String(c.minutes).padStart(2, '0')}`;
}

const ICON_PATHS: Record<string, string> = {
  help: '<circle cx="12" cy="7" r="4"/><path d="M4 21v-1a6 6 0 0 1 6-6h4a6 6 0 0 1 6 6v1"/>',
  catalog: '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21"/>',
  apply: '<path d="M6 3h9l4 4v14H6z"/><path d="M14 3v5h5"/><path d="M9 13h7M9 17h5"/>',
  speak: '<path d="M4 5h16v11H10l-5 4v-4H4z"/><path d="M8 9.5h8M8 12.5h5"/>',
  phone: '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2"/>',
};

/** A small inline SVG icon (decorative: hidden from screen readers). */
export function icon(name: keyof typeof ICON_PATHS): string {
  const paths = ICON_PATHS[name];
  if (!paths) throw new Error(`unknown icon ${name}`);
  return `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">${paths}</svg>`;
}
