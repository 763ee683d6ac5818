import { randomUUID } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import { dialect, jsonRowsParam, type BackendKind, type Queryable, type KeyRing } from '../store/index.ts';
import { encryptText, findEncryptedColumn, decryptText } from './fields.ts';
import { assertPurposeId, getPurposes, listPurposes, type ConsentBasis, type ConsentStatus } from './purposes.ts';

/** One decision of one person about one purpose. */
export interface ConsentDecision {
  /** The customer it is about: their canonical id (a merged id is followed to the profile it was merged into). */
  customerId: string;
  purpose: string;
  status: ConsentStatus;
  /** Where it was recorded: api, cli, import:<file>, event:<write key>, trait, request:<id>. */
  source: string;
  /** When the person decided (default: now). */
  effectiveAt?: Date;
  /** The version of the consent text they were shown. */
  textVersion?: string | null;
  /** A reference to the proof (a signed form, a screenshot id); encrypted at rest. */
  evidence?: string | null;
  /** The staff member or system that recorded it. */
  recordedBy?: string | null;
  /** The ingest message that carried it; makes the entry id deterministic, so a replay records nothing twice. */
  messageId?: string | null;
}

export interface RecordReport {
  /** Ledger entries appended. */
  recorded: number;
  /** Decisions that repeated the current state (same status and text version) and were not appended. */
  unchanged: number;
}

const ENTRY_COLUMNS = ['customer_id', 'entry_id', 'purpose', 'status', 'source', 'effective_at', 'recorded_at', 'text_version', 'evidence', 'recorded_by', 'message_id'];
const STATE_COLUMNS = ['customer_id', 'purpose', 'status', 'source', 'effective_at', 'text_version', 'entry_id', 'updated_at'];

/**
 * Appends decisions to the ledger and moves the current state, set-based: one read of the current state of every
 * (customer, purpose) in `decisions`, one insert of the entries, one upsert of the states, inside the caller's
 * transaction. A decision that repeats the current status and text version is not appended. A late decision (older
 * than the current state) is kept in the ledger but does not override the newer one. `ring` is needed only to
 * encrypt evidence.
 */
export async function recordConsents(db: Queryable, decisions: readonly ConsentDecision[], ring?: KeyRing, now = new Date()): Promise<RecordReport> {
  if (decisions.length === 0) return { recorded: 0, unchanged: 0 };
  await getPurposes(db, decisions.map((d) => d.purpose));
  const current = await db.query<{ customer_id: string; purpose: string; status: string; text_version: string | null; effective_at: Date }>(
    `SELECT s.customer_id, s.purpose, s.status, s.text_version, s.effective_at FROM consent_state s
     JOIN ${dialect(db.kind).jsonRows('$1', ['c', 'p'])} k ON s.customer_id = k.c AND s.purpose = k.p`,
    [jsonRowsParam([...new Set(decisions.map((d) => `${d.customerId}\u0000${d.purpose}`))].map((k) => k.split('\u0000')))],
  );
  const state = new Map(current.map((s) => [`${s.customer_id}\u0000${s.purpose}`, { status: s.status, textVersion: s.text_version, effectiveAt: s.effective_at }]));
  const evidenceColumn = findEncryptedColumn('consent_entries', 'evidence')!;
  const entries: unknown[][] = [];
  const states = new Map<string, unknown[]>();
  const ordered = [...decisions].sort((a, b) => (a.effectiveAt ?? now).getTime() - (b.effectiveAt ?? now).getTime());
  let unchanged = 0;
  for (const d of ordered) {
    const key = `${d.customerId}\u0000${d.purpose}`;
    const was = state.get(key);
    const at = d.effectiveAt ?? now;
    if (was && was.status === d.status && (was.textVersion ?? null) === (d.textVersion ?? null)) {
      unchanged++;
      continue;
    }
    const entryId = d.messageId ? `msg:${d.messageId}:${d.purpose}` : randomUUID();
    if (d.evidence && !ring) throw new SiyuError('internal', 'no_key_ring', 'consent evidence is encrypted, so recording it needs the key ring');
    const evidence = d.evidence ? encryptText(ring!, evidenceColumn, entryId, d.evidence) : null;
    entries.push([d.customerId, entryId, d.purpose, d.status, d.source, at, now, d.textVersion ?? null, evidence, d.recordedBy ?? null, d.messageId ?? null]);
    if (!was || was.effectiveAt.getTime() <= at.getTime()) {
      state.set(key, { status: d.status, textVersion: d.textVersion ?? null, effectiveAt: at });
      states.set(key, [d.customerId, d.purpose, d.status, d.source, at, d.textVersion ?? null, entryId, now]);
    }
  }
  await db.insertRows('consent_entries', ENTRY_COLUMNS, entries, '(customer_id, entry_id) DO NOTHING');
  await db.insertRows(
    'consent_state',
    STATE_COLUMNS,
    [...states.values()],
    '(customer_id, purpose) DO UPDATE SET status = excluded.status, source = excluded.source, effective_at = excluded.effective_at, text_version = excluded.text_version, entry_id = excluded.entry_id, updated_at = excluded.updated_at',
  );
  return { recorded: entries.length, unchanged };
}

