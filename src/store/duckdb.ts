import { DuckDBDataChunk, DuckDBDateValue, DuckDBInstance, DuckDBTimestampTZValue, DuckDBTypeId, type DuckDBConnection, type DuckDBResultReader, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { SiyuError } from '../core/errors.ts';
import { translateDriverError } from './driver-errors.ts';
import { Mutex } from './mutex.ts';
import type { Columns, Queryable, Row, Store } from './store.ts';
import { encodeParam, isoDate, jsonRowsParam, normaliseBigInt } from './values.ts';

// Rows per INSERT statement; bounds the size of the JSON payload.
const ROWS_PER_INSERT = 20_000;

/** One value as `query` returns it: BIGINT as number (or string beyond 2^53), JSON parsed, DATE as YYYY-MM-DD. */
function normalise(value: unknown, type: DuckDBType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return normaliseBigInt(value);
  if (type.alias === 'JSON' && typeof value === 'string') return JSON.parse(value);
  if (type.typeId === DuckDBTypeId.DATE && value instanceof Date) return isoDate(value);
  return value;
}

function convertRows(reader: DuckDBResultReader): Row[] {
  const types = reader.columnTypes();
  const names = reader.columnNames();
  const rows = reader.getRowsJS();
  const out: Row[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r]!;
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = normalise(src[c], types[c]!);
    out[r] = row;
  }
  return out;
}

/** Column-major conversion: about 3× faster than rows for a million-row result, and no object per row. */
function convertColumns(reader: DuckDBResultReader): Columns {
  const types = reader.columnTypes();
  const names = reader.columnNames();
  const columns = reader.getColumnsJS();
  const out: Columns = {};
  names.forEach((name, c) => {
    const column = (columns[c] ?? []) as unknown[]; // an empty result has no chunks, so no columns
    const type = types[c]!;
    // Doubles and text come back as they are (SQL NULL is already null); only the other types need converting.
    if (type.typeId !== DuckDBTypeId.DOUBLE && !(type.typeId === DuckDBTypeId.VARCHAR && type.alias !== 'JSON')) {
      for (let r = 0; r < column.length; r++) column[r] = normalise(column[r], type);
    }
    out[name] = column;
  });
  return out;
}

/**
 * The connections of one DuckDB instance in this process (the store, its forks: the server's pipeline, job runs)
 * keep their own transactions, but their statements take turns at the engine: each statement runs, and its result
 * is read into JavaScript, while no other connection of the instance is inside the driver. Reading a result while
 * another connection wrote returned short strings corrupted, rarely and only under load (a data key id with NUL
 * bytes; a JSON value read back as ":"), which the turns rule out. DuckDB still runs each statement on all cores.
 */
class DuckDBQueryable implements Queryable {
  readonly kind = 'duckdb' as const;
  constructor(
    protected readonly connection: DuckDBConnection,
    protected readonly engine: Mutex,
  ) {}

