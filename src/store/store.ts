/** One row as it comes back from either engine: BIGINT as number, timestamps as Date, JSON parsed. */
export type Row = Record<string, unknown>;

/** A result as one array per column, named as `query` would name the row fields, with the same values. */
export type Columns = Record<string, unknown[]>;

export type BackendKind = 'duckdb' | 'postgres';

/** Something SQL can run on: the store itself, or an open transaction. Placeholders are `$1, $2, …` on both engines. */
export interface Queryable {
  /** The engine it runs on, for the few differences dialect() keeps. */
  readonly kind: BackendKind;
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** `query` column by column: for results of a million rows, where building an object per row is the cost. */
  queryColumns(sql: string, params?: readonly unknown[]): Promise<Columns>;
  /** Runs a statement and returns the number of rows it changed. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Inserts many rows in as few round trips as the engine allows.
   * `onConflict` is the tail of the statement after `ON CONFLICT`, e.g. `(customer_id, order_id) DO NOTHING`.
   * Returns the number of rows inserted or updated.
   */
  insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], onConflict?: string): Promise<number>;
  /**
   * Bulk-appends rows that name every column of `table` (in any order), with no conflict handling: for tables
   * that are replaced whole, such as precomputed scores. On DuckDB this uses the appender, about ten times faster
   * than `insertRows`; elsewhere, and for column types the appender path does not handle, it is `insertRows`.
   */
  appendRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number>;
  /**
   * Bulk-loads a headerless CSV file (RFC 4180 quoting; an empty unquoted field is NULL) into `columns` of `table`:
   * PostgreSQL's `COPY … FROM STDIN`, streamed from the file in bounded memory, or DuckDB's `COPY … FROM`.
   * Returns the number of rows loaded.
   */
  copyCsv(table: string, columns: readonly string[], file: string): Promise<number>;
}

export interface Store extends Queryable {
  /** Where the data lives, with any password removed; safe to print. */
  readonly location: string;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. Writes are durable on commit. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Another handle on the same database whose statements run concurrently with this one's: a second connection to
   * the same DuckDB instance, or the same PostgreSQL pool. Close it before the store.
   */
  fork(): Promise<Store>;
  /** On a fork, the store it was forked from (settings that belong to the database, such as its keys, are its). */
  readonly forkOf?: Store;
  /** Runs a script of several statements (migrations). */
  script(sql: string): Promise<void>;
  close(): Promise<void>;
}
