import { randomUUID } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import { dialect, jsonRowsParam, type Queryable, type Store, forgetKeyRing, insertDataKey, KEY_REFRESH_MS, KeyRing, masterKeyFor, TOKEN_PREFIX } from '../store/index.ts';
import { listEncryptedColumns, reencryptStored, rowKey, type EncryptedColumn } from './fields.ts';

export interface RotateOptions {
  /** Rows read and rewritten per transaction. Default 1,000. */
  batchSize?: number;
  /** Told after each batch. */
  onProgress?: (progress: { table: string; column: string; rowsChanged: number }) => void | Promise<void>;
  /**
   * How long after the new key became active the final sweep starts, so values written meanwhile by processes
   * still holding the old key (they re-read keys every KEY_REFRESH_MS) are caught. Default 2 × KEY_REFRESH_MS.
   */
  graceMs?: number;
  /** Also encrypt plaintext PII inside JSON columns (a full scan; for encrypting data written before encryption). */
  encryptPlaintext?: boolean;
}

export interface RotationReport {
  rotationId: string;
  toKeyId: string;
  /** True when an interrupted rotation was resumed rather than a new key made. */
  resumed: boolean;
  columns: { table: string; column: string; rowsChanged: number }[];
  rowsChanged: number;
  retiredKeys: string[];
}

interface RotationRow {
  rotation_id: string;
  to_key_id: string;
  progress: string;
  started_at: Date;
}

/**
 * Rotates the data key: makes a new active key (or resumes an unfinished rotation), then re-encrypts under it every
 * value of every registered encrypted column that is under another key (or plaintext), in batches of one
 * transaction each, then retires the old keys. Safe while servers write: new values use the new key once a process
 * re-reads its keys, a row changed between read and rewrite is left to the sweep, and a final sweep after the grace
 * period catches values written with the old key meanwhile. Interrupted, it resumes from the last batch; run twice,
 * the second run changes nothing. Blind indexes are untouched: they use the index key.
 */
export async function rotateDataKey(store: Store, options: RotateOptions = {}): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new SiyuError('validation', 'invalid_batch_size', `batchSize must be a whole number ≥ 1, not ${batchSize}`);
  const master = await masterKeyFor(store);
  await KeyRing.open(store, master); // checks the master key before anything changes
  const { rotation, resumed } = await store.transaction(async (tx) => {
    const [running] = await tx.query<RotationRow>(`SELECT rotation_id, to_key_id, progress, started_at FROM key_rotations WHERE status = 'running' ORDER BY started_at DESC LIMIT 1`);
    if (running) return { rotation: running, resumed: true };
    const at = new Date();
    const row: RotationRow = { rotation_id: randomUUID(), to_key_id: await insertDataKey(tx, master.key, at), progress: '{}', started_at: at };
    await tx.insertRows('key_rotations', ['rotation_id', 'to_key_id', 'status', 'progress', 'rows_changed', 'started_at'], [[row.rotation_id, row.to_key_id, 'running', row.progress, 0, at]]);
    return { rotation: row, resumed: false };
  });
  forgetKeyRing(store);
  const ring = await KeyRing.open(store, master);
  if (ring.activeKeyId !== rotation.to_key_id) throw new SiyuError('conflict', 'rotation_superseded', `data key ${rotation.to_key_id} of rotation ${rotation.rotation_id} is no longer the active key (${ring.activeKeyId}); run the rotation again`);

  const progress = JSON.parse(rotation.progress) as Record<string, unknown[]>;
  const tables = await existingTables(store);
  const columns = listEncryptedColumns().filter((c) => tables.has(c.table));
  const changed = new Map<string, number>();
  const pass = async (resume: boolean) => {
    for (const column of columns) {
      const name = `${column.table}.${column.column}`;
      let after = resume ? progress[name] : undefined;
      for (;;) {
        const batch = await rotateBatch(store, ring, column, after, batchSize, options.encryptPlaintext === true);
        if (!batch) break;
        after = batch.last;
        changed.set(name, (changed.get(name) ?? 0) + batch.rowsChanged);
        progress[name] = after;
        await store.execute('UPDATE key_rotations SET progress = $2, rows_changed = rows_changed + $3 WHERE rotation_id = $1', [rotation.rotation_id, JSON.stringify(progress), batch.rowsChanged]);
        await options.onProgress?.({ table: column.table, column: column.column, rowsChanged: changed.get(name)! });
      }
    }
  };
  await pass(true);
  const wait = rotation.started_at.getTime() + (options.graceMs ?? 2 * KEY_REFRESH_MS) - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  await pass(false); // the sweep: from the start of every column, for values written with the old key meanwhile

  const retired = await store.transaction(async (tx) => {
    const old = await tx.query<{ key_id: string }>(`SELECT key_id FROM data_keys WHERE kind = 'data' AND key_id <> $1 AND retired_at IS NULL`, [rotation.to_key_id]);
    await tx.execute(`UPDATE data_keys SET retired_at = $2, is_active = FALSE WHERE kind = 'data' AND key_id <> $1 AND retired_at IS NULL`, [rotation.to_key_id, new Date()]);
    await tx.execute(`UPDATE key_rotations SET status = 'finished', finished_at = $2 WHERE rotation_id = $1`, [rotation.rotation_id, new Date()]);
    return old.map((r) => r.key_id);
  });
  const report = columns.map((c) => ({ table: c.table, column: c.column, rowsChanged: changed.get(`${c.table}.${c.column}`) ?? 0 }));
  return { rotationId: rotation.rotation_id, toKeyId: rotation.to_key_id, resumed, columns: report, rowsChanged: report.reduce((s, c) => s + c.rowsChanged, 0), retiredKeys: retired };
}

