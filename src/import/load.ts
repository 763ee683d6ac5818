import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { mergeProfiles } from '../ingest/index.ts';
import { withIndexesRebuilt, type Queryable } from '../store/index.ts';
import type { CheckedImport, ImportTable } from './check.ts';
import type { ImportKind } from './schemas.ts';
import { literal } from './sql.ts';

// Loading runs on the store itself, in one transaction, with the same SQL on DuckDB and PostgreSQL.

export interface LoadResult {
  /**
   * Rows the store refused after checking, by record number (order lines whose order is unknown): the first
   * `maxRefused + 1` of them, and how many there are. With more than `maxRefused`, nothing more was loaded.
   */
  refused: { row: number; reason: string }[];
  refusedCount: number;
  customersCreated: number;
  merges: number;
}

/**
 * Recreates an import table on PostgreSQL and fills it from the DuckDB that checked it: DuckDB writes the typed rows
 * to a CSV file in `dir`, which streams into PostgreSQL through `COPY … FROM STDIN`, and the table is analysed so the
 * planner knows its size. (Sending them as INSERTs of 20,000 rows took most of a 10M-row import's time.)
 */
export async function copyImportTable(from: Queryable, to: Queryable, table: ImportTable, dir: string): Promise<void> {
  await to.execute(`CREATE TEMP TABLE ${table.name} (${table.columns.map(([c, t]) => `${c} ${t}`).join(', ')}) ON COMMIT DROP`);
  const names = table.columns.map(([c]) => c);
  const path = join(dir, `${table.name}.csv`);
  try {
    await from.execute(`COPY (SELECT ${names.join(', ')} FROM ${table.name}) TO ${literal(path)} (FORMAT csv, HEADER false)`);
    await to.copyCsv(table.name, names, path);
  } finally {
    rmSync(path, { force: true });
  }
  if (to.kind === 'postgres') {
    // The load reads the table in ranges of siyu_row, which the file keeps in order: a BRIN index (built in a
    // fraction of a second) spares each range a scan of the whole table.
    await to.execute(`CREATE INDEX ON ${table.name} USING brin (siyu_row)`);
    await to.execute(`ANALYZE ${table.name}`);
  }
}

/**
 * Runs `fn` over [from, to] record-number ranges of an import table, so long loads can report progress. Each range
 * costs a hash build of the join, so ranges are large: 2.5M rows, four progress steps for a 10M-row file.
 */
