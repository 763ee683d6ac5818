import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { SiyuError } from '../core/errors.ts';
import { assertReplaceableFile } from '../core/files.ts';
import { parseDay } from '../core/validation.ts';
import { consentAllowsSql, csvCell, getPurposes, keyRingFor, openPii } from '../privacy/index.ts';
import { dialect, jsonRowsParam, latestOrderDay, type Queryable, type Store } from '../store/index.ts';
import { attributeDefinitions } from './attributes.ts';
import { compileSegment, parseSegmentDefinition, type CustomerFilter, type SegmentNode } from './builder.ts';
import { PII_PROFILE_FIELDS, type PiiPolicy } from './profile.ts';

/** How often a saved segment refreshes on its own while `siyu serve` runs; null: only on demand. */
export const REFRESH_SCHEDULES = ['hourly', 'daily', 'weekly'] as const;
export type RefreshSchedule = (typeof REFRESH_SCHEDULES)[number];
export const REFRESH_INTERVAL_MS: Record<RefreshSchedule, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 };

export interface SavedSegment {
  name: string;
  description: string | null;
  definition: SegmentNode;
  refreshEvery: RefreshSchedule | null;
}

/**
 * Saves (or replaces) a named segment after checking its definition compiles. `refreshEvery` sets its schedule
 * (null: on demand only); left out, a replaced segment keeps the schedule it had.
 */
export async function saveSegment(store: Store, segment: { name: string; description?: string; definition: unknown; refreshEvery?: RefreshSchedule | null }): Promise<SavedSegment> {
  if (!/^[\p{L}\p{N}_.-]{1,64}$/u.test(segment.name)) throw new SiyuError('validation', 'invalid_segment_name', `a segment name is 1-64 letters, digits, '_', '.' or '-', not ${JSON.stringify(segment.name)}`);
  if (segment.refreshEvery != null && !(REFRESH_SCHEDULES as readonly string[]).includes(segment.refreshEvery)) {
    throw new SiyuError('validation', 'invalid_schedule', `a refresh schedule is one of ${REFRESH_SCHEDULES.join(', ')} (or none), not ${JSON.stringify(segment.refreshEvery)}`, { details: [{ path: 'refreshEvery', message: 'unknown schedule' }] });
  }
  const definition = parseSegmentDefinition(segment.definition);
  await compileSegment(store, definition, '2000-01-01');
  const now = new Date();
  const refreshEvery = await store.transaction(async (tx) => {
    const [existing] = await tx.query<{ created_at: Date; refresh_every: RefreshSchedule | null; refreshed_at: Date | null }>('SELECT created_at, refresh_every, refreshed_at FROM segments WHERE name = $1', [segment.name]);
    const schedule = segment.refreshEvery === undefined ? (existing?.refresh_every ?? null) : segment.refreshEvery;
    await tx.execute('DELETE FROM segments WHERE name = $1', [segment.name]);
    await tx.insertRows(
      'segments',
      ['name', 'description', 'definition', 'created_at', 'updated_at', 'refresh_every', 'refreshed_at'],
      [[segment.name, segment.description ?? null, JSON.stringify(definition), existing?.created_at ?? now, now, schedule, existing?.refreshed_at ?? null]],
    );
    return schedule;
  });
  return { name: segment.name, description: segment.description ?? null, definition, refreshEvery };
}

export async function listSegments(db: Queryable): Promise<(SavedSegment & { members: number | null; asOf: string | null; refreshedAt: Date | null })[]> {
  const rows = await db.query<{ name: string; description: string | null; definition: SegmentNode; refresh_every: RefreshSchedule | null; refreshed_at: Date | null; as_of: string | null; members: number | null }>(
    `SELECT s.name, s.description, s.definition, s.refresh_every, s.refreshed_at, l.as_of, l.members FROM segments s
     LEFT JOIN segment_refreshes l ON l.segment = s.name AND l.as_of = (SELECT max(x.as_of) FROM segment_refreshes x WHERE x.segment = s.name)
     ORDER BY s.name`,
  );
  return rows.map((r) => ({
    name: r.name,
    description: r.description,
    definition: r.definition,
    refreshEvery: r.refresh_every,
    refreshedAt: r.refreshed_at,
    asOf: r.as_of,
    members: r.members === null ? null : Number(r.members),
  }));
}

/** The scheduled segments whose interval has passed since their last refresh (or that were never refreshed), by name. */
export async function dueSegments(db: Queryable, now: Date = new Date()): Promise<string[]> {
  const rows = await db.query<{ name: string; refresh_every: RefreshSchedule; refreshed_at: Date | null }>('SELECT name, refresh_every, refreshed_at FROM segments WHERE refresh_every IS NOT NULL ORDER BY name');
  return rows.filter((r) => REFRESH_INTERVAL_MS[r.refresh_every] !== undefined && (!r.refreshed_at || now.getTime() - new Date(r.refreshed_at).getTime() >= REFRESH_INTERVAL_MS[r.refresh_every])).map((r) => r.name);
}

