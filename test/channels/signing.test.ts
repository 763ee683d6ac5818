import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fillTemplate, isUnsubscribeReply, signAliyunV1, signTc3, signWebhook, smsParts, wecomDecrypt, wecomEncrypt, wecomSignature, xmlField } from '../../src/channels/index.ts';

// The vectors of ../shared/reference/CHANNELS.md, each published by the provider and recomputed there.
describe('provider signatures against their published vectors', () => {
  test('Aliyun RPC signature v1 gives the SendSms vector (case matters: testId / testSecret)', () => {
    const params = {
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
    assert.equal(signAliyunV1('GET', params, 'testSecret'), 'zJDF+Lrzhj/ThnlvIToysFRq6t4=');
    assert.notEqual(signAliyunV1('GET', { ...params, AccessKeyId: 'testid' }, 'testsecret'), 'zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  test('Aliyun RPC signature v1 gives the DescribeRegions vector', () => {
    const params = { AccessKeyId: 'testid', Action: 'DescribeRegions', Format: 'XML', SignatureMethod: 'HMAC-SHA1', SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf', SignatureVersion: '1.0', Timestamp: '2016-02-23T12:46:24Z', Version: '2014-05-26' };
    assert.equal(signAliyunV1('GET', params, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  test('Tencent Cloud TC3-HMAC-SHA256 gives the CVM vector, with the literal \\u escapes in the payload and the UTC date', () => {
    const signed = signTc3({
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
      service: 'cvm',
      host: 'cvm.tencentcloudapi.com',
      payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
      timestampSeconds: 1551113065,
    });
    assert.equal(signed.payloadHash, '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064');
    assert.equal(signed.canonicalRequestHash, '5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
    assert.equal(signed.signature, '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
    assert.match(signed.authorization, /Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE\/2019-02-25\/cvm\/tc3_request/);
  });

  test('Standard Webhooks gives the spec vector', () => {
    assert.equal(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  const token = 'QDG6eK';
  const aesKey = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
  test('WXBizMsgCrypt VerifyURL: the official sample signature and plaintext', () => {
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    assert.equal(wecomSignature(token, '1409659589', '263014780', echostr), '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
    assert.deepEqual(wecomDecrypt(aesKey, echostr), { message: '1616140317555161061', receiveId: 'wx5823bf96d3bd56c7' });
  });

  test('WXBizMsgCrypt DecryptMsg: the official sample message, and our encryption round-trips with 32-byte padding', () => {
    const encrypt =
      'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
    assert.equal(wecomSignature(token, '1409659813', '1372623149', encrypt), '477715d11cdb4164915debcba66cb864d751f3e6');
    const { message, receiveId } = wecomDecrypt(aesKey, encrypt);
    assert.equal(receiveId, 'wx5823bf96d3bd56c7');
    assert.deepEqual([xmlField(message, 'FromUserName'), xmlField(message, 'Content'), xmlField(message, 'MsgId'), xmlField(message, 'AgentID')], ['mycreate', 'hello', '4561255354251345929', '218']);
    const sealed = wecomEncrypt(aesKey, message, receiveId);
    assert.equal(Buffer.from(sealed, 'base64').length % 32, 0);
    assert.deepEqual(wecomDecrypt(aesKey, sealed), { message, receiveId });
  });
});

describe('SMS text rules', () => {
  test('carriers bill 70 characters as one message and 67 per part beyond, the signature included', () => {
    const cases: [string, number][] = [['', 1], ['短'.repeat(70), 1], ['短'.repeat(71), 2], ['短'.repeat(134), 2], ['短'.repeat(135), 3], ['a'.repeat(70), 1]];
    for (const [text, parts] of cases) assert.equal(smsParts(text), parts, `${[...text].length} characters`);
  });

  test('unsubscribe replies are R, T, TD, N and 退订 in any case, alone', () => {
    for (const reply of ['R', 'r', ' T ', 'td', 'N', '退订', 'TD退订']) assert.ok(isUnsubscribeReply(reply), reply);
    for (const reply of ['好的', 'Really', 'TDX', '不要退订了吗']) assert.ok(!isUnsubscribeReply(reply), reply);
  });

  test('templates fill named and numbered placeholders', () => {
    assert.equal(fillTemplate('{name}，您的验证码是${code}', { name: '王', code: '1234' }, ['name', 'code']), '王，您的验证码是1234');
    assert.equal(fillTemplate('{1}，您的验证码是{2}', { name: '王', code: '1234' }, ['name', 'code']), '王，您的验证码是1234');
  });
});