async function inRanges(tx: Queryable, table: string, fn: (lo: number, hi: number) => Promise<void>, onRows: (n: number) => void, size = 2_500_000): Promise<void> {
  const [bounds] = await tx.query<{ lo: number | null; hi: number | null; n: number }>(`SELECT min(siyu_row) AS lo, max(siyu_row) AS hi, count(*) AS n FROM ${table}`);
  if (!bounds || bounds.lo === null || bounds.hi === null) return;
  for (let lo = bounds.lo; lo <= bounds.hi; lo += size) {
    const hi = Math.min(lo + size - 1, bounds.hi);
    await fn(lo, hi);
    const [{ n }] = (await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE siyu_row BETWEEN ${lo} AND ${hi}`)) as [{ n: number }];
    onRows(Number(n));
  }
}

export async function loadImport(
  tx: Queryable,
  kind: Exclude<ImportKind, 'events'>,
  checked: CheckedImport,
  source: string,
  now: Date,
  onRows: (n: number) => void,
  maxRefused = Number.MAX_SAFE_INTEGER,
): Promise<LoadResult> {
  const result: LoadResult = { refused: [], refusedCount: 0, customersCreated: 0, merges: 0 };
  const params = [source, now];
  if (kind === 'customers') {
    await inRanges(tx, 'siyu_import', (lo, hi) => loadCustomers(tx, lo, hi, params), onRows);
    result.merges = await linkIdentities(tx, source, now);
    return result;
  }
  if (kind === 'products') {
    await inRanges(
      tx,
      'siyu_import',
      (lo, hi) =>
        tx.execute(
          `INSERT INTO products (sku, name, category, brand, price_fen, replenish_days, is_active, stock, updated_at)
           SELECT sku, name, category, brand, price_fen, replenish_days, COALESCE(is_active, TRUE), stock, $1::TIMESTAMPTZ FROM siyu_import WHERE siyu_row BETWEEN ${lo} AND ${hi}
           ON CONFLICT (sku) DO UPDATE SET name = COALESCE(excluded.name, products.name), category = COALESCE(excluded.category, products.category),
             brand = COALESCE(excluded.brand, products.brand), price_fen = COALESCE(excluded.price_fen, products.price_fen),
             replenish_days = COALESCE(excluded.replenish_days, products.replenish_days), stock = COALESCE(excluded.stock, products.stock),
             updated_at = excluded.updated_at`,
          [now],
        )
          // is_active is NOT NULL, so the insert defaults it to true; an existing product changes only when the file says so.
          .then(() => tx.execute(`UPDATE products SET is_active = s.is_active FROM siyu_import s WHERE s.sku = products.sku AND s.is_active IS NOT NULL AND s.siyu_row BETWEEN ${lo} AND ${hi}`))
          .then(() => undefined),
      onRows,
    );
    return result;
  }
  const keyType = literal(checked.identifier);
  if (kind === 'orders') {
    result.customersCreated = await ensureCustomers(tx, 'siyu_import', checked.identifier, params);
    await loadOrders(tx, keyType, params, onRows);
  }
  if (checked.grain === 'line') Object.assign(result, await loadLines(tx, kind, keyType, params, onRows, maxRefused));
  return result;
}

/**
 * Orders replace stored orders with the same key. The fact tables have no key constraint on DuckDB (bulk loads
 * would spend most of their time maintaining it), so stored orders that the file repeats are deleted first, in one
 * join, and then every row is inserted.
 */
async function loadOrders(tx: Queryable, keyType: string, params: unknown[], onRows: (n: number) => void): Promise<void> {
  const resolved = `siyu_import v JOIN identities i ON i.type = ${keyType} AND i.value = v.key_value`;
  await tx.execute(`DELETE FROM orders WHERE EXISTS (SELECT 1 FROM ${resolved} WHERE i.customer_id = orders.customer_id AND v.order_id = orders.order_id)`);
  const [{ n }] = (await tx.query<{ n: number }>('SELECT count(*) AS n FROM siyu_import')) as [{ n: number }];
  await withIndexesRebuilt(tx, 'orders', Number(n), () => inRanges(
    tx,
    'siyu_import',
    (lo, hi) =>
      tx.execute(
        `INSERT INTO orders (customer_id, order_id, placed_at, status, total_fen, discount_fen, refunded_fen, currency, channel, store_id, coupon_code, source, updated_at)
         SELECT i.customer_id, v.order_id, v.placed_at, v.status, v.total_fen, v.discount_fen, CASE WHEN v.status = 'refunded' THEN v.total_fen ELSE 0 END,
                v.currency, v.channel, v.store_id, v.coupon_code, $1, $2::TIMESTAMPTZ
         FROM ${resolved} WHERE v.siyu_row BETWEEN ${lo} AND ${hi}`,
        params,
      ).then(() => undefined),
    onRows,
  ));
}

async function loadCustomers(tx: Queryable, lo: number, hi: number, params: unknown[]): Promise<void> {
  const fill = ['phone', 'email', 'name', 'gender', 'birthday', 'birth_year', 'birth_month', 'city', 'registered_at', 'channel'];
  // Staged phone and email columns hold blind indexes (the identities' values); the profile takes the sealed values.
  const source = (c: string) => (c === 'phone' || c === 'email' ? `v.${c}_secret` : `v.${c}`);
  // A customer_id that was merged into another profile loads into the survivor.
  await tx.execute(
    `INSERT INTO customers (customer_id, ${fill.join(', ')}, created_at, updated_at)
     SELECT COALESCE(i.customer_id, v.customer_id), ${fill.map(source).join(', ')}, $1::TIMESTAMPTZ, $1::TIMESTAMPTZ
     FROM siyu_import v LEFT JOIN identities i ON i.type = 'user_id' AND i.value = v.customer_id
     WHERE v.siyu_row BETWEEN ${lo} AND ${hi}
     ON CONFLICT (customer_id) DO UPDATE SET ${fill.map((c) => `${c} = COALESCE(excluded.${c}, customers.${c})`).join(', ')}, updated_at = excluded.updated_at`,
    [params[1]],
  );
  for (const type of ['user_id', 'phone', 'email']) {
    const value = type === 'user_id' ? 'v.customer_id' : `v.${type}`;
    const secret = type === 'user_id' ? 'NULL' : `min(v.${type}_secret)`;
    await tx.execute(
      `INSERT INTO identities (type, value, secret, customer_id, source, created_at)
       SELECT '${type}', ${value}, ${secret}, min(COALESCE(u.customer_id, v.customer_id)), $1, $2::TIMESTAMPTZ
       FROM siyu_import v LEFT JOIN identities u ON u.type = 'user_id' AND u.value = v.customer_id
       WHERE ${value} IS NOT NULL AND v.siyu_row BETWEEN ${lo} AND ${hi} GROUP BY ${value}
       ON CONFLICT (type, value) DO NOTHING`,
      params,
    );
  }
}

/**
 * After a customer import, a phone or email that already belonged to another profile either merges that profile
 * in (when it has no user id: anonymous browsing, an order imported by phone) or is recorded as a conflict.
 */
async function linkIdentities(tx: Queryable, source: string, now: Date): Promise<number> {
  const clashes = await tx.query<{ member: string; type: string; value: string; owner: string; owner_has_user_id: boolean }>(
    `SELECT COALESCE(u.customer_id, v.customer_id) AS member, i.type, i.value, i.customer_id AS owner,
            EXISTS (SELECT 1 FROM identities x WHERE x.customer_id = i.customer_id AND x.type = 'user_id') AS owner_has_user_id
     FROM siyu_import v
     LEFT JOIN identities u ON u.type = 'user_id' AND u.value = v.customer_id
     JOIN (SELECT customer_id, 'phone' AS type, phone AS value FROM siyu_import WHERE phone IS NOT NULL
           UNION ALL SELECT customer_id, 'email', email FROM siyu_import WHERE email IS NOT NULL) k ON k.customer_id = v.customer_id
     JOIN identities i ON i.type = k.type AND i.value = k.value
     WHERE i.customer_id <> COALESCE(u.customer_id, v.customer_id)
     ORDER BY member, i.type, i.value`,
  );
  let merges = 0;
  const merged = new Set<string>();
  for (const clash of clashes) {
    if (!clash.owner_has_user_id && !merged.has(clash.owner)) {
      await mergeProfiles(tx, { survivor: clash.member, loser: clash.owner, reason: 'import', evidence: `${clash.type}:${clash.value}`, at: now });
      merged.add(clash.owner);
      merges++;
    } else if (clash.owner_has_user_id) {
      await tx.execute(
        `INSERT INTO identity_conflicts (customer_id, type, value, owner_id, message_id, detected_at) VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMPTZ)
         ON CONFLICT (customer_id, type, value) DO NOTHING`,
        [clash.member, clash.type, clash.value, clash.owner, `import:${source}`, now],
      );
    }
  }
  return merges;
}

/** Profiles for customer keys never seen before, named as identity resolution names them. Returns how many. */
async function ensureCustomers(tx: Queryable, table: string, identifier: string, params: unknown[]): Promise<number> {
  const keyType = literal(identifier);
  const newId = identifier === 'user_id' ? 'key_value' : `${literal(`${identifier}:`)} || key_value`;
  await tx.execute(
    `CREATE TEMP TABLE siyu_new_keys AS SELECT key_value, max(key_secret) AS key_secret FROM ${table} v
     WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.type = ${keyType} AND i.value = v.key_value) GROUP BY key_value`,
  );
  const created = await tx.execute(`INSERT INTO customers (customer_id, created_at, updated_at) SELECT ${newId}, $1::TIMESTAMPTZ, $1::TIMESTAMPTZ FROM siyu_new_keys ON CONFLICT (customer_id) DO NOTHING`, [params[1]]);
  await tx.execute(`INSERT INTO identities (type, value, secret, customer_id, source, created_at) SELECT ${keyType}, key_value, key_secret, ${newId}, $1, $2::TIMESTAMPTZ FROM siyu_new_keys ON CONFLICT (type, value) DO NOTHING`, params);
  await tx.execute('DROP TABLE siyu_new_keys');
  return created;
}

/** Order lines replace every stored line of their orders; SKUs not in the catalogue are added from the lines. */
async function loadLines(
  tx: Queryable,
  kind: ImportKind,
  keyType: string,
  params: unknown[],
  onRows: (n: number) => void,
  maxRefused: number,
): Promise<Pick<LoadResult, 'refused' | 'refusedCount'>> {
  const owner =
    kind === 'orders'
      ? `JOIN identities i ON i.type = ${keyType} AND i.value = v.key_value JOIN orders o ON o.customer_id = i.customer_id AND o.order_id = v.order_id`
      : 'JOIN orders o ON o.order_id = v.order_id';
  const unknown = 'FROM siyu_import_lines v WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = v.order_id)';
  const [{ n }] = (await tx.query<{ n: number }>(`SELECT count(*) AS n ${unknown}`)) as [{ n: number }];
  const refusedCount = Number(n);
  const found = refusedCount === 0 ? [] : await tx.query<{ siyu_row: number; order_id: string }>(`SELECT v.siyu_row, v.order_id ${unknown} ORDER BY v.siyu_row LIMIT ${Math.min(refusedCount, maxRefused + 1)}`);
  const refused = found.map((r) => ({ row: Number(r.siyu_row), reason: `order ${r.order_id} is not in the store; import its order first` }));
  if (refusedCount > maxRefused) return { refused, refusedCount }; // the import stops; nothing more to load
  await tx.execute(`DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM siyu_import_lines)`);
  const [{ lines }] = (await tx.query<{ lines: number }>('SELECT count(*) AS lines FROM siyu_import_lines')) as [{ lines: number }];
  await withIndexesRebuilt(tx, 'order_items', Number(lines), () => inRanges(
    tx,
    'siyu_import_lines',
    (lo, hi) =>
      tx.execute(
        `INSERT INTO order_items (customer_id, order_id, line, sku, name, quantity, unit_price_fen, category, brand)
         SELECT o.customer_id, v.order_id, v.line, v.sku, v.name, v.quantity, v.unit_price_fen, v.category, v.brand
         FROM siyu_import_lines v ${owner} WHERE v.siyu_row BETWEEN ${lo} AND ${hi}`,
      ).then(() => undefined),
    onRows,
  ));
  // Lines imported on their own change their orders: layer updates and the layers' staleness checks go by updated_at.
  if (kind !== 'orders') await tx.execute(`UPDATE orders SET updated_at = $1::TIMESTAMPTZ WHERE order_id IN (SELECT order_id FROM siyu_import_lines)`, [params[1]]);
  await tx.execute(
    `INSERT INTO products (sku, name, category, brand, price_fen, updated_at)
     SELECT sku, max(name), max(category), max(brand), max(unit_price_fen), $1::TIMESTAMPTZ FROM siyu_import_lines GROUP BY sku
     ON CONFLICT (sku) DO NOTHING`,
    [params[1]],
  );
  return { refused, refusedCount };
}
