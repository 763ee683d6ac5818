import type { ImportKind } from './schemas.ts';

export type ColumnType = 'text' | 'money' | 'int' | 'count' | 'boolean' | 'timestamp' | 'date' | 'phone' | 'email' | 'gender' | 'status' | 'currency';

/** One canonical input column: its name in files, its type, and the column it fills. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  required?: boolean;
  /** The typed column it becomes; defaults to `name` (money columns gain `_fen`). */
  target?: string;
}

const text = (name: string, required = false): ColumnSpec => ({ name, type: 'text', required });

const ORDER_COLUMNS: ColumnSpec[] = [
  text('order_id', true),
  text('customer_id', true),
  { name: 'placed_at', type: 'timestamp', required: true },
  { name: 'total', type: 'money', required: true },
  { name: 'discount', type: 'money' },
  { name: 'currency', type: 'currency' },
  text('channel'),
  text('store_id'),
  { name: 'status', type: 'status' },
  text('coupon_code'),
];

const LINE_COLUMNS: ColumnSpec[] = [
  text('sku', true),
  text('name'),
  { name: 'quantity', type: 'int', required: true },
  { name: 'unit_price', type: 'money', required: true },
  text('category'),
  text('brand'),
];

/** The canonical columns of each file kind (docs/import.md). Events are Segment JSONL and have none. */
export const CANONICAL: Record<Exclude<ImportKind, 'events'>, ColumnSpec[]> = {
  customers: [
    text('customer_id', true),
    { name: 'phone', type: 'phone' },
    { name: 'email', type: 'email' },
    text('name'),
    { name: 'gender', type: 'gender' },
    { name: 'birthday', type: 'date' }, // checked as a date, then sealed with its year and month kept beside it (seal.ts)
    text('city'),
    { name: 'registered_at', type: 'timestamp' },
    text('channel'),
  ],
  orders: ORDER_COLUMNS,
  'order-items': [text('order_id', true), ...LINE_COLUMNS],
  products: [
    text('sku', true),
    text('name'),
    text('category'),
    text('brand'),
    { name: 'price', type: 'money' },
    { name: 'replenish_days', type: 'int' },
    { name: 'is_active', type: 'boolean' },
    { name: 'stock', type: 'count' },
  ],
};

/** Orders from a line-level export: every order column plus the line columns; total becomes optional (summed from lines). */
export const ORDER_LINE_COLUMNS: ColumnSpec[] = [...ORDER_COLUMNS.map((c) => (c.name === 'total' ? { ...c, required: false } : c)), ...LINE_COLUMNS];

export const SQL_TYPE: Record<ColumnType, string> = {
  text: 'TEXT',
  money: 'BIGINT',
  int: 'INTEGER',
  count: 'INTEGER',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  phone: 'TEXT',
  email: 'TEXT',
  gender: 'TEXT',
  status: 'TEXT',
  currency: 'TEXT',
};

export const targetOf = (spec: ColumnSpec): string => spec.target ?? (spec.type === 'money' ? `${spec.name}_fen` : spec.name);

export const ORDER_STATUSES = ['completed', 'partially_refunded', 'refunded', 'cancelled'] as const;