  query<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.read(sql, params, (reader) => convertRows(reader) as T[]);
  }

  queryColumns(sql: string, params: readonly unknown[] = []): Promise<Columns> {
    return this.read(sql, params, convertColumns);
  }

  /** Runs a query and converts its whole result within the engine's turn. */
  private read<R>(sql: string, params: readonly unknown[], convert: (reader: DuckDBResultReader) => R): Promise<R> {
    return this.engine.run(async () => {
      try {
        return convert(await this.connection.runAndReadAll(sql, params.map(encodeParam) as DuckDBValue[]));
      } catch (error) {
        throw translateDriverError(error, sql);
      }
    });
  }

  execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.engine.run(async () => {
      try {
        const result = await this.connection.run(sql, params.map(encodeParam) as DuckDBValue[]);
        return Number(result.rowsChanged);
      } catch (error) {
        throw translateDriverError(error, sql);
      }
    });
  }

  /**
   * Rows travel as one JSON text parameter that DuckDB unpacks with json_transform: binding tens of thousands of
   * separate parameters is about 8× slower. Values are sent as text and cast to the column types on insert.
   */
  async insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], onConflict?: string): Promise<number> {
    if (rows.length === 0) return 0;
    let changed = 0;
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_INSERT);
      const payload = jsonRowsParam(chunk);
      const select = columns.map((_, i) => `r[${i + 1}]`).join(', ');
      const sql = `INSERT INTO ${table} (${columns.join(',')}) SELECT ${select} FROM (SELECT unnest(json_transform($1, '[["VARCHAR"]]')) AS r)${onConflict ? ` ON CONFLICT ${onConflict}` : ''}`;
      changed += await this.execute(sql, [payload]);
    }
    return changed;
  }

  copyCsv(table: string, columns: readonly string[], file: string): Promise<number> {
    return this.execute(`COPY ${table} (${columns.join(', ')}) FROM '${file.replaceAll("'", "''")}' (FORMAT csv, HEADER false)`);
  }

  async appendRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
    if (rows.length === 0) return 0;
    const described = await this.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position',
      [table],
    );
    const position = new Map(columns.map((c, i) => [c, i]));
    const appendable = described.length === columns.length && described.every((c) => position.has(c.column_name) && c.data_type in TO_VALUE);
    if (!appendable) return this.insertRows(table, columns, rows);
    const plan = described.map((c) => ({ index: position.get(c.column_name)!, convert: TO_VALUE[c.data_type]! }));
    await this.engine.run(() => this.append(table, rows, plan));
    return rows.length;
  }

  private async append(table: string, rows: readonly (readonly unknown[])[], plan: { index: number; convert: (value: unknown) => DuckDBValue }[]): Promise<void> {
    let appender;
    try {
      appender = await this.connection.createAppender(table);
      const types = plan.map((_, i) => appender!.columnType(i));
      // A data chunk per 2,048 rows (DuckDB's vector size), filled a column at a time: about twice as fast as
      // appending value by value.
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, rows.length - start);
        const chunk = DuckDBDataChunk.create(types, count);
        chunk.setColumns(
          plan.map(({ index, convert }) => {
            const column = new Array<DuckDBValue>(count);
            for (let k = 0; k < count; k++) {
              const value = rows[start + k]![index];
              column[k] = value === null || value === undefined ? null : convert(value);
            }
            return column;
          }),
        );
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } catch (error) {
      throw error instanceof SiyuError ? error : translateDriverError(error, `append to ${table}`);
    } finally {
      appender?.closeSync();
    }
  }
}

const CHUNK_ROWS = 2048;

// How the appender path converts a value for each column type it handles; tables with other types go through insertRows.
const TO_VALUE: Record<string, (value: unknown) => DuckDBValue> = {
  VARCHAR: (v) => String(v),
  JSON: (v) => (typeof v === 'string' ? v : JSON.stringify(v)),
  INTEGER: (v) => Number(v),
  BIGINT: (v) => BigInt(v as number | string),
  DOUBLE: (v) => Number(v),
  BOOLEAN: (v) => Boolean(v),
  'TIMESTAMP WITH TIME ZONE': repeatsCached((v) => new DuckDBTimestampTZValue(BigInt((v instanceof Date ? v : new Date(String(v))).getTime()) * 1000n)),
  DATE: repeatsCached((v) => new DuckDBDateValue(epochDay(v))),
};

/** `convert`, reusing the last result when a value repeats (a run date on every row parses once, not per row). */
function repeatsCached(convert: (value: unknown) => DuckDBValue): (value: unknown) => DuckDBValue {
  let last: unknown;
  let result: DuckDBValue = null;
  return (value) => {
    if (value !== last || result === null) [last, result] = [value, convert(value)];
    return result;
  };
}