/**
 * Rebuilds the current state of `customerIds` from their ledger entries (the latest decision per purpose wins).
 * Needed after profiles merge: the merge moves both profiles' entries to the survivor, and the survivor's state must
 * then reflect the latest of them, not only its own.
 */
export async function rebuildConsentState(db: Queryable, kind: BackendKind, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return;
  const ids = dialect(kind).jsonRows('$1', ['id']);
  const param = [jsonRowsParam([...new Set(customerIds)].map((id) => [id]))];
  await db.execute(`DELETE FROM consent_state WHERE customer_id IN (SELECT id FROM ${ids} k)`, param);
  await db.execute(
    `INSERT INTO consent_state (${STATE_COLUMNS.join(', ')})
     SELECT customer_id, purpose, status, source, effective_at, text_version, entry_id, recorded_at FROM (
       SELECT e.*, row_number() OVER (PARTITION BY e.customer_id, e.purpose ORDER BY e.effective_at DESC, e.recorded_at DESC, e.entry_id DESC) AS n
       FROM consent_entries e WHERE e.customer_id IN (SELECT id FROM ${ids} k)
     ) latest WHERE n = 1`,
    param,
  );
}

/**
 * THE consent check, as a SQL predicate: true when the customer whose canonical id is the SQL expression
 * `customerExpr` may be processed for `purpose` now. Their current decision decides; without one, the purpose's
 * basis does (opt_out purposes are allowed, opt_in ones are not). Every send, recommendation, export and segment
 * filter uses this (directly or through checkConsent), so a withdrawal counts everywhere as soon as it commits.
 */
export function consentAllowsSql(purpose: string, customerExpr: string): string {
  assertPurposeId(purpose);
  return `COALESCE((SELECT cs.status = 'granted' FROM consent_state cs WHERE cs.customer_id = ${customerExpr} AND cs.purpose = '${purpose}'),
                   (SELECT cp.basis = 'opt_out' FROM consent_purposes cp WHERE cp.purpose = '${purpose}'), FALSE)`;
}

/** The channels a segment can ask whether customers are reachable by, each with its purpose and the identity it needs. */
export const REACHABLE_CHANNELS = {
  sms: { purpose: 'sms_marketing', identity: "i.type = 'phone'" },
  email: { purpose: 'email_marketing', identity: "i.type = 'email'" },
  wecom: { purpose: 'wecom_message', identity: "i.type = 'external_userid'" },
  miniprogram: { purpose: 'miniprogram_subscribe', identity: "i.type LIKE 'openid:%'" },
} as const;
export type ReachableChannel = keyof typeof REACHABLE_CHANNELS;

/**
 * `reachable by SMS` and the like, as a SQL predicate for the segment DSL: consent for the channel's purpose, an
 * identity to send to, and not marked unreachable on the channel of that name (a hard bounce, a WeCom contact gone),
 * as the dispatcher decides.
 */
export function reachableSql(channel: ReachableChannel, customerExpr: string): string {
  const { purpose, identity } = REACHABLE_CHANNELS[channel];
  return `(${consentAllowsSql(purpose, customerExpr)} AND EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = ${customerExpr} AND ${identity})
           AND NOT EXISTS (SELECT 1 FROM channel_reachability cr WHERE cr.customer_id = ${customerExpr} AND cr.channel = '${channel}' AND NOT cr.is_reachable))`;
}

