import { DuckDBInstance, DuckDBTimestampTZValue, DuckDBTypeId, type DuckDBAppender, type DuckDBConnection, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { translateDriverError } from './driver-errors.ts';
import { Mutex } from './mutex.ts';
import type { Queryable, Row, Store } from './store.ts';
import { encodeParam, isoDate, jsonRowsParam, normaliseBigInt } from './values.ts';

// Rows per INSERT statement; bounds the size of the JSON payload.
const ROWS_PER_INSERT = 20_000;

function convertRows(reader: DuckDBResultReader): Row[] {
  const types = reader.columnTypes();
  const names = reader.columnNames();
  const rows = reader.getRowsJS();
  const out: Row[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r]!;
    const row: Row = {};
    for (let c = 0; c < names.length; c++) {
      const type = types[c]!;
      let value: unknown = src[c];
      if (value === null || value === undefined) value = null;
      else if (typeof value === 'bigint') value = normaliseBigInt(value);
      else if (type.alias === 'JSON' && typeof value === 'string') value = JSON.parse(value);
      else if (type.typeId === DuckDBTypeId.DATE && value instanceof Date) value = isoDate(value);
      row[names[c]!] = value;
    }
    out[r] = row;
  }
  return out;
}

class DuckDBQueryable implements Queryable {
  constructor(protected readonly connection: DuckDBConnection) {}

  async query<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const reader = await this.connection.runAndReadAll(sql, params.map(encodeParam) as DuckDBValue[]);
      return convertRows(reader) as T[];
    } catch (error) {
      throw translateDriverError(error, sql);
    }
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    try {
      const result = await this.connection.run(sql, params.map(encodeParam) as DuckDBValue[]);
      return Number(result.rowsChanged);
    } catch (error) {
      throw translateDriverError(error, sql);
    }
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

  async appendRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
    if (rows.length === 0) return 0;
    const described = await this.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position',
      [table],
    );
    const position = new Map(columns.map((c, i) => [c, i]));
    const appendable = described.length === columns.length && described.every((c) => position.has(c.column_name) && c.data_type in APPEND);
    if (!appendable) return this.insertRows(table, columns, rows);
    const plan = described.map((c) => ({ index: position.get(c.column_name)!, append: APPEND[c.data_type]!, name: c.column_name }));
    let appender;
    try {
      appender = await this.connection.createAppender(table);
      for (const row of rows) {
        for (const column of plan) {
          const value = row[column.index];
          if (value === null || value === undefined) appender.appendNull();
          else column.append(appender, value);
        }
        appender.endRow();
      }
      appender.flushSync();
    } catch (error) {
      throw translateDriverError(error, `append to ${table}`);
    } finally {
      appender?.closeSync();
    }
    return rows.length;
  }
}

// How the appender path writes each column type it handles; tables with other types go through insertRows.
const APPEND: Record<string, (appender: DuckDBAppender, value: unknown) => void> = {
  VARCHAR: (a, v) => a.appendVarchar(String(v)),
  JSON: (a, v) => a.appendVarchar(typeof v === 'string' ? v : JSON.stringify(v)),
  INTEGER: (a, v) => a.appendInteger(Number(v)),
  BIGINT: (a, v) => a.appendBigInt(BigInt(v as number | string)),
  DOUBLE: (a, v) => a.appendDouble(Number(v)),
  BOOLEAN: (a, v) => a.appendBoolean(Boolean(v)),
  'TIMESTAMP WITH TIME ZONE': (a, v) => a.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt((v instanceof Date ? v : new Date(String(v))).getTime()) * 1000n)),
};

async function connect(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  // Every timestamp is UTC at rest and on the wire; the brand timezone is applied explicitly in queries.
  await connection.run(`SET TimeZone = 'UTC'`);
  return connection;
}

async function runTransaction<T>(connection: DuckDBConnection, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const tx = new DuckDBQueryable(connection);
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
    return runTransaction(this.connection, fn);
  }
}

/** The embedded store: one DuckDB file (or `:memory:`) owned by this process. */
export class DuckDBStore extends DuckDBQueryable implements Store {
  readonly kind = 'duckdb' as const;
  private readonly lock = new Mutex();

  private constructor(
    private readonly instance: DuckDBInstance,
    connection: DuckDBConnection,
    readonly location: string,
    private readonly ownsInstance = true,
  ) {
    super(connection);
  }

  static async open(path: string): Promise<DuckDBStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      throw translateDriverError(error, `open ${path}`);
    }
    return new DuckDBStore(instance, await connect(instance), path);
  }

  async fork(): Promise<Store> {
    return new DuckDBStore(this.instance, await connect(this.instance), this.location, false);
  }

  override query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.lock.run(() => super.query<T>(sql, params));
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
    return this.lock.run(() => runTransaction(this.connection, fn));
  }

  /**
   * Holds the connection for a whole session of statements that run outside a transaction, each committing on its
   * own, with `transaction` available inside. Bulk staging uses it: DuckDB reads temp tables made in the same open
   * transaction about half as fast, and staging tables need no rollback.
   */
  exclusive<T>(fn: (session: DuckDBSession) => Promise<T>): Promise<T> {
    return this.lock.run(() => fn(new DuckDBSession(this.connection)));
  }

  script(sql: string): Promise<void> {
    return this.lock.run(async () => {
      try {
        await this.connection.run(sql);
      } catch (error) {
        throw translateDriverError(error, sql);
      }
    });
  }

  private closed = false;

  /** Closes the connection (and the file, unless this is a fork); closing twice is harmless. */
  async close(): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.connection.closeSync();
      if (this.ownsInstance) this.instance.closeSync();
    });
  }
}
