import crypto from 'node:crypto';

/**
 * Request signing for the SMS providers and the cadres' channels, as their public documentation
 * describes it. Pure functions: the unit tests check them against the documented examples, and the
 * fake providers in the integration tests verify every request with them.
 */

/** Alibaba Cloud's percent-encoding: RFC 3986, only A–Z a–z 0–9 - _ . ~ left as they are. */
export function aliyunPercentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The sorted, encoded query of an RPC request (without Signature). */
export function aliyunCanonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(params[k]!)}`)
    .join('&');
}

/** StringToSign = METHOD & %2F & percentEncode(canonical query). */
export function aliyunStringToSign(method: 'GET' | 'POST', params: Record<string, string>): string {
  return `${method}&${aliyunPercentEncode('/')}&${aliyunPercentEncode(aliyunCanonicalQuery(params))}`;
}

/** The RPC signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0): Base64(HMAC-SHA1(secret + '&', StringToSign)). */
export function aliyunRpcSignature(method: 'GET' | 'POST', params: Record<string, string>, accessKeySecret: string): string {
  return crypto.createHmac('sha1', `${accessKeySecret}&`).update(aliyunStringToSign(method, params)).digest('base64');
}

const sha256Hex = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
const hmac256 = (key: crypto.BinaryLike, s: string) => crypto.createHmac('sha256', key).update(s, 'utf8').digest();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** the product: 'sms' (or 'cvm' in the documented example) */
  service: string;
  host: string;
  /** seconds since the epoch (X-TC-Timestamp) */
  timestamp: number;
  payload: string;
  contentType?: string;
}

/** Tencent Cloud API 3.0's TC3-HMAC-SHA256 for a POST of JSON to '/', signing content-type and host. */
export function tc3Sign(input: Tc3Input): { authorization: string; signature: string; canonicalRequest: string; stringToSign: string; date: string } {
  const contentType = input.contentType ?? 'application/json; charset=utf-8';
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const signedHeaders = 'content-type;host';
  const canonicalRequest = ['POST', '/', '', `content-type:${contentType}\nhost:${input.host}\n`, signedHeaders, sha256Hex(input.payload)].join('\n');
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestamp), scope, sha256Hex(canonicalRequest)].join('\n');
  const secretDate = hmac256(`TC3${input.secretKey}`, date);
  const secretService = hmac256(secretDate, input.service);
  const secretSigning = hmac256(secretService, 'tc3_request');
  const signature = crypto.createHmac('sha256', secretSigning).update(stringToSign, 'utf8').digest('hex');
  const authorization = `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, signature, canonicalRequest, stringToSign, date };
}

/** DingTalk's custom robot: sign = Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), timestamp in ms. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return crypto.createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** Our own webhooks: X-Mashang-Signature = sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export interface Acs3Input {
  method: 'GET' | 'POST';
  /** the path, '/' for an RPC-style API such as Dysmsapi */
  path: string;
  /** the query's parameters (sorted and encoded here) */
  query: Record<string, string>;
  /** host, x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce (and content-type with a body) */
  headers: Record<string, string>;
  body: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/**
 * Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256, "V3 request structure and signature"): the
 * canonical request is METHOD, path, the sorted encoded query, the host, content-type and x-acs-*
 * headers (lower-case, sorted, trimmed), their names, and the hex SHA-256 of the body; the string to
 * sign is the algorithm and the hex SHA-256 of that; the signature the hex HMAC-SHA256 of it with
 * the plain secret (no '&', unlike the RPC signature). Returns the headers to send, with
 * x-acs-content-sha256 and Authorization added.
 */
export function acs3Sign(input: Acs3Input): {
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  authorization: string;
} {
  const hashedPayload = sha256Hex(input.body);
  const headers: Record<string, string> = { ...input.headers, 'x-acs-content-sha256': hashedPayload };
  const signed = Object.keys(headers)
    .map((k) => [k.toLowerCase(), headers[k]!.trim()] as const)
    .filter(([k]) => k === 'host' || k === 'content-type' || k.startsWith('x-acs-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = signed.map(([k]) => k).join(';');
  const canonicalRequest = [
    input.method,
    input.path,
    aliyunCanonicalQuery(input.query),
    signed.map(([k, v]) => `${k}:${v}\n`).join(''),
    signedHeaders,
    hashedPayload,
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`;
  const signature = crypto.createHmac('sha256', input.accessKeySecret).update(stringToSign, 'utf8').digest('hex');
  const authorization = `ACS3-HMAC-SHA256 Credential=${input.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers: { ...headers, Authorization: authorization }, canonicalRequest, stringToSign, signature, authorization };
}
