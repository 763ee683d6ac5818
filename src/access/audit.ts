import { createHash } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/index.ts';

/** What happened, as another domain reports it. */
export interface AuditInput {
  /** Who: `user:NAME`, `key:ID`, `cli:OS_USER`, `anonymous` or `system` (see principalActor / localActor). */
  actor: string;
  /** What, as `noun.verb`: auth.sign_in, key.create, role.update, customer.reveal_pii, segment.export… */
  action: string;
  /** What it was done to: a user name, key id, customer id, segment name. */
  target?: string | null;
  /** Anything else worth keeping (the reason for a reveal, the fields exported); JSON values only. */
  details?: Record<string, unknown>;
  /** When; default now (tests and simulations pass their clock). */
  at?: Date;
}

export interface AuditEntry {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level: one text for one value, whatever order it was built in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash of a row: SHA-256 over the canonical JSON of every column but the hash, prev_hash included. */
export function auditHash(row: { seq: number; at: Date; actor: string; action: string; target: string | null; details: string; prevHash: string }): string {
  const text = canonicalJson({ seq: row.seq, at: row.at.toISOString(), actor: row.actor, action: row.action, target: row.target, details: row.details, prev_hash: row.prevHash });
  return createHash('sha256').update(text).digest('hex');
}

const isStore = (db: Queryable | Store): db is Store => typeof (db as Store).transaction === 'function';

/**
 * Appends one entry to the audit log, inside the caller's transaction when given one (so the entry commits or rolls
 * back with the change it records), else in a transaction of its own.
 *
 * Appends are serialised by the single `audit_head` row, which each append updates first: on PostgreSQL its row
 * lock makes a second transaction, in this process or another, wait until the first commits and then read the new
 * head, so the chain never forks. On DuckDB the store's one connection already runs transactions one at a time;
 * two connections racing on one file would get a write conflict for the second, not a fork.
 */
export async function recordAudit(db: Queryable | Store, entry: AuditInput): Promise<AuditEntry> {
  if (isStore(db)) return db.transaction((tx) => recordAudit(tx, entry));
  const [head] = await db.query<{ seq: number; hash: string }>('UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash');
  if (!head) throw new SiyuError('internal', 'audit_head_missing', 'the audit_head row is missing; the audit log cannot be appended to');
  // A Date has millisecond precision, which both engines store exactly, so the hash recomputes from the stored row.
  const at = entry.at ?? new Date();
  const details = canonicalJson(entry.details ?? {});
  const row = { seq: Number(head.seq), at, actor: entry.actor, action: entry.action, target: entry.target ?? null, details, prevHash: head.hash };
  const hash = auditHash(row);
  await db.execute('INSERT INTO audit_log (seq, recorded_at, actor, action, target, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [row.seq, at, row.actor, row.action, row.target, details, row.prevHash, hash]);
  await db.execute('UPDATE audit_head SET hash = $1 WHERE id = 1', [hash]);
  return { ...row, details: entry.details ?? {}, hash };
}

export interface AuditQuery {
  actor?: string;
  /** An action, or a prefix ending in `.` (`auth.` for every sign-in event). */
  action?: string;
  since?: Date;
  until?: Date;
  /** Newest first, at most this many (default 100, at most 10,000). */
  limit?: number;
}

interface AuditRow {
  seq: number;
  recorded_at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({ seq: Number(r.seq), at: r.recorded_at, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash });

/** Audit entries, newest first, filtered by actor, action (or action prefix) and time. */
export async function listAudit(db: Queryable, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (query.actor) add('actor = ?', query.actor);
  if (query.action) add(query.action.endsWith('.') ? 'starts_with(action, ?)' : 'action = ?', query.action);
  if (query.since) add('recorded_at >= ?', query.since);
  if (query.until) add('recorded_at < ?', query.until);
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 10_000);
  const rows = await db.query<AuditRow>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`, params);
  return rows.map(toEntry);
}

export interface AuditVerification {
  ok: boolean;
  /** Rows checked. */
  rows: number;
  /** The last row's sequence number and hash: write them down elsewhere to detect a rewrite of the whole chain. */
  head: { seq: number; hash: string };
  /** The first problem found, by row. */
  broken?: { seq: number; problem: string };
}

const PAGE = 5000;
const GENESIS = '0'.repeat(64);

/**
 * Recomputes the chain from the first kept row to the head: every row's hash from its columns and the previous
 * row's hash, every sequence number one more than the last, and the head row pointing at the last row. A changed
 * row fails its own hash (or the next row's link); a deleted row leaves a gap; rows deleted from the end leave the
 * head pointing past the last row.
 */
export async function verifyAudit(db: Queryable): Promise<AuditVerification> {
  const [head] = await db.query<{ seq: number; hash: string; first_seq: number }>('SELECT seq, hash, first_seq FROM audit_head WHERE id = 1');
  if (!head) return { ok: false, rows: 0, head: { seq: 0, hash: '' }, broken: { seq: 0, problem: 'the audit_head row is missing' } };
  const headInfo = { seq: Number(head.seq), hash: head.hash };
  let expectedSeq = Number(head.first_seq);
  // The first row of an untrimmed log links to the genesis hash; after a retention trim, to the row removed before it.
  let prevHash: string | undefined = expectedSeq === 1 ? GENESIS : undefined;
  let rows = 0;
  for (;;) {
    const page = await db.query<AuditRow>(`SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT ${PAGE}`, [expectedSeq]);
    for (const r of page) {
      const seq = Number(r.seq);
      const fail = (problem: string): AuditVerification => ({ ok: false, rows, head: headInfo, broken: { seq, problem } });
      if (seq !== expectedSeq) return { ok: false, rows, head: headInfo, broken: { seq: expectedSeq, problem: `row ${expectedSeq}${seq - 1 > expectedSeq ? `–${seq - 1}` : ''} missing (deleted?): the next row is ${seq}` } };
      if (prevHash !== undefined && r.prev_hash !== prevHash) return fail(seq === 1 ? 'the first row does not link to the start of the chain (changed)' : `prev_hash does not match row ${seq - 1}'s hash (row ${seq - 1} or this row was changed)`);
      if (auditHash({ seq, at: r.recorded_at, actor: r.actor, action: r.action, target: r.target, details: r.details, prevHash: r.prev_hash }) !== r.hash) return fail('the row does not match its hash (changed after it was written)');
      prevHash = r.hash;
      expectedSeq = seq + 1;
      rows++;
    }
    if (page.length < PAGE) break;
  }
  if (expectedSeq - 1 !== headInfo.seq) {
    return { ok: false, rows, head: headInfo, broken: { seq: expectedSeq, problem: `row ${expectedSeq}${headInfo.seq > expectedSeq ? `–${headInfo.seq}` : ''} missing (deleted from the end?): the head says the last row is ${headInfo.seq}` } };
  }
  if (rows > 0 && prevHash !== headInfo.hash) return { ok: false, rows, head: headInfo, broken: { seq: headInfo.seq, problem: 'the last row does not match the hash the head recorded for it' } };
  return { ok: true, rows, head: headInfo };
}

/**
 * Removes the audit rows recorded before `before` (a retention policy), keeping the chain verifiable: the head's
 * first_seq moves to the first row kept, whose prev_hash then stands for the rows removed. Returns the rows removed.
 */
export async function trimAudit(store: Store, before: Date): Promise<number> {
  return store.transaction(async (tx) => {
    // The head row is taken first, as appends do, so a trim and an append never interleave.
    await tx.execute('UPDATE audit_head SET id = id WHERE id = 1');
    const [last] = await tx.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit_log WHERE recorded_at < $1', [before]);
    if (last?.seq === null || last?.seq === undefined) return 0;
    const removed = await tx.execute('DELETE FROM audit_log WHERE seq <= $1', [last.seq]);
    await tx.execute('UPDATE audit_head SET first_seq = $1 WHERE id = 1', [Number(last.seq) + 1]);
    return removed;
  });
}
