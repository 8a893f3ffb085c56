import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Config, SmsMessage } from '../../config.js';
import { maskPhone } from '../../domain/phone.js';
import { acs3Sign, aliyunCanonicalQuery, aliyunRpcSignature, dingtalkSign, tc3Sign, webhookSignature } from './signing.js';

/** What an attempt came to: sent (with the provider's id), or failed, to retry or not. */
export type SendResult = { ok: true; providerId: string | null; answer: string } | { ok: false; retry: boolean; code: string; answer: string };

/** One SMS to one phone: the text as the log shows it, and the template parameters for the provider. */
export interface SmsOut {
  /** the delivery's id: the provider's idempotency or context id where it has one */
  id: number;
  phone: string;
  message: SmsMessage;
  text: string;
  params: Record<string, string>;
}

export interface SmsProvider {
  name: 'log' | 'aliyun' | 'tencent';
  send(sms: SmsOut): Promise<SendResult>;
}

const TIMEOUT_MS = 10_000;

/** A POST (or GET) that never throws: a network failure or a timeout is a result to retry. */
async function call(url: string, init: RequestInit): Promise<{ status: number; text: string } | { status: 0; text: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: (err as Error).name === 'TimeoutError' ? 'timeout' : String((err as Error).message ?? err) };
  }
}

