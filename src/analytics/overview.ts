import { dialect, readBrandSettings, reportingCurrency, type Store } from '../store/index.ts';

/** The headline numbers of a store: who is in it and what they bought. Money in fen of the brand currency. */
export interface Overview {
  currency: string;
  timezone: string;
  customers: number;
  buyers: number;
  identities: number;
  merges: number;
  events: number;
  orders: number;
  /** Paid minus refunded, over orders that were not cancelled. */
  gmvFen: number;
  aovFen: number;
  /** Share of buyers with at least two orders. */
  repeatRate: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  byChannel: { channel: string; orders: number; gmvFen: number }[];
  byMonth: { month: string; orders: number; gmvFen: number }[];
}

const GMV = `sum(total_fen - refunded_fen)`;

/** Computes the overview in a handful of set-based queries, the same on DuckDB and PostgreSQL. */
export async function computeOverview(store: Store): Promise<Overview> {
  const { timezone, currency: brandCurrency } = await readBrandSettings(store);
  const currency = await reportingCurrency(store, brandCurrency);
  const live = `FROM orders WHERE status <> 'cancelled' AND currency = $1`;
  const count = async (sql: string) => Number(((await store.query<{ n: number }>(sql))[0] as { n: number }).n);

  const [totals] = await store.query<{ orders: number; gmv: number | null; buyers: number; repeaters: number; first_at: Date | null; last_at: Date | null }>(
    `SELECT count(*) AS orders, ${GMV} AS gmv, count(DISTINCT customer_id) AS buyers, min(placed_at) AS first_at, max(placed_at) AS last_at,
            (SELECT count(*) FROM (SELECT customer_id ${live} GROUP BY customer_id HAVING count(*) >= 2) r) AS repeaters
     ${live}`,
    [currency],
  );
  const byChannel = await store.query<{ channel: string | null; orders: number; gmv: number }>(
    `SELECT channel, count(*) AS orders, ${GMV} AS gmv ${live} GROUP BY channel ORDER BY gmv DESC`,
    [currency],
  );
  const month = dialect(store.kind).localMonth('placed_at', '$2');
  const byMonth = await store.query<{ month: string; orders: number; gmv: number }>(
    `SELECT ${month} AS month, count(*) AS orders, ${GMV} AS gmv ${live} GROUP BY 1 ORDER BY 1`,
    [currency, timezone],
  );
  const orders = Number(totals?.orders ?? 0);
  const gmvFen = Number(totals?.gmv ?? 0);
  const buyers = Number(totals?.buyers ?? 0);
  return {
    currency,
    timezone,
    customers: await count(`SELECT count(*) AS n FROM customers WHERE merged_into IS NULL`),
    buyers,
    identities: await count(`SELECT count(*) AS n FROM identities`),
    merges: await count(`SELECT count(*) AS n FROM customer_merges`),
    events: await count(`SELECT count(*) AS n FROM events`),
    orders,
    gmvFen,
    aovFen: orders ? Math.round(gmvFen / orders) : 0,
    repeatRate: buyers ? Number(totals?.repeaters ?? 0) / buyers : 0,
    firstOrderAt: totals?.first_at ?? null,
    lastOrderAt: totals?.last_at ?? null,
    byChannel: byChannel.map((c) => ({ channel: c.channel ?? '(none)', orders: Number(c.orders), gmvFen: Number(c.gmv) })),
    byMonth: byMonth.map((m) => ({ month: m.month, orders: Number(m.orders), gmvFen: Number(m.gmv) })),
  };
}
