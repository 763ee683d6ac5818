import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { SiyuError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';
import { type Queryable, type Store, keyRingFor } from '../store/index.ts';
import { collectPersonalData, writeBundle } from './bundle.ts';
import { canonicalCustomer, getConsents, recordConsents } from './consent.ts';
import { applyCorrection, CorrectionChanges } from './correct.ts';
import { dueDate, readRequestCalendar } from './due-date.ts';
import { eraseCustomer } from './erase.ts';
import { decryptJson, encryptJson, findEncryptedColumn } from './fields.ts';

/** PIPL art. 44–47: see and copy (45), correct (46), delete (47), withdraw consent (15). */
export const REQUEST_TYPES = ['access', 'correction', 'deletion', 'withdrawal'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const REQUEST_STATUSES = ['open', 'fulfilled', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** A new request, as the CLI and the HTTP API take it. */
export const CreateRequestInput = z.strictObject({
  type: z.enum(REQUEST_TYPES),
  customerId: z.string().min(1).max(512),
  /** correction: the fields to change; withdrawal: the purposes (default: every purpose). */
  changes: CorrectionChanges.optional(),
  purposes: z.array(z.string().min(1)).optional(),
  note: z.string().max(2000).optional(),
  /** Working days until due (default: the brand setting privacy.due_working_days, else 15). */
  dueWorkingDays: z.number().int().min(1).max(60).optional(),
});
export type CreateRequestInput = z.input<typeof CreateRequestInput>;

export interface PrivacyRequest {
  requestId: string;
  /** The person's customer id, or the anonymous id their remaining rows carry once erased. */
  subjectId: string;
  type: RequestType;
  status: RequestStatus;
  details: { changes?: Record<string, unknown>; purposes?: string[] } | null;
  note: string | null;
  requestedAt: Date;
  dueOn: string;
  handler: string | null;
  handledAt: Date | null;
  result: Record<string, unknown> | null;
}

interface RequestRow {
  request_id: string;
  subject_id: string;
  type: RequestType;
  status: RequestStatus;
  details: unknown;
  note: string | null;
  requested_at: Date;
  due_on: string;
  handler: string | null;
  handled_at: Date | null;
  result: Record<string, unknown> | null;
}

const SELECT = 'SELECT request_id, subject_id, type, status, details, note, requested_at, CAST(due_on AS TEXT) AS due_on, handler, handled_at, result FROM privacy_requests';
const detailsColumn = () => findEncryptedColumn('privacy_requests', 'details')!;

function fromRow(row: RequestRow, details: PrivacyRequest['details']): PrivacyRequest {
  return { requestId: row.request_id, subjectId: row.subject_id, type: row.type, status: row.status, details, note: row.note, requestedAt: row.requested_at, dueOn: row.due_on, handler: row.handler, handledAt: row.handled_at, result: row.result };
}

/** Files a data-subject request for an existing customer, due the configured number of working days later. */
export async function createRequest(store: Store, input: CreateRequestInput, now = new Date()): Promise<PrivacyRequest> {
  const parsed = parseOrThrow(CreateRequestInput, input, 'privacy request');
  if (parsed.type === 'correction' && (!parsed.changes || Object.keys(parsed.changes).length === 0)) {
    throw new SiyuError('validation', 'invalid_input', 'a correction request needs the changes to make', { details: [{ path: 'changes', message: 'required for a correction' }] });
  }
  const subjectId = await canonicalCustomer(store, parsed.customerId);
  const calendar = await readRequestCalendar(store);
  const requestId = `PR-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomUUID().slice(0, 8)}`;
  const plain = parsed.changes || parsed.purposes ? { changes: parsed.changes, purposes: parsed.purposes } : null;
  const details = plain ? encryptJson(await keyRingFor(store), detailsColumn(), requestId, plain) : null;
  await store.insertRows('privacy_requests', ['request_id', 'subject_id', 'type', 'status', 'details', 'note', 'requested_at', 'due_on', 'handler', 'handled_at', 'result'], [
    [requestId, subjectId, parsed.type, 'open', details, parsed.note ?? null, now, dueDate(now, parsed.dueWorkingDays ?? calendar.dueWorkingDays, calendar), null, null, null],
  ]);
  return getRequest(store, requestId);
}

/** One request, details decrypted; not_found for an unknown id. */
export async function getRequest(store: Store, requestId: string): Promise<PrivacyRequest> {
  const [row] = await store.query<RequestRow>(`${SELECT} WHERE request_id = $1`, [requestId]);
  if (!row) throw new SiyuError('not_found', 'request_not_found', `no privacy request ${JSON.stringify(requestId)}`);
  const details = row.details === null ? null : (decryptJson(await keyRingFor(store), detailsColumn(), row.request_id, row.details) as PrivacyRequest['details']);
  return fromRow(row, details);
}

/** Requests, oldest due first, optionally of one status or type; details are left out (see getRequest). */
export async function listRequests(db: Queryable, filter: { status?: RequestStatus; type?: RequestType } = {}): Promise<PrivacyRequest[]> {
  const rows = await db.query<RequestRow>(`${SELECT} WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) AND (CAST($2 AS TEXT) IS NULL OR type = $2) ORDER BY due_on, requested_at, request_id`, [filter.status ?? null, filter.type ?? null]);
  return rows.map((r) => fromRow(r, null));
}

export interface FulfilOptions {
  /** Who handled it (a staff member's name or account). */
  handler: string;
  /** access: the directory the bundle is written under (`<dir>/<request id>/`). */
  outDir?: string;
  now?: Date;
}

/**
 * Carries out an open request and records who did it: access writes the bundle (JSON and a CSV per table),
 * correction changes the profile, deletion erases the person (and leaves tombstones), withdrawal withdraws consent
 * for the purposes asked (default: every purpose currently allowed). One transaction; the request is `fulfilled`
 * with its result, or nothing changes.
 */
export async function fulfilRequest(store: Store, requestId: string, options: FulfilOptions): Promise<PrivacyRequest> {
  const request = await getRequest(store, requestId);
  if (request.status !== 'open') throw new SiyuError('conflict', 'request_closed', `privacy request ${requestId} is already ${request.status}`);
  if (!options.handler.trim()) throw new SiyuError('validation', 'invalid_input', 'a request needs the name of who handled it', { details: [{ path: 'handler', message: 'required' }] });
  const now = options.now ?? new Date();
  const ring = await keyRingFor(store);
  const subject = await canonicalCustomer(store, request.subjectId);
  await store.transaction(async (tx) => {
    const result = await carryOut(tx);
    await tx.execute(`UPDATE privacy_requests SET status = 'fulfilled', handler = $2, handled_at = $3, result = $4 WHERE request_id = $1`, [requestId, options.handler, now, result]);
  });
  return getRequest(store, requestId);

  async function carryOut(tx: Queryable): Promise<Record<string, unknown>> {
    switch (request.type) {
      case 'access': {
        const bundle = await collectPersonalData(tx, ring, subject, now);
        const dir = join(options.outDir ?? 'privacy-bundles', requestId);
        return { directory: dir, files: writeBundle(bundle, dir), rows: Object.fromEntries(Object.entries(bundle.tables).map(([t, r]) => [t, r.length])) };
      }
      case 'correction':
        return { changed: await applyCorrection(tx, ring, subject, request.details?.changes ?? {}, now) };
      case 'deletion': {
        const report = await eraseCustomer(tx, ring, subject, requestId, now);
        return { customerIds: report.customerIds.length, tables: report.tables, tombstones: report.tombstones };
      }
      case 'withdrawal': {
        const asked = request.details?.purposes;
        const current = (await getConsents(tx, subject)).purposes.filter((p) => (asked ? asked.includes(p.purpose) : p.isAllowed || p.status === 'granted'));
        const recorded = await recordConsents(tx, current.map((p) => ({ customerId: subject, purpose: p.purpose, status: 'withdrawn' as const, source: `request:${requestId}`, recordedBy: options.handler, effectiveAt: now })), ring, now);
        return { purposes: current.map((p) => p.purpose), recorded: recorded.recorded };
      }
    }
  }
}

/** Closes an open request without carrying it out (e.g. the requester's identity could not be verified), with the reason. */
export async function rejectRequest(store: Store, requestId: string, options: { handler: string; reason: string; now?: Date }): Promise<PrivacyRequest> {
  const request = await getRequest(store, requestId);
  if (request.status !== 'open') throw new SiyuError('conflict', 'request_closed', `privacy request ${requestId} is already ${request.status}`);
  await store.execute(`UPDATE privacy_requests SET status = 'rejected', handler = $2, handled_at = $3, result = $4 WHERE request_id = $1`, [requestId, options.handler, options.now ?? new Date(), { reason: options.reason }]);
  return getRequest(store, requestId);
}
