import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeCom's callback crypto (WXBizMsgCrypt): `msg_signature` is the SHA-1 of the sorted token, timestamp, nonce and
 * ciphertext; the message is AES-256-CBC with the key base64(EncodingAESKey + "="), IV its first 16 bytes, over
 * `random(16) | length(4, big-endian) | message | receiveid`, padded PKCS#7 to 32-byte blocks.
 */
export function wecomSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
}

const aesKey = (encodingAesKey: string) => {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new Error('an EncodingAESKey is 43 characters of base64 (32 bytes)');
  return key;
};

/** Decrypts a callback's ciphertext into its message and the receive id (corp id) it was sealed for. */
export function wecomDecrypt(encodingAesKey: string, encrypt: string): { message: string; receiveId: string } {
  const key = aesKey(encodingAesKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > 32) throw new Error('bad padding');
  const plain = padded.subarray(0, padded.length - pad);
  const length = plain.readUInt32BE(16);
  if (20 + length > plain.length) throw new Error('bad length');
  return { message: plain.subarray(20, 20 + length).toString('utf8'), receiveId: plain.subarray(20 + length).toString('utf8') };
}

/** Encrypts a message for a passive reply (and for the simulator's callbacks). */
export function wecomEncrypt(encodingAesKey: string, message: string, receiveId: string, random: Buffer = randomBytes(16)): string {
  const key = aesKey(encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, length, body, Buffer.from(receiveId, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** Whether a signature matches, in constant time. */
export function wecomSignatureMatches(token: string, timestamp: string, nonce: string, encrypt: string, signature: string): boolean {
  const expected = Buffer.from(wecomSignature(token, timestamp, nonce, encrypt));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The text of one XML element (`<Name><![CDATA[…]]></Name>` or `<Name>…</Name>`): callbacks are flat XML. */
export function xmlField(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml);
  return match ? (match[1] ?? match[2]) : undefined;
}