/** Days since 1970-01-01 of a Date (its UTC day) or a YYYY-MM-DD string, for the appender's DATE columns. */
function epochDay(value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : /^\d{4}-\d{2}-\d{2}/.test(String(value)) ? Date.parse(`${String(value).slice(0, 10)}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms)) throw new SiyuError('validation', 'invalid_date', `not a date: ${JSON.stringify(value)} (expected YYYY-MM-DD)`);
  return Math.floor(ms / 86_400_000);
}

async function connect(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  // Every timestamp is UTC at rest and on the wire; the brand timezone is applied explicitly in queries.
  await connection.run(`SET TimeZone = 'UTC'`);
  return connection;
}

async function runTransaction<T>(connection: DuckDBConnection, engine: Mutex, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const tx = new DuckDBQueryable(connection, engine);
  await tx.execute('BEGIN TRANSACTION');
  try {
    const result = await fn(tx);
    await tx.execute('COMMIT');
    return result;
  } catch (error) {
    await tx.execute('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The connection held by `DuckDBStore.exclusive`: statements autocommit unless run inside `transaction`. */
export class DuckDBSession extends DuckDBQueryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return runTransaction(this.connection, this.engine, fn);
  }
}

/** The embedded store: one DuckDB file (or `:memory:`) owned by this process. */
export class DuckDBStore extends DuckDBQueryable implements Store {
  private readonly lock = new Mutex();

  private constructor(
    private readonly instance: DuckDBInstance,
    connection: DuckDBConnection,
    engine: Mutex,
    readonly location: string,
    private readonly ownsInstance = true,
  ) {
    super(connection, engine);
  }

  /**
   * Opens (or creates) the file. SIYU_DUCKDB_MEMORY_LIMIT (for example `3GB`) caps the memory DuckDB takes for its
   * caches and operators (it spills to disk beyond it); by default DuckDB takes up to 80% of the machine's memory.
   */
  static async open(path: string): Promise<DuckDBStore> {
    let instance: DuckDBInstance;
    const limit = process.env.SIYU_DUCKDB_MEMORY_LIMIT;
    try {
      instance = await DuckDBInstance.create(path, limit ? { memory_limit: limit } : undefined);
    } catch (error) {
      if (limit && /memory|config/i.test(String(error))) {
        throw new SiyuError('validation', 'invalid_memory_limit', `SIYU_DUCKDB_MEMORY_LIMIT=${JSON.stringify(limit)} is not a memory size DuckDB accepts (for example 3GB or 512MB): ${(error as Error).message}`);
      }
      throw translateDriverError(error, `open ${path}`);
    }
    return new DuckDBStore(instance, await connect(instance), new Mutex(), path);
  }

  forkOf?: Store;

  async fork(): Promise<Store> {
    const fork = new DuckDBStore(this.instance, await connect(this.instance), this.engine, this.location, false);
    fork.forkOf = this.forkOf ?? this;
    return fork;
  }

  override query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.lock.run(() => super.query<T>(sql, params));
  }

  override queryColumns(sql: string, params?: readonly unknown[]): Promise<Columns> {
    return this.lock.run(() => super.queryColumns(sql, params));
  }

  override execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.lock.run(() => super.execute(sql, params));
  }

  override insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], onConflict?: string): Promise<number> {
    return this.transaction((tx) => tx.insertRows(table, columns, rows, onConflict));
  }

  override appendRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
    return this.transaction((tx) => tx.appendRows(table, columns, rows));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.lock.run(() => runTransaction(this.connection, this.engine, fn));
  }

  /**
   * Holds the connection for a whole session of statements that run outside a transaction, each committing on its
   * own, with `transaction` available inside. Bulk staging uses it: DuckDB reads temp tables made in the same open
   * transaction about half as fast, and staging tables need no rollback.
   */
  exclusive<T>(fn: (session: DuckDBSession) => Promise<T>): Promise<T> {
    return this.lock.run(() => fn(new DuckDBSession(this.connection, this.engine)));
  }

  script(sql: string): Promise<void> {
    return this.lock.run(() => this.engine.run(async () => {
      try {
        await this.connection.run(sql);
      } catch (error) {
        throw translateDriverError(error, sql);
      }
    }));
  }

  private closed = false;

  /** Closes the connection (and the file, unless this is a fork); closing twice is harmless. */
  async close(): Promise<void> {
    await this.lock.run(() => this.engine.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.connection.closeSync();
      if (this.ownsInstance) this.instance.closeSync();
    }));
  }
}