const json = (text: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** A transport failure, a throttle (429) or a server error (5xx) is worth another try. */
const transient = (status: number) => status === 0 || status === 429 || status >= 500;

/** `log`: the message goes to the log (phone masked) and the delivery table; nothing leaves the machine. */
export function logProvider(logger?: Logger): SmsProvider {
  return {
    name: 'log',
    send(sms) {
      logger?.info({ delivery: sms.id, phone: maskPhone(sms.phone), message: sms.message, text: sms.text }, 'sms (log provider)');
      return Promise.resolve({ ok: true, providerId: `log-${sms.id}`, answer: 'logged' });
    },
  };
}

// Alibaba Cloud's codes that no retry will change: the number, the template, the signature, the balance.
const ALIYUN_RETRY = new Set([
  'isv.BUSINESS_LIMIT_CONTROL',
  'Throttling.User',
  'Throttling',
  'ServiceUnavailable',
  'InternalError',
  'isp.SYSTEM_ERROR',
  'isp.RAM_PERMISSION_DENY',
]);

/**
 * 阿里云短信 SendSms (Dysmsapi 2017-05-25), signed with the V3 signature (ACS3-HMAC-SHA256, the
 * parameters in the query, an empty body) or the older RPC one (HMAC-SHA1, the parameters in a
 * form body), as MASHANG_SMS_ALIYUN_SIGNATURE says; OutId carries the delivery id.
 */
export function aliyunProvider(sms: Config['notify']['sms'], opts: { now?: () => Date; nonce?: () => string } = {}): SmsProvider {
  const endpoint = sms.endpoint ?? 'https://dysmsapi.aliyuncs.com';
  const host = new URL(endpoint).host;
  const now = opts.now ?? (() => new Date());
  const nonce = opts.nonce ?? (() => crypto.randomUUID());
  const timestamp = () =>
    now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');

  const v3 = (params: Record<string, string>) => {
    const signed = acs3Sign({
      method: 'POST',
      path: '/',
      query: params,
      headers: {
        host,
        'x-acs-action': 'SendSms',
        'x-acs-version': '2017-05-25',
        'x-acs-date': timestamp(),
        'x-acs-signature-nonce': nonce(),
      },
      body: '',
      accessKeyId: sms.accessKeyId,
      accessKeySecret: sms.accessKeySecret,
    });
    // fetch sets Host itself (from the URL, the same value).
    const { host: _host, ...headers } = signed.headers;
    void _host;
    return call(`${endpoint}/?${aliyunCanonicalQuery(params)}`, { method: 'POST', headers });
  };

  const rpc = (params: Record<string, string>) => {
    const all: Record<string, string> = {
      ...params,
      AccessKeyId: sms.accessKeyId,
      Action: 'SendSms',
      Format: 'JSON',
      RegionId: 'cn-hangzhou',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: nonce(),
      SignatureVersion: '1.0',
      Timestamp: timestamp(),
      Version: '2017-05-25',
    };
    const signature = aliyunRpcSignature('POST', all, sms.accessKeySecret);
    const body = `${aliyunCanonicalQuery(all)}&Signature=${encodeURIComponent(signature)}`;
    return call(`${endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  };

  return {
    name: 'aliyun',
    async send(out) {
      const params: Record<string, string> = {
        OutId: String(out.id),
        PhoneNumbers: out.phone,
        SignName: sms.signName,
        TemplateCode: sms.templates?.[out.message] ?? '',
        TemplateParam: JSON.stringify(out.params),
      };
      const res = await (sms.aliyunSignature === 'rpc' ? rpc(params) : v3(params));
      const answer = json(res.text);
      const code = typeof answer?.Code === 'string' ? answer.Code : `HTTP ${res.status}`;
      if (res.status === 200 && code === 'OK') return { ok: true, providerId: typeof answer?.BizId === 'string' ? answer.BizId : null, answer: res.text };
      return { ok: false, retry: transient(res.status) || ALIYUN_RETRY.has(code), code, answer: res.text };
    },
  };
}

// Tencent Cloud's error codes worth another try: throttles, and its own internal errors.
const tencentRetry = (code: string) =>
  code === 'RequestLimitExceeded' ||
  code.startsWith('InternalError') ||
  code === 'LimitExceeded.PhoneNumberThirtySecondLimit' ||
  code === 'LimitExceeded.PhoneNumberOneHourLimit' ||
  code === 'FailedOperation.JsonParseFail';

/** 腾讯云短信 SendSms (2021-01-11) with TC3-HMAC-SHA256; SessionContext carries the delivery id. */
export function tencentProvider(sms: Config['notify']['sms'], opts: { now?: () => Date } = {}): SmsProvider {
  const endpoint = sms.endpoint ?? 'https://sms.tencentcloudapi.com';
  const host = new URL(endpoint).host;
  const now = opts.now ?? (() => new Date());
  return {
    name: 'tencent',
    async send(out) {
      const order = TENCENT_PARAM_ORDER[out.message];
      const payload = JSON.stringify({
        PhoneNumberSet: [`+86${out.phone}`],
        SmsSdkAppId: sms.sdkAppId,
        SignName: sms.signName,
        TemplateId: sms.templates?.[out.message] ?? '',
        TemplateParamSet: order.map((k) => out.params[k] ?? ''),
        SessionContext: String(out.id),
      });
      const timestamp = Math.floor(now().getTime() / 1000);
      const signed = tc3Sign({ secretId: sms.accessKeyId, secretKey: sms.accessKeySecret, service: 'sms', host, timestamp, payload });
      const res = await call(`${endpoint}/`, {
        method: 'POST',
        headers: {
          Authorization: signed.authorization,
          'Content-Type': 'application/json; charset=utf-8',
          'X-TC-Action': 'SendSms',
          'X-TC-Timestamp': String(timestamp),
          'X-TC-Version': '2021-01-11',
          'X-TC-Region': sms.region,
        },
        body: payload,
      });
      const response = json(res.text)?.Response as { Error?: { Code?: string }; SendStatusSet?: Array<{ Code?: string; SerialNo?: string }> } | undefined;
      if (res.status !== 200 || !response) return { ok: false, retry: true, code: `HTTP ${res.status}`, answer: res.text };
      if (response.Error) {
        const code = response.Error.Code ?? 'Error';
        return { ok: false, retry: tencentRetry(code), code, answer: res.text };
      }
      const status = response.SendStatusSet?.[0];
      if (status?.Code === 'Ok') return { ok: true, providerId: status.SerialNo ?? null, answer: res.text };
      const code = status?.Code ?? 'NoStatus';
      return { ok: false, retry: tencentRetry(code), code, answer: res.text };
    },
  };
}

/** Tencent's templates take their parameters in order: {1}, {2}, … (README). */
export const TENCENT_PARAM_ORDER: Record<SmsMessage, string[]> = {
  received: ['no', 'link'],
  replied: ['no', 'link'],
  resolved: ['no', 'link'],
  rejected: ['no', 'link'],
  extended: ['no', 'due', 'link'],
};

export function smsProvider(sms: Config['notify']['sms'], logger?: Logger): SmsProvider {
  if (sms.provider === 'aliyun') return aliyunProvider(sms);
  if (sms.provider === 'tencent') return tencentProvider(sms);
  return logProvider(logger);
}

/** A cadres' channel message: a title and markdown for the robots, the event as JSON for webhooks. */
export interface ChannelOut {
  id: number;
  kind: 'wecom' | 'dingtalk' | 'webhook';
  url: string;
  secret: string | null;
  title: string;
  markdown: string;
  /** the webhook's JSON body */
  event: Record<string, unknown>;
}

/** 企业微信群机器人, 钉钉自定义机器人 and our own signed webhook. */
export async function sendToChannel(out: ChannelOut, now: Date): Promise<SendResult> {
  if (out.kind === 'webhook') {
    const body = JSON.stringify(out.event);
    const timestamp = Math.floor(now.getTime() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'X-Mashang-Timestamp': String(timestamp),
      'X-Mashang-Delivery': String(out.id),
    };
    if (out.secret) headers['X-Mashang-Signature'] = webhookSignature(out.secret, timestamp, body);
    const res = await call(out.url, { method: 'POST', headers, body });
    if (res.status >= 200 && res.status < 300) return { ok: true, providerId: null, answer: res.text };
    return { ok: false, retry: transient(res.status), code: `HTTP ${res.status}`, answer: res.text };
  }
  let url = out.url;
  let body: string;
  if (out.kind === 'dingtalk') {
    if (out.secret) {
      const ts = now.getTime();
      url += `${url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${encodeURIComponent(dingtalkSign(out.secret, ts))}`;
    }
    body = JSON.stringify({ msgtype: 'markdown', markdown: { title: out.title, text: out.markdown } });
  } else {
    body = JSON.stringify({ msgtype: 'markdown', markdown: { content: out.markdown } });
  }
  const res = await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = json(res.text);
  const errcode = typeof answer?.errcode === 'number' ? answer.errcode : undefined;
  if (res.status === 200 && errcode === 0) return { ok: true, providerId: null, answer: res.text };
  // 45009 (WeCom) and 130101 (DingTalk): sending too often; -1: busy.
  const retry = transient(res.status) || errcode === 45009 || errcode === 130101 || errcode === -1;
  return { ok: false, retry, code: errcode === undefined ? `HTTP ${res.status}` : String(errcode), answer: res.text };
}
