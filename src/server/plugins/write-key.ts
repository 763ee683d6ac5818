import type { FastifyRequest } from 'fastify';
import { SiyuError } from '../../core/errors.ts';
import type { VerifiedWriteKey, WriteKeyVerifier } from '../../ingest/index.ts';

const REFUSED = {
  invalid_key: 'the write key is unknown (see: siyu keys list)',
  key_revoked: 'the write key was revoked (see: siyu keys list)',
  key_expired: 'the write key has expired; create a new one with: siyu keys create NAME',
} as const;

/**
 * Segment sends the write key as HTTP Basic auth, the key as the user name and an empty password; some clients put
 * it in the body as `writeKey` instead, and API clients send it as `Authorization: Bearer`. The key needs the
 * ingest:write scope. Returns the key's name, used as the event source.
 */
export async function authenticateWriteKey(request: FastifyRequest, verifier: WriteKeyVerifier): Promise<VerifiedWriteKey> {
  const key = keyFromHeader(request.headers.authorization) ?? keyFromBody(request.body);
  if (!key) throw new SiyuError('unauthorized', 'missing_write_key', 'send a write key as HTTP Basic auth (the key as user name, empty password); create one with: siyu keys create NAME');
  const checked = await verifier.check(key);
  if (checked.ok) return checked.key;
  if (checked.refusal === 'missing_scope') throw new SiyuError('forbidden', 'missing_permission', 'this key lacks the ingest:write scope needed to send events', { details: [{ path: 'permission', message: 'ingest:write' }] });
  throw new SiyuError('unauthorized', checked.refusal === 'invalid_key' ? 'invalid_write_key' : checked.refusal, REFUSED[checked.refusal]);
}

function keyFromHeader(header: string | undefined): string | undefined {
  const bearer = header?.match(/^Bearer\s+(\S+)$/i);
  if (bearer) return bearer[1];
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
