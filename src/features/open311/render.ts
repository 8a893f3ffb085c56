/**
 * GeoReport v2 documents in both of the spec's formats. JSON is the value itself; XML is written
 * here by hand because the spec's XML is plain nested elements: what matters is the escaping and
 * dropping the characters XML 1.0 cannot carry (a control character in a villager's text must not
 * make the whole document unreadable).
 */
import type { Response } from 'express';
import type { Format } from './spec.js';

export type Value = string | number | boolean | null | undefined | Value[] | { [key: string]: Value };

/** The element name of each member of a list, by the list's name (the spec's plural → singular). */
const ITEM_NAMES: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  endpoints: 'endpoint',
  formats: 'format',
  attributes: 'attribute',
  values: 'value',
};

// Everything outside XML 1.0's Char production.
// eslint-disable-next-line no-control-regex -- tab, newline and carriage return are the control characters XML allows
const NOT_XML_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(s: string): string {
  return s.replace(NOT_XML_CHAR, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function element(name: string, v: Value): string {
  if (v === null || v === undefined || v === '') return `<${name}/>`;
  if (Array.isArray(v)) {
    const item = ITEM_NAMES[name] ?? 'item';
    return `<${name}>${v.map((x) => element(item, x)).join('')}</${name}>`;
  }
  if (typeof v === 'object')
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => element(k, x))
      .join('')}</${name}>`;
  return `<${name}>${escapeXml(String(v))}</${name}>`;
}

/** The document as XML under its root element (a list's members get the spec's singular names). */
export function toXml(root: string, v: Value): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${element(root, v)}`;
}

/** Sends a document in the format asked for: JSON as it is, XML under `root`. */
export function send(res: Response, format: Format, status: number, root: string, v: Value): void {
  res.status(status);
  if (format === 'xml') {
    res.type('text/xml; charset=utf-8').send(toXml(root, v));
    return;
  }
  res.type('application/json; charset=utf-8').send(JSON.stringify(v));
}

/** The spec's error shape: `[{"code": 400, "description": "…"}]`, `<errors><error>…</error></errors>`. */
export function sendError(res: Response, format: Format, status: number, description: string): void {
  send(res, format, status, 'errors', [{ code: status, description }]);
}
