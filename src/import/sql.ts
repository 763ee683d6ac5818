import { SiyuError } from '../core/errors.ts';
import { ORDER_STATUSES, targetOf, type ColumnSpec } from './columns.ts';
import type { ColumnSource } from './schemas.ts';

// Staging SQL: files are read and checked by DuckDB (in the store's own connection, or an in-memory one
// when the store is PostgreSQL), so everything here is DuckDB SQL over all-text source columns.

export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const literal = (value: string | number): string => (typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`);

/** Macros shared by every import: the SQL twin of normalisePhone in ingest/identifiers.ts (tests keep them equal). */
export const STAGING_MACROS = [
  `CREATE OR REPLACE TEMP MACRO siyu_digits(s) AS regexp_replace(s, '[^0-9]', '', 'g')`,
  `CREATE OR REPLACE TEMP MACRO siyu_e164(s) AS CASE
     WHEN starts_with(trim(s), '+') THEN siyu_digits(s)
     WHEN starts_with(siyu_digits(s), '00') THEN substr(siyu_digits(s), 3)
     WHEN length(siyu_digits(s)) = 13 AND starts_with(siyu_digits(s), '861') THEN siyu_digits(s)
     ELSE '86' || ltrim(siyu_digits(s), '0') END`,
  `CREATE OR REPLACE TEMP MACRO siyu_phone(s) AS CASE
     WHEN s IS NULL OR NOT regexp_full_match(trim(s), '[+0-9][0-9 ()\\-.]*') THEN NULL
     WHEN length(siyu_e164(s)) < 8 OR length(siyu_e164(s)) > 15 THEN NULL
     WHEN starts_with(siyu_e164(s), '861') AND length(siyu_e164(s)) <> 13 THEN NULL
     ELSE '+' || siyu_e164(s) END`,
  `CREATE OR REPLACE TEMP MACRO siyu_email(s) AS CASE WHEN regexp_full_match(lower(trim(s)), '[^\\s@]+@[^\\s@]+\\.[^\\s@]+') THEN lower(trim(s)) END`,
];

export interface ColumnContext {
  /** Source columns present in the file. */
  available: ReadonlySet<string>;
  timezone: string;
  currency: string;
}

/** The text expression a canonical column reads, after `values` and `default` are applied. */
export function sourceExpression(spec: ColumnSpec, source: ColumnSource | undefined, ctx: ColumnContext): string {
  const from = typeof source === 'string' ? { column: source } : (source ?? {});
  let raw: string;
  if (from.expr !== undefined) raw = `CAST((${from.expr}) AS VARCHAR)`;
  else if (from.const !== undefined) raw = literal(String(from.const));
  else {
    const column = from.column ?? spec.name;
    if (!ctx.available.has(column)) {
      if (from.column !== undefined || spec.required) {
        throw new SiyuError('validation', 'missing_column', `column "${column}" (for ${spec.name}) is not in the file; it has: ${[...ctx.available].join(', ')}`, {
          details: [{ path: `columns.${spec.name}`, message: `no column "${column}" in the file` }],
        });
      }
      raw = 'NULL::VARCHAR';
    } else raw = ident(column);
  }
  let text = `NULLIF(trim(${raw}), '')`;
  if (from.values) {
    const cases = Object.entries(from.values).map(([k, v]) => `WHEN ${literal(k)} THEN ${literal(v)}`);
    text = `(CASE ${text} ${cases.join(' ')} ELSE ${text} END)`;
  }
  if (from.default !== undefined) text = `COALESCE(${text}, ${literal(String(from.default))})`;
  return text;
}

/**
 * The typed value of one column, as an expression over its text `t`, and the reason it is bad (NULL when fine), as an
 * expression over `t` and `v`, the column holding the typed value: the value is computed once and the reason reads it.
 */
export function typedColumn(spec: ColumnSpec, t: string, v: string, source: ColumnSource | undefined, ctx: ColumnContext): { value: string; reason: string } {
  const from = typeof source === 'object' ? source : {};
  const name = spec.name;
  const shown = `'${name}: ' || `;
  const bad = (what: string) => `${shown}'${what}: "' || ${t} || '"'`;
  const required = spec.required ? `WHEN ${t} IS NULL THEN '${name} is empty'` : '';
  const unparsed = (what: string) => `WHEN ${t} IS NOT NULL AND ${v} IS NULL THEN ${bad(what)}`;
  const check = (value: string, conditions: string[] = []) => {
    const all = [required, ...conditions].filter(Boolean);
    return { value, reason: all.length ? `CASE ${all.join(' ')} END` : 'NULL' };
  };
  switch (spec.type) {
    case 'text':
      return check(t);
    case 'currency':
      return check(`upper(COALESCE(${t}, ${literal(ctx.currency)}))`, [`WHEN ${t} IS NOT NULL AND NOT regexp_full_match(${t}, '[A-Za-z]{3}') THEN ${bad('not an ISO-4217 code')}`]);
    case 'money': {
      // Plain numbers (nearly every row) skip the clean-up of currency signs and thousands separators.
      const num = `COALESCE(TRY_CAST(${t} AS DECIMAL(18,4)), TRY_CAST(regexp_replace(${t}, '[¥￥,\\s]', '', 'g') AS DECIMAL(18,4)))`;
      const factor = from.unit === 'fen' ? 1 : 100;
      return check(`CAST(round(${num} * ${factor}) AS BIGINT)`, [unparsed('not a number'), `WHEN ${v} < 0 THEN ${shown}'must not be negative: ' || ${t}`]);
    }
    case 'int': {
      const num = `TRY_CAST(${t} AS DOUBLE)`;
      return check(`CASE WHEN ${num} = floor(${num}) AND ${num} > 0 AND ${num} <= 2147483647 THEN CAST(${num} AS INTEGER) END`, [unparsed('not a positive whole number')]);
    }
    case 'count': {
      const num = `TRY_CAST(${t} AS DOUBLE)`;
      return check(`CASE WHEN ${num} = floor(${num}) AND ${num} >= 0 AND ${num} <= 2147483647 THEN CAST(${num} AS INTEGER) END`, [unparsed('not a whole number ≥ 0')]);
    }
    case 'boolean':
      return check(
        `CASE WHEN lower(${t}) IN ('true', 't', '1', 'yes', 'y', '是') THEN TRUE WHEN lower(${t}) IN ('false', 'f', '0', 'no', 'n', '否') THEN FALSE END`,
        [unparsed('not true/false, 1/0, yes/no or 是/否')],
      );
    case 'timestamp': {
      const tz = literal(ctx.timezone);
      // Only the last few characters can hold a zone (Z, +08, +0800, +08:00), so only they are matched.
      const value = from.format
        ? `timezone(${tz}, try_strptime(${t}, ${literal(from.format)}))`
        : `CASE WHEN regexp_matches(right(${t}, 6), '([zZ]|[+-]\\d{2}(:?\\d{2})?)$') AND regexp_matches(${t}, '\\d[T ]\\d{1,2}:\\d{2}') THEN TRY_CAST(${t} AS TIMESTAMPTZ) ELSE timezone(${tz}, TRY_CAST(${t} AS TIMESTAMP)) END`;
      return check(value, [unparsed(from.format ? `not a date-time in the format ${from.format}` : 'not an ISO-8601 date-time')]);
    }
    case 'date': {
      const value = from.format ? `CAST(try_strptime(${t}, ${literal(from.format)}) AS DATE)` : `TRY_CAST(${t} AS DATE)`;
      return check(value, [unparsed(from.format ? `not a date in the format ${from.format}` : 'not a YYYY-MM-DD date')]);
    }
    case 'phone':
      return check(`siyu_phone(${t})`, [unparsed('not a valid phone number')]);
    case 'email':
      return check(`siyu_email(${t})`, [unparsed('not a valid email address')]);
    case 'gender':
      return check(`CASE WHEN lower(${t}) IN ('f', 'female', '女') THEN 'f' WHEN lower(${t}) IN ('m', 'male', '男') THEN 'm' WHEN ${t} IS NOT NULL THEN 'other' END`);
    case 'status': {
      const allowed = ORDER_STATUSES.map((s) => literal(s)).join(', ');
      return check(`COALESCE(${t}, 'completed')`, [`WHEN ${t} IS NOT NULL AND ${t} NOT IN (${allowed}) THEN ${bad(`not one of ${ORDER_STATUSES.join(', ')}`)}`]);
    }
  }
}

/**
 * The SELECT that types and checks every source row in three steps, each reading the one before: the text of each
 * column, its typed value, and the reasons a row is bad (`siyu_reason`, NULL when it is fine).
 */
export function typedSelect(specs: readonly ColumnSpec[], columns: Record<string, ColumnSource>, ctx: ColumnContext, from: string): string {
  const unknown = Object.keys(columns).filter((name) => !specs.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new SiyuError('validation', 'unknown_column', `the mapping names columns this import does not have: ${unknown.join(', ')}; canonical columns are ${specs.map((s) => s.name).join(', ')}`, {
      details: unknown.map((name) => ({ path: `columns.${name}`, message: 'not a canonical column of this import kind' })),
    });
  }
  const texts: string[] = [];
  const values: string[] = [];
  const reasons: string[] = [];
  for (const spec of specs) {
    const t = ident(`siyu_text_${spec.name}`);
    const v = targetOf(spec);
    const { value, reason } = typedColumn(spec, t, v, columns[spec.name], ctx);
    texts.push(`${sourceExpression(spec, columns[spec.name], ctx)} AS ${t}`);
    values.push(`${value} AS ${v}`);
    reasons.push(reason);
  }
  return `SELECT siyu_row, ${specs.map(targetOf).join(', ')}, NULLIF(concat_ws('; ', ${reasons.join(', ')}), '') AS siyu_reason
    FROM (SELECT *, ${values.join(', ')} FROM (SELECT siyu_row, ${texts.join(', ')} FROM ${from}))`;
}
