import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { translateDriverError } from './driver-errors.ts';
import type { Columns, Queryable, Row, Store } from './store.ts';
import { encodeParam, valuesPlaceholders } from './values.ts';

// PostgreSQL's wire protocol allows 65,535 parameters per statement.
const MAX_PARAMS = 60_000;

// Same JS types as the DuckDB store: int8 and numeric as numbers, DATE as `YYYY-MM-DD`.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (value: string) => normaliseNumeric(value);
    if (oid === 1082) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function normaliseNumeric(value: string): number | string {
  const n = Number(value);
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : value;
}

class PgQueryable implements Queryable {
  readonly kind = 'postgres' as const;
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

  async query<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const result = await this.client.query(sql, params.map(encodeParam));
      return result.rows as T[];
    } catch (error) {
      throw translateDriverError(error, sql);
    }
  }

  async queryColumns(sql: string, params: readonly unknown[] = []): Promise<Columns> {
    try {
      const result = await this.client.query({ text: sql, values: params.map(encodeParam), rowMode: 'array' });
      const columns: Columns = {};
      result.fields.forEach((field, c) => (columns[field.name] = result.rows.map((row: unknown[]) => row[c])));
      return columns;
    } catch (error) {
      throw translateDriverError(error, sql);
    }
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    try {
      const result = await this.client.query(sql, params.map(encodeParam));
      return result.rowCount ?? 0;
    } catch (error) {
      throw translateDriverError(error, sql);
    }
  }

  async insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], onConflict?: string): Promise<number> {
    if (rows.length === 0) return 0;
    const perChunk = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    let changed = 0;
    for (let start = 0; start < rows.length; start += perChunk) {
      const chunk = rows.slice(start, start + perChunk);
      const sql = `INSERT INTO ${table} (${columns.join(',')}) VALUES ${valuesPlaceholders(chunk.length, columns.length)}${onConflict ? ` ON CONFLICT ${onConflict}` : ''}`;
      changed += await this.execute(sql, chunk.flat());
    }
    return changed;
  }

  appendRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
    return this.insertRows(table, columns, rows);
  }

  async copyCsv(table: string, columns: readonly string[], file: string): Promise<number> {
    const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv)`;
    // COPY needs one connection for the whole stream: the transaction's, or one taken from the pool.
    const client = this.client instanceof pg.Pool ? await this.client.connect() : this.client;
    try {
      const stream = client.query(copyFrom(sql));
      await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), stream);
      return stream.rowCount;
    } catch (error) {
      throw translateDriverError(error, sql);
    } finally {
      if (client !== this.client) (client as pg.PoolClient).release();
    }
  }
}

/** The server store: a PostgreSQL database shared by any number of Siyu processes. */
export class PostgresStore extends PgQueryable implements Store {

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly ownsPool = true,
  ) {
    super(pool);
  }

  /** The pool already runs statements concurrently, so a fork shares it. */
  forkOf?: Store;

  async fork(): Promise<Store> {
    const fork = new PostgresStore(this.pool, this.location, false);
    fork.forkOf = this.forkOf ?? this;
    return fork;
  }

  /**
   * Opens `postgres://…`. A `schema` query parameter (`?schema=brand_a`) puts every table in that schema,
   * which tests use to isolate themselves.
   */
  static async open(url: string): Promise<PostgresStore> {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema');
    parsed.searchParams.delete('schema');
    if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw translateDriverError(new Error(`schema name "${schema}" must be lower-case letters, digits and _`), 'open');
    }
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: Number(process.env.SIYU_PG_POOL_SIZE ?? 8),
      types,
      options: `-c TimeZone=UTC${schema ? ` -c search_path=${schema}` : ''}`,
    });
    pool.on('error', () => undefined); // an idle client dropped by the server; the next query reconnects
    const store = new PostgresStore(pool, redact(parsed));
    try {
      if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      else await pool.query('SELECT 1');
    } catch (error) {
      await pool.end();
      throw translateDriverError(error, `connect to ${store.location}`);
    }
    return store;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translateDriverError(error, 'connect');
    }
    try {
      await client.query('BEGIN');
      const result = await fn(new PgQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error instanceof Error && 'kind' in error ? error : translateDriverError(error, 'transaction');
    } finally {
      client.release();
    }
  }

  async script(sql: string): Promise<void> {
    await this.execute(sql);
  }

  private closed = false;

  /** Ends the pool (unless this is a fork); closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed || !this.ownsPool) return;
    this.closed = true;
    await this.pool.end();
  }
}

function redact(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}
