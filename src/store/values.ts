// Shared value conversion at the store boundary, so both engines hand domain code the same JS types.

/** BIGINT/HUGEINT become number when exact, otherwise a decimal string. */
export function normaliseBigInt(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** A calendar date as `YYYY-MM-DD`, from a Date that holds UTC midnight. */
export function isoDate(value: Date): string {
  return value.toISOString().slice(0, 10);
}

/** Parameters: objects (JSON columns) are serialised; Dates become ISO strings, which both engines cast. */
export function encodeParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) return JSON.stringify(value);
  return value;
}

/** Builds `($1,$2),($3,$4)…` for a multi-row VALUES list. */
export function valuesPlaceholders(rowCount: number, columnCount: number, offset = 0): string {
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    const cells: string[] = [];
    for (let c = 0; c < columnCount; c++) cells.push(`$${offset + r * columnCount + c + 1}`);
    rows.push(`(${cells.join(',')})`);
  }
  return rows.join(',');
}

/** A parameter value as text, as the engines cast it back to a column type; null stays null. */
export function asText(value: unknown): string | null {
  const encoded = encodeParam(value);
  return encoded === null ? null : String(encoded);
}

/**
 * Rows as the one JSON parameter that `dialect(kind).jsonRows` (and DuckDB's bulk insert) unpacks. Scalars travel as
 * text; JSON objects and arrays are embedded as they are, and both engines hand them back as their JSON text, so a
 * JSON column's value is serialised once rather than twice with every quote escaped.
 */
export function jsonRowsParam(rows: readonly (readonly unknown[])[]): string {
  return JSON.stringify(rows.map((row) => row.map(jsonCell)));
}

function jsonCell(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !ArrayBuffer.isView(value)) return value;
  return asText(value);
}
