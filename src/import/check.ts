import type { KeyRing } from '../privacy/index.ts';
import type { Queryable } from '../store/index.ts';
import { CANONICAL, ORDER_LINE_COLUMNS, SQL_TYPE, targetOf, type ColumnSpec } from './columns.ts';
import { STAGING_MACROS, typedSelect, type ColumnContext } from './sql.ts';
import type { ImportKind, Mapping } from './schemas.ts';
import { rejectErased } from './erased.ts';
import { sealChecked } from './seal.ts';

/**
 * Checked, typed rows ready to load, and their column types (to recreate them as a table on PostgreSQL). In DuckDB
 * it is a view when it only filters and renames `siyu_checked` (materialising 10M rows cost 3 s), a table when it
 * aggregates or numbers lines.
 */
export interface ImportTable {
  name: 'siyu_import' | 'siyu_import_lines';
  columns: [string, string][];
}

export interface CheckedImport {
  tables: ImportTable[];
  /** How customer_id values are looked up in identities. */
  identifier: NonNullable<Mapping['identifier']>;
  grain: 'order' | 'line';
}

const ORDER_COLUMNS_TYPED: ImportTable['columns'] = [['siyu_row', 'BIGINT'], ['key_value', 'TEXT'], ['key_secret', 'TEXT'], ['order_id', 'TEXT'], ['placed_at', 'TIMESTAMPTZ'], ['total_fen', 'BIGINT'], ['discount_fen', 'BIGINT'], ['currency', 'TEXT'], ['channel', 'TEXT'], ['store_id', 'TEXT'], ['status', 'TEXT'], ['coupon_code', 'TEXT']];

const LINE_TABLE: ImportTable = {
  name: 'siyu_import_lines',
  columns: [['siyu_row', 'BIGINT'], ['key_value', 'TEXT'], ['order_id', 'TEXT'], ['line', 'INTEGER'], ['sku', 'TEXT'], ['name', 'TEXT'], ['quantity', 'INTEGER'], ['unit_price_fen', 'BIGINT'], ['category', 'TEXT'], ['brand', 'TEXT']],
};

function specsFor(kind: Exclude<ImportKind, 'events'>, mapping: Mapping): ColumnSpec[] {
  const base = kind === 'orders' && mapping.grain === 'line' ? ORDER_LINE_COLUMNS : CANONICAL[kind];
  const identifier = mapping.identifier ?? 'user_id';
  // A customer key given as a phone or email is normalised (and checked) like the identifier it is.
  return base.map((spec) =>
    spec.name === 'customer_id' && kind !== 'customers' && (identifier === 'phone' || identifier === 'email') ? { ...spec, type: identifier } : spec,
  );
}

/**
 * Types and checks every staged row in SQL, writing `siyu_checked` (typed values + `siyu_reason`), then builds
 * the tables to load from the rows without a reason. A key repeated in one file keeps its last row; for
 * line-level files, an order with any bad line is rejected whole, so no order is loaded half. Personal data in the
 * good rows is sealed before the tables are built (seal.ts), and rows naming a person erased at their request
 * (`tombstones`, erased.ts) are rejected.
 */
