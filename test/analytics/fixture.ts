import type { Store } from '../../src/store/index.ts';

// A brand small enough to compute by hand (docs/analytics.md, "The test fixture", walks through every figure).
// Times are UTC; the brand is in Asia/Shanghai (UTC+8), so 04:00Z is noon of the same local day.
// The KPI period is the week [2026-06-01, 2026-06-08), compared with [2026-05-25, 2026-06-01).
const noon = (day: string) => new Date(`${day}T04:00:00Z`);
const JAN = new Date('2026-01-01T00:00:00Z');

type Order = [customer: string, id: string, at: Date, yuan: number, extra?: { status?: string; refundedYuan?: number; currency?: string; channel?: string; store?: string }];
export const ORDERS: Order[] = [
  ['A', 'A1', noon('2026-05-10'), 100, { channel: '小程序' }],
  ['A', 'A2', noon('2026-06-02'), 200, { channel: '小程序' }],
  ['A', 'A3', noon('2026-06-05'), 300, { channel: '天猫' }],
  ['B', 'B1', noon('2026-06-03'), 150, { channel: '小程序' }],
  ['B', 'B2', noon('2026-07-10'), 50, { channel: '小程序' }], // 37 days after B's first: outside the 30-day repurchase
  ['C', 'C1', new Date('2026-06-07T15:30:00Z'), 80, { channel: '天猫' }], // 23:30 local on 7 June: in the week
  ['C', 'C2', new Date('2026-06-07T16:30:00Z'), 70, { channel: '天猫' }], // 00:30 local on 8 June: the next week
  ['D', 'D0', noon('2026-05-28'), 60, { channel: '线下门店', store: 'S1' }],
  ['D', 'D1', noon('2026-06-04'), 500, { status: 'cancelled', channel: '线下门店', store: 'S1' }],
  ['D', 'D2', noon('2026-06-04'), 120, { status: 'partially_refunded', refundedYuan: 20, channel: '线下门店', store: 'S1' }],
  ['E', 'E1', noon('2026-06-06'), 999, { status: 'refunded', refundedYuan: 999 }],
  ['F', 'F1', noon('2026-06-02'), 10, { currency: 'USD' }],
  ['J', 'J1', noon('2026-05-26'), 40],
  ['J', 'J2', noon('2026-05-27'), 40],
];

/** Customers: city, registered_at, created_at, merged_into. */
const CUSTOMERS: [id: string, city: string | null, registered: Date | null, created: Date, mergedInto?: string][] = [
  ['A', '上海', null, JAN],
  ['B', '上海', null, JAN],
  ['C', '北京', null, JAN],
  ['D', null, null, JAN],
  ['E', null, null, JAN],
  ['F', null, null, JAN],
  ['G', null, JAN, JAN],
  ['H', null, new Date('2026-06-10T04:00:00Z'), JAN], // registered after the week
  ['I', null, JAN, JAN],
  ['J', null, null, JAN],
  ['K', null, null, JAN, 'A'], // merged into A
  ['L', null, null, new Date('2026-07-01T00:00:00Z')], // first seen after the week, active in it
];

/** Events: customer, name, time, source. */
const EVENTS: [customer: string, name: string, at: Date, source: string | null][] = [
  ['E', 'Product Viewed', noon('2026-06-06'), 'import'],
  ['G', 'Product Viewed', noon('2026-06-03'), 'import'],
  ['L', 'Product Viewed', noon('2026-06-05'), 'import'],
  ['I', 'Stage Changed', noon('2026-06-03'), 'siyu lifecycle'], // Siyu's own: not activity
  ['A', 'Product Viewed', noon('2026-07-03'), 'import'], // A comes back in July on the events basis only
];

