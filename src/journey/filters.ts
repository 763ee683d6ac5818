import type { PropertyFilter } from './schemas.ts';

/**
 * SQL for property filters on an event's `properties` JSON (alias `e`), as the segment DSL compares them: a number
 * compares as a number, anything else as text. `param` adds a value and returns its placeholder.
 */
export function propertyFiltersSql(alias: string, filters: readonly PropertyFilter[], param: (value: unknown) => string): string {
  return filters.map((f) => `(${filterSql(`(${alias}.properties->>'${f.property}')`, f, param)})`).join(' AND ') || 'TRUE';
}

function filterSql(column: string, f: PropertyFilter, param: (value: unknown) => string): string {
  const numeric = typeof f.value === 'number' || (Array.isArray(f.value) && f.value.every((v) => typeof v === 'number'));
  const typed = numeric ? `CAST(${column} AS DOUBLE PRECISION)` : column;
  const cast = (v: unknown) => (numeric ? `CAST(${param(v)} AS DOUBLE PRECISION)` : `CAST(${param(String(v))} AS TEXT)`);
  switch (f.op) {
    case 'in':
    case 'not_in': {
      const list = `(${(Array.isArray(f.value) ? f.value : [f.value]).map(cast).join(', ')})`;
      return f.op === 'in' ? `${typed} IN ${list}` : `(${typed} IS NULL OR ${typed} NOT IN ${list})`;
    }
    case 'contains':
      return `strpos(${column}, ${cast(f.value)}) > 0`;
    case '!=':
      return `(${typed} IS NULL OR ${typed} <> ${cast(f.value)})`;
    default:
      return `${typed} ${f.op} ${cast(f.value)}`;
  }
}

/** The same comparison in JavaScript, for one event's properties (the dry run reads events one by one). */
export function matchesFilters(properties: Record<string, unknown> | null, filters: readonly PropertyFilter[]): boolean {
  return filters.every((f) => {
    const raw = properties?.[f.property];
    const numeric = typeof f.value === 'number' || (Array.isArray(f.value) && f.value.every((v) => typeof v === 'number'));
    const value = raw === undefined || raw === null ? null : numeric ? Number(raw) : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
    const wanted = (v: unknown) => (numeric ? Number(v) : String(v));
    switch (f.op) {
      case 'in':
        return value !== null && (Array.isArray(f.value) ? f.value : [f.value]).map(wanted).includes(value);
      case 'not_in':
        return value === null || !(Array.isArray(f.value) ? f.value : [f.value]).map(wanted).includes(value);
      case 'contains':
        return value !== null && String(value).includes(String(f.value));
      case '!=':
        return value === null || value !== wanted(f.value);
      case '=':
        return value !== null && value === wanted(f.value);
      default: {
        if (value === null) return false;
        const [a, b] = [value, wanted(f.value)] as [number | string, number | string];
        return f.op === '>' ? a > b : f.op === '>=' ? a >= b : f.op === '<' ? a < b : a <= b;
      }
    }
  });
}
