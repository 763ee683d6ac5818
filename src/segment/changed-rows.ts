import type { Queryable } from '../store/index.ts';
import { createTempTable, replaceScopeRows, scoped } from './scope.ts';

/** What writeChangedRows compares and writes. */
export interface ChangedRows {
  /** The layer's table as readers name it (a view over `values`, or the table itself). */
  table: string;
  /** The table that stores the rows. */
  values: string;
  /** A temporary table of every customer's new row, with the stored columns. */
  next: string;
  /** The stored columns, as SQL. */
  columns: string;
  /** The columns whose change makes a row worth writing. */
  compared: readonly string[];
  /** Records the changes of the customers written, while their new rows are in the copy `<moved>_<table>` (scope.ts). */
  record: () => Promise<unknown>;
  /** The name of the temporary table left with the customers written (one column, customer_id). */
  moved: string;
}

/**
 * Writes, of every customer's new row in `next`, only those that differ from the stored ones in a compared column
 * (or that are new), and deletes the stored rows of customers `next` no longer has; records their changes (`record`)
 * for exactly those customers. Everyone else's row, and its computed_at, stays as it is. Leaves the
 * customers written in the table `moved`, for the later steps; returns how many there are.
 */
export async function writeChangedRows(tx: Queryable, spec: ChangedRows): Promise<number> {
  const { table, values, next, columns, compared, record, moved } = spec;
  const differs = compared.map((c) => `n.${c} IS DISTINCT FROM v.${c}`).join(' OR ');
  await createTempTable(
    tx,
    moved,
    `SELECT coalesce(n.customer_id, v.customer_id) AS customer_id FROM ${next} n FULL OUTER JOIN ${values} v ON v.customer_id = n.customer_id
     WHERE n.customer_id IS NULL OR v.customer_id IS NULL OR ${differs}`,
  );
  await createTempTable(tx, scoped(table, moved), `SELECT * FROM ${next} WHERE customer_id IN (SELECT customer_id FROM ${moved})`);
  await replaceScopeRows(tx, moved, table, columns, values);
  await record();
  await tx.execute(`DROP TABLE ${scoped(table, moved)}`);
  await tx.execute(`DROP TABLE ${next}`);
  const [row] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${moved}`);
  return Number(row?.n ?? 0);
}
