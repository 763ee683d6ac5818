import type { Store } from '../../src/store/index.ts';

// Six customers computed by hand (docs/segmentation.md walks through them), as of 2026-06-30 with a 365-day window.
// Orders are placed at 12:00 in Asia/Shanghai (04:00 UTC), so their local day is the date written.
const ORDERS: [customer: string, day: string, yuan: number, status?: string][] = [
  ['A', '2026-06-28', 100], ['A', '2026-05-01', 200], ['A', '2026-01-10', 300], ['A', '2026-07-05', 999], // the last is after as-of
  ['B', '2026-06-01', 50],
  ['C', '2025-12-01', 1000], ['C', '2025-11-01', 1000],
  ['D', '2025-03-01', 500], // outside the window: recent enough to count for recency only
  ['E', '2026-06-30', 80], ['E', '2026-06-29', 999, 'cancelled'], ['E', '2026-06-20', 999, 'refunded'],
  ['F', '2026-04-01', 300], ['F', '2026-03-01', 300], ['F', '2026-02-01', 300], ['F', '2026-01-01', 300],
];

export async function load(store: Store): Promise<void> {
  const at = new Date('2026-07-01T00:00:00Z');
  await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((id) => [id, at, at]));
  await store.insertRows(
    'orders',
    ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at'],
    ORDERS.map(([customer, day, yuan, status = 'completed'], i) => [customer, `O${i}`, new Date(`${day}T04:00:00Z`), status, yuan * 100, 0, status === 'refunded' ? yuan * 100 : 0, 'CNY', at]),
  );
}