/** Which of `customerIds` may be processed for `purpose` now (set-based: one query for the whole list). */
export async function checkConsent(db: Queryable, purpose: string, customerIds: readonly string[]): Promise<{ allowed: string[]; refused: string[] }> {
  await getPurposes(db, [purpose]);
  const rows = await db.query<{ id: string; ok: boolean }>(
    `SELECT k.id, ${consentAllowsSql(purpose, 'coalesce(c.merged_into, k.id)')} AS ok
     FROM ${dialect(db.kind).jsonRows('$1', ['id'])} k LEFT JOIN customers c ON c.customer_id = k.id`,
    [jsonRowsParam([...new Set(customerIds)].map((id) => [id]))],
  );
  const ok = new Set(rows.filter((r) => r.ok === true).map((r) => r.id));
  return { allowed: customerIds.filter((id) => ok.has(id)), refused: customerIds.filter((id) => !ok.has(id)) };
}

export interface PurposeConsent {
  purpose: string;
  name: string;
  basis: ConsentBasis;
  /** The current decision, or null when none was recorded. */
  status: ConsentStatus | null;
  /** Whether processing for the purpose is allowed now (the decision, else the basis). */
  isAllowed: boolean;
  source: string | null;
  effectiveAt: Date | null;
  textVersion: string | null;
}

export interface ConsentEntry {
  entryId: string;
  purpose: string;
  status: ConsentStatus;
  source: string;
  effectiveAt: Date;
  recordedAt: Date;
  textVersion: string | null;
  evidence: string | null;
  recordedBy: string | null;
}

/** A customer's canonical id, or not_found. */
export async function canonicalCustomer(db: Queryable, customerId: string): Promise<string> {
  const [row] = await db.query<{ id: string }>('SELECT coalesce(merged_into, customer_id) AS id FROM customers WHERE customer_id = $1', [customerId]);
  if (!row) throw new SiyuError('not_found', 'customer_not_found', `no customer ${JSON.stringify(customerId)}`);
  return row.id;
}

/** A customer's current consent per purpose and their ledger, newest first; evidence decrypted when `ring` is given, else withheld. */
export async function getConsents(db: Queryable, customerId: string, ring?: KeyRing): Promise<{ customerId: string; purposes: PurposeConsent[]; history: ConsentEntry[] }> {
  const id = await canonicalCustomer(db, customerId);
  const states = new Map((await db.query<{ purpose: string; status: ConsentStatus; source: string; effective_at: Date; text_version: string | null }>('SELECT purpose, status, source, effective_at, text_version FROM consent_state WHERE customer_id = $1', [id])).map((s) => [s.purpose, s]));
  const purposes = (await listPurposes(db)).map((p): PurposeConsent => {
    const s = states.get(p.purpose);
    return { purpose: p.purpose, name: p.name, basis: p.basis, status: s?.status ?? null, isAllowed: s ? s.status === 'granted' : p.basis === 'opt_out', source: s?.source ?? null, effectiveAt: s?.effective_at ?? null, textVersion: s?.text_version ?? null };
  });
  const column = findEncryptedColumn('consent_entries', 'evidence')!;
  const rows = await db.query<{ entry_id: string; purpose: string; status: ConsentStatus; source: string; effective_at: Date; recorded_at: Date; text_version: string | null; evidence: string | null; recorded_by: string | null }>(
    'SELECT entry_id, purpose, status, source, effective_at, recorded_at, text_version, evidence, recorded_by FROM consent_entries WHERE customer_id = $1 ORDER BY effective_at DESC, recorded_at DESC, entry_id',
    [id],
  );
  const history = rows.map((r): ConsentEntry => ({
    entryId: r.entry_id,
    purpose: r.purpose,
    status: r.status,
    source: r.source,
    effectiveAt: r.effective_at,
    recordedAt: r.recorded_at,
    textVersion: r.text_version,
    evidence: r.evidence === null ? null : ring ? decryptText(ring, column, r.entry_id, r.evidence) : '(encrypted)',
    recordedBy: r.recorded_by,
  }));
  return { customerId: id, purposes, history };
}
