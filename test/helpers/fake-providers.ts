import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import { acs3Sign, aliyunRpcSignature, dingtalkSign, tc3Sign, webhookSignature } from '../../src/features/notifications/signing.js';

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** whether the request's signature checked out (true when the server checks none) */
  verified: boolean;
}

export interface FakeServer {
  url: string;
  received: Received[];
  /** the answers to give next, in order (then the default answer) */
  answers: Array<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/**
 * A provider on loopback (real HTTP): records every request, checks its signature with `verify`,
 * and answers with the queued answers or `ok`. A request whose signature fails is answered as the
 * provider would (403) and recorded as unverified.
 */
export async function fakeServer(o: { verify?: (r: Omit<Received, 'verified'>) => boolean; ok: unknown; bad?: unknown }): Promise<FakeServer> {
  const received: Received[] = [];
  const answers: FakeServer['answers'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r = { method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const verified = o.verify ? o.verify(r) : true;
      received.push({ ...r, verified });
      const answer = verified ? (answers.shift() ?? { status: 200, body: o.ok }) : { status: 403, body: o.bad ?? { error: 'signature' } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The headers Alibaba Cloud's gateway wants signed in a V3 request. */
const ACS3_REQUIRED = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'];

/**
 * A V3 (ACS3-HMAC-SHA256) request checked as the gateway checks it: the signature recomputed from
 * the request as received (method, path, query, the headers it names, the body's hash) with the
 * secret, and the headers the gateway insists on signed.
 */
export function verifyAcs3(r: Omit<Received, 'verified'>, accessKeySecret: string, action: string, version: string): boolean {
  const auth = r.headers.authorization;
  const m = typeof auth === 'string' ? /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$/.exec(auth) : null;
  if (!m) return false;
  const names = m[2]!.split(';');
  if (!ACS3_REQUIRED.every((n) => names.includes(n))) return false;
  const headers = Object.fromEntries(names.map((n) => [n, String(r.headers[n] ?? '')]));
  if (headers['x-acs-content-sha256'] !== crypto.createHash('sha256').update(r.body, 'utf8').digest('hex')) return false;
  if (headers['x-acs-action'] !== action || headers['x-acs-version'] !== version) return false;
  const { 'x-acs-content-sha256': _hashed, ...rest } = headers;
  void _hashed;
  const signed = acs3Sign({
    method: r.method as 'POST',
    path: r.path,
    query: Object.fromEntries(r.query),
    headers: rest,
    body: r.body,
    accessKeyId: m[1]!,
    accessKeySecret,
  });
  return signed.signature === m[3];
}

/**
 * Alibaba Cloud's Dysmsapi: a V3 request (Authorization: ACS3-HMAC-SHA256 …) has its signature
 * recomputed; any other must carry a valid RPC signature in its form body. Both with the secret.
 */
export const fakeAliyun = (secret: string) =>
  fakeServer({
    ok: { Code: 'OK', Message: 'OK', BizId: '900619746936498440^0', RequestId: 'F655A8D5-B967-440B-8683-DAD6FF8DE990' },
    bad: { Code: 'SignatureDoesNotMatch' },
    verify: (r) => {
      if (r.headers.authorization !== undefined) return r.method === 'POST' && verifyAcs3(r, secret, 'SendSms', '2017-05-25');
      const params = Object.fromEntries(new URLSearchParams(r.body));
      const { Signature, ...rest } = params;
      return r.method === 'POST' && Signature === aliyunRpcSignature('POST', rest, secret);
    },
  });

/** The SendSms parameters of a request to the fake, wherever the signature put them (V3: the query and headers; RPC: the form body). */
export function aliyunParams(r: Received): Record<string, string> {
  if (r.headers.authorization === undefined) return Object.fromEntries(new URLSearchParams(r.body));
  return { ...Object.fromEntries(r.query), Action: String(r.headers['x-acs-action']), Version: String(r.headers['x-acs-version']) };
}

/** Tencent Cloud's SMS API: checks the TC3-HMAC-SHA256 Authorization header with the key pair. */
export const fakeTencent = (secretId: string, secretKey: string) =>
  fakeServer({
    ok: {
      Response: {
        SendStatusSet: [{ SerialNo: '5000:1045710669157053657849499619', Code: 'Ok', Message: 'send success' }],
        RequestId: 'a0aabda6-cf91-4f3e-a81f-9198114a2279',
      },
    },
    bad: { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: '' } } },
    verify: (r) => {
      const timestamp = Number(r.headers['x-tc-timestamp']);
      const signed = tc3Sign({
        secretId,
        secretKey,
        service: 'sms',
        host: String(r.headers.host),
        timestamp,
        payload: r.body,
        contentType: String(r.headers['content-type']),
      });
      return r.headers['x-tc-action'] === 'SendSms' && r.headers['x-tc-version'] === '2021-01-11' && r.headers.authorization === signed.authorization;
    },
  });

/** A WeCom group robot: markdown messages only. */
export const fakeWecom = () =>
  fakeServer({ ok: { errcode: 0, errmsg: 'ok' }, verify: (r) => (JSON.parse(r.body) as { msgtype?: string }).msgtype === 'markdown' });

/** A DingTalk robot with 加签: timestamp and sign in the query. */
export const fakeDingtalk = (secret: string) =>
  fakeServer({
    ok: { errcode: 0, errmsg: 'ok' },
    bad: { errcode: 310000, errmsg: 'sign not match' },
    verify: (r) => {
      const ts = Number(r.query.get('timestamp'));
      return Math.abs(ts - Date.now()) < 3600_000 * 24 * 365 * 10 && r.query.get('sign') === dingtalkSign(secret, ts);
    },
  });

/** The county's own system: checks X-Mashang-Signature over timestamp.body. */
export const fakeWebhook = (secret: string) =>
  fakeServer({
    ok: { received: true },
    verify: (r) => r.headers['x-mashang-signature'] === webhookSignature(secret, Number(r.headers['x-mashang-timestamp']), r.body),
  });
