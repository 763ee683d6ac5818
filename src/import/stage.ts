import { extname } from 'node:path';
import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';
import { ident, literal } from './sql.ts';
import type { FileFormat, Mapping } from './schemas.ts';

/**
 * A file read into the temp view `siyu_src`: all-text columns plus `siyu_row`, its 1-based record number. The view is
 * over the table `siyu_src_raw`, whose rowid gives the record number: DuckDB keeps file order (preserve_insertion_order
 * is on), and numbering with `row_number() OVER ()` instead nearly doubled the time to read 10M rows.
 */
export interface StagedFile {
  format: FileFormat;
  columns: string[];
  rows: number;
  /**
   * Records the reader itself could not parse. They stay in DuckDB, in the temp table `siyu_unreadable` (line,
   * reason, record), so a file of nothing but bad lines costs no JavaScript memory.
   */
  unreadable: number;
  /** The SQL expression of the line a record started on, given the SQL of its record number. */
  lineSql: (row: string) => string;
}

export function detectFormat(file: string, given?: FileFormat): FileFormat {
  if (given) return given;
  const ext = extname(file).toLowerCase();
  if (['.csv', '.tsv', '.txt'].includes(ext)) return 'csv';
  if (['.jsonl', '.ndjson', '.json'].includes(ext)) return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new SiyuError('validation', 'unknown_format', `cannot tell the format of ${file} from its extension; pass --format csv|jsonl|parquet`);
}

/** Reads `file` with DuckDB into `siyu_src`. Runs in a DuckDB connection (the store's, or a scratch one). */
export async function stageFile(db: Queryable, file: string, format: FileFormat, mapping: Mapping): Promise<StagedFile> {
  await dropStaging(db);
  const path = literal(file);
  let headerLines = 0;
  if (format === 'parquet') {
    await db.execute('CREATE TEMP TABLE siyu_unreadable (line BIGINT, reason VARCHAR, record VARCHAR)');
    await db.execute(`CREATE TEMP TABLE siyu_src_raw AS SELECT COLUMNS(*)::VARCHAR FROM read_parquet(${path})`);
    await db.execute('CREATE TEMP VIEW siyu_src AS SELECT rowid + 1 AS siyu_row, * FROM siyu_src_raw');
  } else if (format === 'csv') {
    const csv = mapping.csv ?? {};
    headerLines = csv.header === false ? 0 : 1;
    const delimiter = csv.delimiter ?? (extname(file).toLowerCase() === '.tsv' ? '\t' : undefined);
    const options = [
      'all_varchar = true',
      `header = ${headerLines === 1}`,
      'store_rejects = true',
      "rejects_table = 'siyu_rejects'",
      "rejects_scan = 'siyu_reject_scans'",
      ...(delimiter ? [`delim = ${literal(delimiter)}`] : []),
      ...(csv.quote !== undefined ? [`quote = ${literal(csv.quote)}`] : []),
    ];
    await db.execute(`CREATE TEMP TABLE siyu_src_raw AS SELECT * FROM read_csv(${path}, ${options.join(', ')})`);
    await db.execute('CREATE TEMP VIEW siyu_src AS SELECT rowid + 1 AS siyu_row, * FROM siyu_src_raw');
    await db.execute(
      `CREATE TEMP TABLE siyu_unreadable AS SELECT CAST(line AS BIGINT) AS line, 'unreadable CSV record: ' || first(error_message) AS reason, first(csv_line) AS record
       FROM siyu_rejects GROUP BY line`,
    );
  } else {
    await db.execute(
      `CREATE TEMP TABLE siyu_lines_raw AS
       SELECT * FROM read_csv(${path}, columns = {'siyu_line': 'VARCHAR'}, header = false, delim = E'\\x1f', quote = '', escape = '', auto_detect = false)`,
    );
    await db.execute('CREATE TEMP VIEW siyu_lines AS SELECT rowid + 1 AS siyu_row, siyu_line FROM siyu_lines_raw');
    await db.execute(
      `CREATE TEMP TABLE siyu_unreadable AS SELECT CAST(siyu_row AS BIGINT) AS line, 'not a JSON object' AS reason, siyu_line AS record
       FROM siyu_lines WHERE siyu_line IS NOT NULL AND (NOT json_valid(siyu_line) OR json_type(siyu_line) <> 'OBJECT')`,
    );
    const keys = await db.query<{ key: string }>(
      `SELECT DISTINCT unnest(json_keys(siyu_line)) AS key FROM siyu_lines WHERE json_valid(siyu_line) AND json_type(siyu_line) = 'OBJECT' ORDER BY key`,
    );
    const select = keys.map(({ key }) => `json_extract_string(siyu_line, ${literal(`$.${JSON.stringify(key)}`)}) AS ${ident(key)}`);
    await db.execute(
      `CREATE TEMP TABLE siyu_src_raw AS SELECT siyu_row${select.map((s) => `, ${s}`).join('')} FROM siyu_lines
       WHERE siyu_line IS NOT NULL AND json_valid(siyu_line) AND json_type(siyu_line) = 'OBJECT'`,
    );
    await db.execute('CREATE TEMP VIEW siyu_src AS SELECT * FROM siyu_src_raw');
  }
  const columns = (await db.query<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE siyu_src)`)).map((c) => c.column_name).filter((c) => c !== 'siyu_row');
  const [{ n }] = (await db.query<{ n: number }>('SELECT count(*) AS n FROM siyu_src')) as [{ n: number }];
  const [{ bad }] = (await db.query<{ bad: number }>('SELECT count(*) AS bad FROM siyu_unreadable')) as [{ bad: number }];
  // JSONL keeps blank lines as records, so record n is line n there. A CSV record sits after the header and after
  // every earlier line the reader rejected; multi-line quoted fields would shift this, and are rare in exports.
  // With the k-th rejected line at s(k), g(k) = s(k) - header - k records come before it, so record r is on line
  // r + header + (the number of k with g(k) < r): siyu_skips holds, for each g, the largest such k.
  if (format === 'csv' && bad > 0) {
    await db.execute(
      `CREATE TEMP TABLE siyu_skips AS SELECT g, max(k) AS k
       FROM (SELECT line - ${headerLines} - row_number() OVER (ORDER BY line) AS g, row_number() OVER (ORDER BY line) AS k FROM siyu_unreadable) GROUP BY g`,
    );
  }
  const lineSql = (row: string): string => {
    if (format !== 'csv') return `(${row})`;
    const skipped = bad > 0 ? ` + COALESCE((SELECT max(k) FROM siyu_skips WHERE g < ${row}), 0)` : '';
    return `(${row} + ${headerLines}${skipped})`;
  };
  return { format, columns, rows: Number(n), unreadable: Number(bad), lineSql };
}

export async function dropStaging(db: Queryable): Promise<void> {
  for (const view of ['siyu_src', 'siyu_lines']) await db.execute(`DROP VIEW IF EXISTS ${view}`);
  for (const table of ['siyu_src_raw', 'siyu_lines_raw', 'siyu_checked', 'siyu_rejects', 'siyu_reject_scans', 'siyu_unreadable', 'siyu_skips', 'siyu_refused']) {
    await db.execute(`DROP TABLE IF EXISTS ${table}`);
  }
}