export async function savedDefinition(db: Queryable, name: string): Promise<unknown> {
  const [saved] = await db.query<{ definition: unknown }>('SELECT definition FROM segments WHERE name = $1', [name]);
  if (!saved) throw new SiyuError('not_found', 'unknown_segment', `no segment named ${JSON.stringify(name)}; see \`siyu segment list\``);
  return storedDefinition(saved.definition);
}

/** A definition as the segments table returns it: JSON text on one engine, parsed on the other. */
export const storedDefinition = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

/** Profile columns an audience export can include; anything else is taken as an attribute name. */
export const EXPORT_PROFILE_FIELDS = ['name', 'phone', 'email', 'gender', 'birthday', 'city', 'channel'] as const;

/**
 * Writes a saved segment's members as of a day, with the chosen profile fields and attributes, to CSV or JSONL,
 * a thousand customers at a time (`onProgress(done, total)`). Unknown fields are refused before anything is
 * written; the file is written to a temporary name and renamed at the end, so it is never half there. Name, phone,
 * email and birthday are masked when `pii` says the caller may not see them (the HTTP route); the CLI, for analysts
 * with the database in hand, writes them as stored. Only members `customerFilter` allows (the caller's data scope)
 * are written, and with `purpose`, only those whose consent for it allows processing now (`withheld` counts the rest).
 * CSV cells never start with =, +, - or @ (a spreadsheet would run them as formulas): such text gets a leading '.
 */
export async function exportSegment(
  store: Store,
  name: string,
  options: { out: string; format: 'csv' | 'jsonl'; fields: readonly string[]; asOf?: string; pii?: PiiPolicy; customerFilter?: CustomerFilter; purpose?: string; onProgress?: (done: number, total: number) => void },
): Promise<{ rows: number; asOf: string; withheld: number }> {
  const definition = await savedDefinition(store, name);
  const attributes = new Set((await attributeDefinitions(store)).map((a) => a.name));
  const unknown = options.fields.filter((f) => !(EXPORT_PROFILE_FIELDS as readonly string[]).includes(f) && !attributes.has(f));
  if (unknown.length) throw new SiyuError('validation', 'unknown_field', `unknown export field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: use profile fields (${EXPORT_PROFILE_FIELDS.join(', ')}) or attribute names`, { details: unknown.map((f) => ({ path: 'fields', message: `unknown field ${f}` })) });
  const asOf = parseDay(options.asOf ?? (await latestOrderDay(store)) ?? new Date().toISOString().slice(0, 10), '--as-of');
  const { sql, params } = await compileSegment(store, definition, asOf);
  const filter = options.customerFilter?.('m.customer_id', params.length + 1);
  if (options.purpose) await getPurposes(store, [options.purpose]);
  const allowed = options.purpose ? consentAllowsSql(options.purpose, 'm.customer_id') : 'TRUE';
  const members = await store.query<{ customer_id: string; allowed: boolean }>(
    `SELECT m.customer_id, ${allowed} AS allowed FROM (${sql}) m ${filter ? `WHERE ${filter.sql}` : ''} ORDER BY m.customer_id`,
    [...params, ...(filter?.params ?? [])],
  );
  const ids = members.filter((r) => r.allowed === true).map((r) => r.customer_id);
  const withheld = members.length - ids.length;
  const reveal = options.pii?.reveal ?? true;
  const ring = await keyRingFor(store);
  const opened = (value: unknown) => (typeof value === 'string' ? openPii(ring, value) : value);
  const masked = (field: string, stored: unknown) => {
    const value = opened(stored);
    return reveal || typeof value !== 'string' || !PII_PROFILE_FIELDS[field] ? value : PII_PROFILE_FIELDS[field]!(value);
  };
  assertReplaceableFile(options.out, '--out');
  const temporary = `${options.out}.partial`;
  const out = openSync(temporary, 'w');
  try {
    const columns = ['customer_id', ...options.fields];
    if (options.format === 'csv') writeSync(out, `${columns.join(',')}\n`);
    options.onProgress?.(0, ids.length);
    for (let from = 0; from < ids.length; from += 1000) {
      const chunk = ids.slice(from, from + 1000);
      // Profile fields from customers, attributes from their columns; every name was checked above.
      const rows = await store.query<Record<string, unknown>>(
        `SELECT c.customer_id${options.fields.map((f) => (attributes.has(f) ? `, a."${f}"` : `, c.${f}`)).join('')}
         FROM customers c JOIN ${dialect(store.kind).jsonRows('$1', ['id'])} ids ON ids.id = c.customer_id LEFT JOIN customer_attributes a ON a.customer_id = c.customer_id
         ORDER BY c.customer_id`,
        [jsonRowsParam(chunk.map((id) => [id]))],
      );
      let text = '';
      for (const r of rows) {
        const values = Object.fromEntries(columns.map((f) => [f, attributes.has(f) ? (r[f] ?? null) : masked(f, r[f] ?? null)]));
        text += options.format === 'csv' ? `${columns.map((f) => csvCell(values[f])).join(',')}\n` : `${JSON.stringify(values)}\n`;
      }
      writeSync(out, text);
      options.onProgress?.(Math.min(from + 1000, ids.length), ids.length);
    }
  } catch (error) {
    closeSync(out);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(out);
  renameSync(temporary, options.out);
  return { rows: ids.length, asOf, withheld };
}
