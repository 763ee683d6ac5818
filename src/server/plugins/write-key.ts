import type { FastifyRequest } from 'fastify';
import { SiyuError } from '../../core/errors.ts';
import type { WriteKeyVerifier } from '../../ingest/index.ts';

/**
 * Segment sends the write key as HTTP Basic auth, the key as the user name and an empty password;
 * some clients put it in the body as `writeKey` instead. Returns the key's name, used as the event source.
 */
export async function authenticateWriteKey(request: FastifyRequest, verifier: WriteKeyVerifier): Promise<string> {
  const key = keyFromHeader(request.headers.authorization) ?? keyFromBody(request.body);
  if (!key) throw new SiyuError('unauthorized', 'missing_write_key', 'send a write key as HTTP Basic auth (the key as user name, empty password); create one with: siyu keys create NAME');
  const name = await verifier.verify(key);
  if (!name) throw new SiyuError('unauthorized', 'invalid_write_key', 'the write key is unknown or revoked (see: siyu keys list)');
  return name;
}

function keyFromHeader(header: string | undefined): string | undefined {
  const match = header?.match(/^Basic\s+(.+)$/i);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const user = decoded.split(':')[0];
  return user || undefined;
}

function keyFromBody(body: unknown): string | undefined {
  const key = body && typeof body === 'object' ? (body as { writeKey?: unknown }).writeKey : undefined;
  return typeof key === 'string' && key ? key : undefined;
}
