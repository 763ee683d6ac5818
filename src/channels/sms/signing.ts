import { createHash, createHmac } from 'node:crypto';

/** RFC 3986 percent-encoding as Aliyun's RPC signature wants it: space as %20, `*` as %2A, `~` left alone. */
export function aliyunPercent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Aliyun RPC signature v1 (HMAC-SHA1): the parameters (without Signature) sorted by name, encoded and joined into a
 * canonical query; `METHOD&%2F&` + its encoding is signed with `secret&`, and the base64 digest is the Signature.
 */
export function signAliyunV1(method: string, params: Readonly<Record<string, string>>, secret: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${aliyunPercent(k)}=${aliyunPercent(params[k]!)}`)
    .join('&');
  const stringToSign = `${method}&${aliyunPercent('/')}&${aliyunPercent(canonical)}`;
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  service: string;
  host: string;
  /** The request body, exactly as sent. */
  payload: string;
  timestampSeconds: number;
  contentType?: string;
}

/**
 * Tencent Cloud API 3.0 signature, TC3-HMAC-SHA256, for a POST with the headers content-type and host signed. The
 * date in the credential scope is the UTC date of the timestamp. Returns the Authorization header and the parts
 * a test checks against the published vector.
 */
export function signTc3(input: Tc3Input): { authorization: string; signature: string; canonicalRequestHash: string; payloadHash: string } {
  const contentType = input.contentType ?? 'application/json; charset=utf-8';
  const payloadHash = sha256(input.payload);
  const canonicalRequest = ['POST', '/', '', `content-type:${contentType}`, `host:${input.host}`, '', 'content-type;host', payloadHash].join('\n');
  const canonicalRequestHash = sha256(canonicalRequest);
  const date = new Date(input.timestampSeconds * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestampSeconds), scope, canonicalRequestHash].join('\n');
  const kDate = hmac(`TC3${input.secretKey}`, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, 'tc3_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  const authorization = `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
  return { authorization, signature, canonicalRequestHash, payloadHash };
}
