import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  acs3Sign,
  aliyunPercentEncode,
  aliyunRpcSignature,
  aliyunStringToSign,
  dingtalkSign,
  tc3Sign,
  webhookSignature,
} from '../../src/features/notifications/signing.js';

describe('Alibaba Cloud V3 signing (ACS3-HMAC-SHA256)', () => {
  // The "Fixed parameter values" example of Alibaba Cloud's "V3 request structure and signature"
  // (https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
  // ECS RunInstances, its canonical request, string to sign, signature and Authorization as published.
  const documented = () =>
    acs3Sign({
      method: 'POST',
      path: '/',
      query: { RegionId: 'cn-shanghai', ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd' },
      headers: {
        host: 'ecs.cn-shanghai.aliyuncs.com',
        'x-acs-action': 'RunInstances',
        'x-acs-version': '2014-05-26',
        'x-acs-date': '2023-10-26T10:22:32Z',
        'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      },
      body: '',
      accessKeyId: 'YourAccessKeyId',
      accessKeySecret: 'YourAccessKeySecret',
    });

  it('when given the documented request, then the canonical request, string to sign, signature and Authorization are the documented ones', () => {
    const signed = documented();
    expect(signed.canonicalRequest).toBe(
      [
        'POST',
        '/',
        'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
        'host:ecs.cn-shanghai.aliyuncs.com',
        'x-acs-action:RunInstances',
        'x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-acs-date:2023-10-26T10:22:32Z',
        'x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d',
        'x-acs-version:2014-05-26',
        '',
        'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
    expect(signed.stringToSign).toBe('ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    expect(signed.signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    expect(signed.headers.Authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,' +
        'Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
    expect(signed.headers['x-acs-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('when the secret, a parameter or a header differs, then so does the signature', () => {
    const base = documented().signature;
    const other = (o: Partial<Parameters<typeof acs3Sign>[0]>) =>
      acs3Sign({
        method: 'POST',
        path: '/',
        query: { RegionId: 'cn-shanghai', ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd' },
        headers: {
          host: 'ecs.cn-shanghai.aliyuncs.com',
          'x-acs-action': 'RunInstances',
          'x-acs-version': '2014-05-26',
          'x-acs-date': '2023-10-26T10:22:32Z',
          'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
        },
        body: '',
        accessKeyId: 'YourAccessKeyId',
        accessKeySecret: 'YourAccessKeySecret',
        ...o,
      }).signature;
    expect(other({})).toBe(base);
    expect(other({ accessKeySecret: 'YourAccessKeySecret&' })).not.toBe(base);
    expect(other({ query: { RegionId: 'cn-hangzhou', ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd' } })).not.toBe(base);
    expect(other({ body: 'x' })).not.toBe(base);
  });

  it('encodes the query as RFC 3986 (space %20, * %2A, ~ kept) and the Chinese sign name as UTF-8', () => {
    const signed = acs3Sign({
      method: 'POST',
      path: '/',
      query: { SignName: '码上服务', TemplateParam: '{"no":"a b*~"}' },
      headers: { host: 'h', 'x-acs-action': 'SendSms' },
      body: '',
      accessKeyId: 'id',
      accessKeySecret: 's',
    });
    expect(signed.canonicalRequest.split('\n')[2]).toBe('SignName=%E7%A0%81%E4%B8%8A%E6%9C%8D%E5%8A%A1&TemplateParam=%7B%22no%22%3A%22a%20b%2A~%22%7D');
  });
});

describe('Alibaba Cloud RPC signing (HMAC-SHA1)', () => {
  // The worked example of Alibaba Cloud's "RPC signature" documentation (ECS DescribeRegions).
  const documented = {
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    Format: 'XML',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2014-05-26',
  };

  it('when given the documented request, then the string to sign and the signature are the documented ones', () => {
    expect(aliyunStringToSign('GET', documented)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(aliyunRpcSignature('GET', documented, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('when given the documented SendSms example with a Chinese sign name, then the signature is the documented one', () => {
    const sendSms = {
      AccessKeyId: 'testId',
      Action: 'SendSms',
      Format: 'XML',
      OutId: '123',
      PhoneNumbers: '15300000001',
      RegionId: 'cn-hangzhou',
      SignName: '阿里云短信测试专用',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_71390007',
      TemplateParam: '{"customer":"test"}',
      Timestamp: '2017-07-12T02:42:19Z',
      Version: '2017-05-25',
    };
    expect(aliyunRpcSignature('GET', sendSms, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it('when a value holds characters encodeURIComponent leaves alone, then they are encoded too', () => {
    expect(aliyunPercentEncode("a!b'c(d)e*f ~")).toBe('a%21b%27c%28d%29e%2Af%20~');
  });

  it('when the secret or a parameter changes, then the signature changes', () => {
    const base = aliyunRpcSignature('POST', documented, 'testsecret');
    expect(aliyunRpcSignature('POST', documented, 'othersecret')).not.toBe(base);
    expect(aliyunRpcSignature('POST', { ...documented, Format: 'JSON' }, 'testsecret')).not.toBe(base);
    expect(aliyunRpcSignature('GET', documented, 'testsecret')).not.toBe(base);
  });
});

describe('Tencent Cloud TC3-HMAC-SHA256', () => {
  // The worked example of Tencent Cloud's "签名方法 v3" documentation (CVM DescribeInstances),
  // with the key pair exactly as the documentation prints it.
  const example = {
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******',
    service: 'cvm',
    host: 'cvm.tencentcloudapi.com',
    timestamp: 1551113065,
    payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
  };

  it('when given the documented request, then each step and the Authorization header are the documented ones', () => {
    const signed = tc3Sign(example);
    expect(signed.canonicalRequest).toBe(
      'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
    );
    expect(signed.stringToSign).toBe(
      'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031',
    );
    expect(signed.signature).toBe('2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c');
    expect(signed.authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c',
    );
  });

  it('when the date is taken from the timestamp, then it is the UTC date (not China time)', () => {
    // 2019-02-25T23:30:00Z is already the 26th in Beijing; the credential scope uses UTC.
    expect(tc3Sign({ ...example, timestamp: Date.parse('2019-02-25T23:30:00Z') / 1000 }).date).toBe('2019-02-25');
  });

  it('when the payload changes, then the signature changes', () => {
    expect(tc3Sign({ ...example, payload: '{}' }).signature).not.toBe(tc3Sign(example).signature);
  });
});

describe('DingTalk and webhook signatures', () => {
  it('when DingTalk signs, then it is Base64(HMAC-SHA256(secret, timestamp\\nsecret))', () => {
    const expected = crypto.createHmac('sha256', 'SEC123').update('1577262236757\nSEC123').digest('base64');
    expect(dingtalkSign('SEC123', 1577262236757)).toBe(expected);
    expect(dingtalkSign('SEC124', 1577262236757)).not.toBe(expected);
  });

  it('when a webhook is signed, then the header is sha256= and the hex HMAC of timestamp.body', () => {
    const sig = webhookSignature('s3cret', 1700000000, '{"a":1}');
    expect(sig).toBe(`sha256=${crypto.createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex')}`);
    expect(webhookSignature('s3cret', 1700000001, '{"a":1}')).not.toBe(sig);
  });
});