export async function loadKpiFixture(store: Store): Promise<void> {
  await store.insertRows(
    'customers',
    ['customer_id', 'city', 'registered_at', 'created_at', 'updated_at', 'merged_into'],
    CUSTOMERS.map(([id, city, registered, created, merged]) => [id, city, registered, created, created, merged ?? null]),
  );
  await store.insertRows(
    'orders',
    ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'store_id', 'updated_at'],
    ORDERS.map(([customer, id, at, yuan, x = {}]) => [customer, id, at, x.status ?? 'completed', yuan * 100, 0, (x.refundedYuan ?? 0) * 100, x.currency ?? 'CNY', x.channel ?? null, x.store ?? null, at]),
  );
  // A2 holds two categories: 个护 150 and 彩妆 100 at list price, so its net 200 splits 120 / 80.
  await store.insertRows(
    'order_items',
    ['customer_id', 'order_id', 'line', 'sku', 'quantity', 'unit_price_fen', 'category'],
    [
      ['A', 'A2', 1, 'SKU1', 1, 15000, '个护'],
      ['A', 'A2', 2, 'SKU2', 2, 5000, '彩妆'],
    ],
  );
  await store.insertRows(
    'events',
    ['customer_id', 'message_id', 'type', 'name', 'ts', 'received_at', 'source'],
    EVENTS.map(([customer, name, at, source], i) => [customer, `ev${i}`, 'track', name, at, at, source]),
  );
  const asOf = '2026-06-07';
  await store.insertRows('tier_scores', ['customer_id', 'tier', 'basis', 'value_fen', 'as_of', 'computed_at'], [['A', 'head', 'monetary', 60000, asOf, JAN], ['B', 'tail', 'monetary', 15000, asOf, JAN]]);
  await store.insertRows('lifecycle_stage_values', ['customer_id', 'stage', 'purchases', 'basis', 'as_of', 'computed_at'], [['A', 'repeat', 3, 'own', asOf, JAN], ['B', 'new', 1, 'fixed', asOf, JAN]]);
  await store.insertRows(
    'segment_membership',
    ['customer_id', 'segment', 'entered_on', 'left_on'],
    [
      ['A', 'vip', '2026-05-01', null],
      ['B', 'vip', '2026-06-01', '2026-06-07'], // left on the week's last day: not a member then
      ['C', 'vip', '2026-06-07', null],
    ],
  );
}

/**
 * The funnel fixture: Product Viewed → Product Added → Order Completed in the week [2026-06-01, 2026-06-08).
 * P goes through on events; Q adds to cart 17 days after viewing (outside the 14-day window); R completes with an
 * imported order (no Order Completed event); S adds to cart without viewing.
 */
export async function loadFunnelFixture(store: Store): Promise<void> {
  const t = (iso: string) => new Date(iso);
  const events: [string, string, Date, Record<string, unknown>, Record<string, unknown> | null][] = [
    ['P', 'Product Viewed', t('2026-06-02T02:00:00Z'), { category: '个护' }, { app: { name: 'mp-shop' } }],
    ['P', 'Product Added', t('2026-06-02T02:05:00Z'), { category: '个护' }, { app: { name: 'mp-shop' } }],
    ['P', 'Order Completed', t('2026-06-02T02:30:00Z'), { order_id: 'PO1' }, { app: { name: 'mp-shop' } }],
    ['P', 'Product Viewed', t('2026-06-06T02:00:00Z'), { category: '彩妆' }, { app: { name: 'mp-shop' } }], // a later entry: ignored
    ['Q', 'Product Viewed', t('2026-06-03T02:00:00Z'), { category: '彩妆' }, { app: { name: 'mp-shop' } }],
    ['Q', 'Product Added', t('2026-06-20T02:00:00Z'), { category: '彩妆' }, { app: { name: 'mp-shop' } }],
    ['R', 'Product Viewed', t('2026-06-04T02:00:00Z'), { category: '个护', channel: '天猫' }, null],
    ['R', 'Product Added', t('2026-06-04T03:00:00Z'), { category: '个护', channel: '天猫' }, null],
    ['S', 'Product Added', t('2026-06-05T02:00:00Z'), { category: '个护' }, null],
  ];
  await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], ['P', 'Q', 'R', 'S'].map((id) => [id, JAN, JAN]));
  await store.insertRows(
    'events',
    ['customer_id', 'message_id', 'type', 'name', 'properties', 'context', 'ts', 'received_at', 'source'],
    events.map(([customer, name, at, properties, context], i) => [customer, `f${i}`, 'track', name, properties, context, at, at, 'import']),
  );
  await store.insertRows(
    'orders',
    ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'updated_at'],
    [['R', 'RO1', t('2026-06-05T04:00:00Z'), 'completed', 9900, 0, 0, 'CNY', '天猫', JAN]],
  );
}