async function existingTables(db: Queryable): Promise<Set<string>> {
  const rows = await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
  return new Set(rows.map((r) => r.table_name));
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A SQL condition true for rows that may hold a value not under `activeKeyId`. Text: anything but its tokens.
 * JSON: more `"e1:` tokens than tokens of the active key (counted by what replace() removes), unless plaintext PII
 * is also to be encrypted, when every non-null row qualifies.
 */
function staleCondition(column: EncryptedColumn, activeKeyId: string, encryptPlaintext: boolean): string {
  const col = quote(column.column);
  if (column.kind === 'text') return `${col} IS NOT NULL AND ${col} NOT LIKE '${TOKEN_PREFIX}${activeKeyId}:%'`;
  if (encryptPlaintext) return `${col} IS NOT NULL`;
  const text = `CAST(${col} AS TEXT)`;
  const any = `"${TOKEN_PREFIX}`;
  const mine = `"${TOKEN_PREFIX}${activeKeyId}:`;
  return `${col} IS NOT NULL AND (length(${text}) - length(replace(${text}, '${any}', ''))) / ${any.length} > (length(${text}) - length(replace(${text}, '${mine}', ''))) / ${mine.length}`;
}

/** Keyset pagination over `keys`: rows strictly after `after`, whose values are parameters from `$first`. */
function afterCondition(keys: readonly string[], after: readonly unknown[] | undefined, first: number): string {
  if (!after) return 'TRUE';
  const ors = keys.map((_, i) => `(${[...keys.slice(0, i).map((k, j) => `${quote(k)} = $${first + j}`), `${quote(keys[i]!)} > $${first + i}`].join(' AND ')})`);
  return `(${ors.join(' OR ')})`;
}

async function rotateBatch(store: Store, ring: KeyRing, column: EncryptedColumn, after: unknown[] | undefined, limit: number, encryptPlaintext: boolean): Promise<{ last: unknown[]; rowsChanged: number } | undefined> {
  const keys = column.keyColumns;
  const rows = await store.query<Record<string, unknown>>(
    `SELECT ${keys.map((k, i) => `${quote(k)} AS k${i}`).join(', ')}, CAST(${quote(column.column)} AS TEXT) AS v FROM ${quote(column.table)}
     WHERE ${staleCondition(column, ring.activeKeyId, encryptPlaintext)} AND ${afterCondition(keys, after, 1)}
     ORDER BY ${keys.map(quote).join(', ')} LIMIT ${limit}`,
    after ?? [],
  );
  if (rows.length === 0) return undefined;
  const updates: unknown[][] = [];
  for (const row of rows) {
    const keyValues = keys.map((_, i) => row[`k${i}`]);
    const next = reencryptStored(ring, column, rowKey(keyValues), row.v as string);
    if (next !== undefined) updates.push([...keyValues.map(String), row.v, next]);
  }
  if (updates.length > 0) {
    const names = [...keys.map((_, i) => `k${i}`), 'old', 'new'];
    const type = column.kind === 'json' ? (column.storedAs ?? 'JSON') : 'TEXT';
    // Compare-and-set on the old text: a row a writer changed meanwhile is left for the sweep.
    await store.execute(
      `UPDATE ${quote(column.table)} SET ${quote(column.column)} = CAST(v.new AS ${type})
       FROM ${dialect(store.kind).jsonRows('$1', names)} AS v
       WHERE ${keys.map((k, i) => `${quote(column.table)}.${quote(k)} = CAST(v.k${i} AS ${column.keyTypes?.[k] ?? 'TEXT'})`).join(' AND ')}
         AND CAST(${quote(column.table)}.${quote(column.column)} AS TEXT) = v.old`,
      [jsonRowsParam(updates)],
    );
  }
  const last = rows.at(-1)!;
  return { last: keys.map((_, i) => last[`k${i}`]), rowsChanged: updates.length };
}