export async function checkRows(
  db: Queryable,
  kind: Exclude<ImportKind, 'events'>,
  mapping: Mapping,
  ctx: ColumnContext,
  lineSql: (row: string) => string,
  ring: KeyRing | null,
  tombstones: readonly string[] = [],
): Promise<CheckedImport> {
  for (const macro of STAGING_MACROS) await db.execute(macro);
  const specs = specsFor(kind, mapping);
  await db.execute(`CREATE TEMP TABLE siyu_checked AS ${typedSelect(specs, mapping.columns, ctx, 'siyu_src')}`);

  const grain = kind === 'order-items' || (kind === 'orders' && mapping.grain === 'line') ? 'line' : 'order';
  const key = { customers: 'customer_id', orders: 'order_id', products: 'sku', 'order-items': undefined }[kind];
  if (grain === 'order' && key) {
    // Only keys that repeat are ranked, so a file without repeats costs one hash aggregate, not a window sort.
    await db.execute(
      `UPDATE siyu_checked SET siyu_reason = '${key} ' || siyu_checked.${key} || ' appears again at line ' || ${lineSql('w.winner')} || ', which is kept'
       FROM (SELECT siyu_row AS r, max(siyu_row) OVER (PARTITION BY ${key}) AS winner FROM siyu_checked
             WHERE siyu_reason IS NULL AND ${key} IN (SELECT ${key} FROM siyu_checked WHERE siyu_reason IS NULL GROUP BY ${key} HAVING count(*) > 1)) w
       WHERE w.r = siyu_checked.siyu_row AND w.winner <> siyu_checked.siyu_row`,
    );
  } else {
    await db.execute(
      `UPDATE siyu_checked SET siyu_reason = 'order ' || order_id || ' has a rejected line, so none of its lines were loaded'
       WHERE siyu_reason IS NULL AND order_id IN (SELECT order_id FROM siyu_checked WHERE siyu_reason IS NOT NULL AND order_id IS NOT NULL)`,
    );
  }

  await sealChecked(db, kind, mapping.identifier ?? 'user_id', ring);
  if (ring) await rejectErased(db, kind, mapping.identifier ?? 'user_id', ring, tombstones);
  const ok = 'FROM siyu_checked WHERE siyu_reason IS NULL';
  const tables: ImportTable[] = [];
  if (kind === 'orders') {
    const select =
      grain === 'order'
        ? `SELECT siyu_row, customer_id AS key_value, key_secret, order_id, placed_at, total_fen, COALESCE(discount_fen, 0) AS discount_fen,
             currency, channel, store_id, status, coupon_code ${ok}`
        : `SELECT min(siyu_row) AS siyu_row, customer_id AS key_value, max(key_secret) AS key_secret, order_id, min(placed_at) AS placed_at,
             COALESCE(max(total_fen), sum(quantity * unit_price_fen)) AS total_fen, COALESCE(max(discount_fen), 0) AS discount_fen,
             max(currency) AS currency, max(channel) AS channel, max(store_id) AS store_id, max(status) AS status, max(coupon_code) AS coupon_code
           ${ok} GROUP BY customer_id, order_id`;
    await db.execute(`CREATE TEMP ${grain === 'order' ? 'VIEW' : 'TABLE'} siyu_import AS ${select}`);
    tables.push({ name: 'siyu_import', columns: ORDER_COLUMNS_TYPED });
  }
  if (grain === 'line') {
    const keyValue = kind === 'orders' ? 'customer_id' : 'NULL::VARCHAR';
    await db.execute(
      `CREATE TEMP TABLE siyu_import_lines AS SELECT siyu_row, ${keyValue} AS key_value, order_id,
         CAST(row_number() OVER (PARTITION BY ${keyValue}, order_id ORDER BY siyu_row) AS INTEGER) AS line, sku, name, quantity, unit_price_fen, category, brand ${ok}`,
    );
    tables.push(LINE_TABLE);
  }
  if (kind === 'customers' || kind === 'products') {
    const columns: [string, string][] = [['siyu_row', 'BIGINT'], ...specs.map((s): [string, string] => [targetOf(s), SQL_TYPE[s.type]])];
    if (kind === 'customers') {
      // The birthday was sealed (seal.ts): a token, with its plain year and month beside it.
      columns.splice(columns.findIndex(([c]) => c === 'birthday'), 1, ['birthday', 'TEXT'], ['birth_year', 'SMALLINT'], ['birth_month', 'SMALLINT']);
      columns.push(['phone_secret', 'TEXT'], ['email_secret', 'TEXT']);
    }
    await db.execute(`CREATE TEMP VIEW siyu_import AS SELECT ${columns.map(([c]) => c).join(', ')} ${ok}`);
    tables.push({ name: 'siyu_import', columns });
  }
  return { tables, identifier: kind === 'customers' ? 'user_id' : (mapping.identifier ?? 'user_id'), grain };
}
