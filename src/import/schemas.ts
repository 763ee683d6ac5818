import { z } from 'zod';

export const ImportKinds = ['customers', 'orders', 'order-items', 'products', 'events'] as const;
export type ImportKind = (typeof ImportKinds)[number];

export const FileFormats = ['csv', 'jsonl', 'parquet'] as const;
export type FileFormat = (typeof FileFormats)[number];

/** Where one canonical column's value comes from. A plain string names a source column. */
export const ColumnSource = z.union([
  z.string().min(1),
  z.strictObject({
    column: z.string().min(1).optional().describe('source column name'),
    expr: z.string().min(1).optional().describe('a DuckDB SQL expression over the source columns (all text)'),
    const: z.union([z.string(), z.number()]).optional().describe('the same value on every row'),
    format: z.string().optional().describe('strptime format for dates and times, e.g. %m/%d/%Y %H:%M'),
    unit: z.enum(['yuan', 'fen']).optional().describe('money columns: the unit the file uses (default yuan)'),
    values: z.record(z.string(), z.string()).optional().describe('replace these source values first, e.g. {"交易成功": "completed"}'),
    default: z.union([z.string(), z.number()]).optional().describe('used when the source is empty'),
  }),
]);
export type ColumnSource = z.infer<typeof ColumnSource>;

/** A mapping file: how another system's export becomes Siyu's canonical columns (docs/import.md). */
export const Mapping = z.strictObject({
  description: z.string().optional(),
  kind: z.enum(ImportKinds).optional().describe('the import kind this mapping is for; checked against the command'),
  format: z.enum(FileFormats).optional(),
  csv: z.strictObject({ delimiter: z.string().min(1).max(1).optional(), header: z.boolean().optional(), quote: z.string().max(1).optional() }).optional(),
  timezone: z.string().optional().describe('zone of times without an offset (default: the brand timezone setting)'),
  identifier: z.enum(['user_id', 'phone', 'email', 'member_no', 'unionid']).optional().describe('what customer_id holds (default user_id)'),
  grain: z.enum(['order', 'line']).optional().describe('orders: "line" when the file has one row per order line'),
  columns: z.record(z.string(), ColumnSource).default({}),
});
export type Mapping = z.infer<typeof Mapping>;
