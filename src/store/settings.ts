import type { Queryable } from './store.ts';

export interface BrandSettings {
  /** IANA zone for every "day" boundary. */
  timezone: string;
  /** ISO-4217 code money is reported in. */
  currency: string;
}

/** The brand settings row by row from `settings`, with the defaults of migration 001. */
export async function readBrandSettings(db: Queryable): Promise<BrandSettings> {
  const rows = await db.query<{ key: string; value: string }>(`SELECT key, value FROM settings WHERE key IN ('timezone', 'currency')`);
  const get = (key: string, fallback: string) => rows.find((r) => r.key === key)?.value ?? fallback;
  return { timezone: get('timezone', 'Asia/Shanghai'), currency: get('currency', 'CNY') };
}

/**
 * The currency order money is reported in: the brand currency when any order uses it, else the most common order
 * currency (a store holding only an imported foreign export reports in that export's currency).
 */
export async function reportingCurrency(db: Queryable, brandCurrency: string): Promise<string> {
  // Usually some order is in the brand's currency: finding one is a short scan, counting them all is not.
  const [found] = await db.query(`SELECT 1 AS found FROM orders WHERE currency = $1 LIMIT 1`, [brandCurrency]);
  if (found) return brandCurrency;
  const [common] = await db.query<{ currency: string; n: number }>(`SELECT currency, count(*) AS n FROM orders GROUP BY currency ORDER BY n DESC, currency LIMIT 1`);
  return common?.currency ?? brandCurrency;
}
