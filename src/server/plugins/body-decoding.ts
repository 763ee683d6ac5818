import { Transform, type Readable } from 'node:stream';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { SiyuError } from '../../core/errors.ts';

/**
 * The request bodies Segment's tracking API takes, for the routes of one Fastify scope (the ingest routes):
 * - a JSON document sent as `application/json`, `text/plain` (browsers use it to avoid a CORS preflight) or
 *   `application/x-www-form-urlencoded` (what axios-based SDKs label a pre-compressed Buffer): always JSON, never
 *   form fields;
 * - compressed with `Content-Encoding: gzip` or `deflate`, inflated as a stream with the route's body limit applied
 *   to the inflated bytes, so a decompression bomb costs a few kilobytes of inflation before its 413.
 */
export function registerBodyDecoding(scope: FastifyInstance): void {
  scope.removeContentTypeParser('text/plain');
  scope.addContentTypeParser(['text/plain', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
  scope.addHook('preParsing', async (request, _reply, payload) =>
    decodeBody(payload, request.headers['content-encoding'], request.routeOptions.bodyLimit ?? scope.initialConfig.bodyLimit ?? 1024 * 1024),
  );
}

/** A decoded body stream, with the encoded byte count Fastify checks against Content-Length. */
type DecodedBody = Readable & { receivedEncodedLength: number };

const DECODERS: Record<string, { label: string; create: () => Gunzip | Inflate }> = {
  gzip: { label: 'gzip', create: createGunzip },
  'x-gzip': { label: 'gzip', create: createGunzip },
  // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), which is what Node's and browsers' deflate produce.
  deflate: { label: 'deflate (zlib format)', create: createInflate },
};

/**
 * Returns `encoded` itself when it is not compressed, or a stream of its inflated bytes that fails with a
 * `too_large` error as soon as more than `limitBytes` come out (or go in) and stops inflating there. A corrupt
 * body fails with a `validation` error; an encoding other than gzip, deflate or identity is refused with 415.
 */
export function decodeBody(encoded: Readable, contentEncoding: string | undefined, limitBytes: number): Readable {
  const name = contentEncoding?.trim().toLowerCase();
  if (!name || name === 'identity') return encoded;
  const decoder = DECODERS[name];
  if (!decoder) throw unsupportedEncoding(contentEncoding!);

  const inflater = decoder.create();
  let decodedBytes = 0;
  const decoded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      decodedBytes += chunk.length;
      if (decodedBytes > limitBytes) done(tooLarge(limitBytes, 'once decompressed'));
      else done(null, chunk);
    },
  }) as Transform & DecodedBody;
  decoded.receivedEncodedLength = 0;

  const countEncoded = (chunk: Buffer) => {
    decoded.receivedEncodedLength += chunk.length;
    if (decoded.receivedEncodedLength > limitBytes) fail(tooLarge(limitBytes, 'even compressed'));
  };
  // Stops reading and inflating; the request's remaining bytes are discarded by Node once the reply is sent.
  const stop = () => {
    encoded.off('data', countEncoded);
    encoded.unpipe(inflater);
    inflater.destroy();
  };
  const fail = (error: Error) => {
    stop();
    decoded.destroy(error);
  };
  encoded.on('data', countEncoded);
  encoded.once('error', fail);
  inflater.once('error', (error) => fail(corrupt(decoder.label, error)));
  decoded.once('error', stop);
  encoded.pipe(inflater).pipe(decoded);
  return decoded;
}

function tooLarge(limitBytes: number, when: string): SiyuError {
  return new SiyuError('too_large', 'too_large', `request body is over the ${limitBytes} byte limit ${when}`);
}

function corrupt(label: string, cause: Error): SiyuError {
  return new SiyuError('validation', 'invalid_body_encoding', `the request body is not valid ${label} data: ${cause.message}`, { cause });
}

/** 415 is about the request's framing, not its content, so it is an HTTP error here rather than a SiyuError kind. */
function unsupportedEncoding(contentEncoding: string): Error {
  const message = `Content-Encoding ${JSON.stringify(contentEncoding)} is not supported; send the body uncompressed or with Content-Encoding gzip or deflate`;
  return Object.assign(new Error(message), { statusCode: 415, code: 'unsupported_content_encoding' });
}
