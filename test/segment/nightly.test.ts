import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Random } from '../../src/core/random.ts';
import { computeLayers, saveSegment, updateLayers } from '../../src/segment/index.ts';
import { migrate, openStore, type BackendKind, type Store } from '../../src/store/index.ts';
import { BACKENDS, freshLocation } from '../helpers/backends.ts';

// The incremental nightly job against the full recomputation (issue #16): two stores get the same data, day after
// simulated day; one runs the nightly job, the other `siyu layers compute --full`; every layer table, history,
// segment membership and Siyu's own events must then be the same in both.

const DAY_MS = 86_400_000;
// The days cross a new year (day 4, the quiet one, is 1 January): ages by birth year move on with no new data.
const START = '2026-12-28';
const dayOf = (offset: number) => new Date(Date.parse(`${START}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);
/** Noon in Asia/Shanghai (04:00 UTC) on the day `offset` days after START, plus `minutes`. */
const at = (offset: number, minutes = 0) => new Date(Date.parse(`${dayOf(offset)}T04:00:00Z`) + minutes * 60_000);
const CHANNELS = ['小程序商城', '线下门店', '天猫'];
const CATEGORIES = ['乳品', '零食', '饮料', '个护'];

type Row = unknown[];
interface Batch {
  customers: Row[];
  orders: Row[];
  lines: Row[];
  events: Row[];
  /** Orders whose status becomes cancelled or refunded (their updated_at moves). */
  cancel: string[];
}

const ORDER_COLUMNS = ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'channel', 'store_id', 'coupon_code', 'updated_at'];
const LINE_COLUMNS = ['customer_id', 'order_id', 'line', 'sku', 'quantity', 'unit_price_fen', 'category'];
const EVENT_COLUMNS = ['customer_id', 'message_id', 'type', 'name', 'properties', 'ts', 'received_at'];
// The birthday itself is sealed; the layers read only its plain year and month.
const CUSTOMER_COLUMNS = ['customer_id', 'birth_year', 'birth_month', 'registered_at', 'channel', 'created_at', 'updated_at'];

/** An order of `customer` on day `offset`, with one or two lines. */
function order(random: Random, batch: Batch, customer: string, id: string, offset: number, now: Date): void {
  const status = random.next() < 0.06 ? 'cancelled' : random.next() < 0.05 ? 'partially_refunded' : 'completed';
  const total = random.int(30, 900) * 100;
  batch.orders.push([customer, id, at(offset, random.int(0, 600)), status, total, random.next() < 0.3 ? 1000 : 0, status === 'partially_refunded' ? 500 : 0, 'CNY', random.pick(CHANNELS), `S${random.int(1, 4)}`, random.next() < 0.3 ? 'C1' : null, now]);
  for (let line = 1; line <= random.int(1, 2); line++) {
    batch.lines.push([customer, id, line, `SKU${random.int(1, 30)}`, random.int(1, 3), random.int(10, 300) * 100, random.pick(CATEGORIES)]);
  }
}

/** 90 customers with about 400 days of orders and 100 of events before day 0; a dozen prospects. */
function history(random: Random, now: Date): Batch {
  const batch: Batch = { customers: [], orders: [], lines: [], events: [], cancel: [] };
  for (let c = 0; c < 90; c++) {
    const id = `c${String(c).padStart(3, '0')}`;
    const birth = random.next() < 0.5 ? [1900 + random.int(60, 99), random.int(1, 12), random.int(1, 28)] : [null, null];
    batch.customers.push([id, birth[0], birth[1], at(-random.int(200, 700)), random.pick(CHANNELS), now, now]);
    if (c >= 78) continue;
    const orders = random.int(1, 9);
    for (let o = 0; o < orders; o++) order(random, batch, id, `${id}-o${o}`, -random.int(0, 420), now);
    for (let e = 0; e < random.int(0, 5); e++) {
      batch.events.push([id, `${id}-e${e}`, 'track', random.pick(['Product Viewed', 'Product Added', 'Checkout Started']), { sku: 'SKU1' }, at(-random.int(0, 100)), now]);
    }
  }
  return batch;
}

/** A day's new data: new orders (one for the next day), events, a new customer, a cancelled order; or nothing at all. */
function day(random: Random, offset: number, now: Date, quiet: boolean): Batch {
  const batch: Batch = { customers: [], orders: [], lines: [], events: [], cancel: [] };
  if (quiet) return batch;
  for (let n = 0; n < 6; n++) order(random, batch, `c${String(random.int(0, 89)).padStart(3, '0')}`, `d${offset}-${n}`, offset, now);
  order(random, batch, `c${String(random.int(0, 89)).padStart(3, '0')}`, `d${offset}-next`, offset + 1, now);
  const fresh = `n${offset}`;
  batch.customers.push([fresh, null, null, at(offset), '小程序商城', now, now]);
  order(random, batch, fresh, `${fresh}-o`, offset, now);
  for (let e = 0; e < 3; e++) batch.events.push([`c${String(random.int(0, 89)).padStart(3, '0')}`, `d${offset}-e${e}`, 'track', 'Product Viewed', { sku: 'SKU2' }, at(offset, e), now]);
  batch.cancel.push(`c${String(random.int(0, 77)).padStart(3, '0')}-o0`);
  return batch;
}

async function apply(store: Store, batch: Batch, now: Date): Promise<void> {
  if (batch.customers.length) await store.insertRows('customers', CUSTOMER_COLUMNS, batch.customers);
  if (batch.orders.length) await store.insertRows('orders', ORDER_COLUMNS, batch.orders);
  if (batch.lines.length) await store.insertRows('order_items', LINE_COLUMNS, batch.lines);
  if (batch.events.length) await store.insertRows('events', EVENT_COLUMNS, batch.events);
  for (const id of batch.cancel) await store.execute("UPDATE orders SET status = 'cancelled', updated_at = $2 WHERE order_id = $1", [id, now]);
}

const SEGMENTS: Record<string, unknown> = {
  important_value: { field: 'rfm_class', op: '=', value: 'important_value' },
  win_back: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { field: 'tier', op: 'in', value: ['head', 'waist'] }] },
  big_90d: { attribute: 'monetary_90d', op: '>', value: 800 },
  top_recency: { field: 'r_score', op: '>=', value: 4 },
  lapsing: { all: [{ attribute: 'orders_lifetime', op: '>=', value: 3 }, { attribute: 'recency_days', op: '>', value: 45 }] },
  viewers: { event: 'Product Viewed', within_days: 30, op: '>=', value: 1 },
  // Ages move on 1 January (by birth year), and the birth month is a profile field.
  over_45: { attribute: 'age_years', op: '>=', value: 45 },
  born_in_may: { field: 'birth_month', op: '=', value: 5 },
};

/** Rows of a query as sorted JSON lines, numbers to 9 significant digits (sums of doubles depend on their order). */
async function rows(store: Store, sql: string): Promise<string[]> {
  const normalise = (v: unknown): unknown => {
    if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toPrecision(9));
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'string' && /^[[{]/.test(v)) return JSON.parse(v);
    return v;
  };
  const out = (await store.query<Record<string, unknown>>(sql)).map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, normalise(v)])));
  return out.sort();
}

const except = (...columns: string[]) => (table: string) => async (store: Store) => {
  const [first] = await store.query<Record<string, unknown>>(`SELECT * FROM ${table} LIMIT 1`);
  const keep = Object.keys(first ?? { customer_id: 1 }).filter((c) => !columns.includes(c));
  return rows(store, `SELECT ${keep.map((c) => `"${c}"`).join(', ')} FROM ${table}`);
};

const SNAPSHOTS: Record<string, (store: Store) => Promise<string[]>> = {
  customer_attributes: except('computed_at')('customer_attributes'),
  rfm_scores: except('computed_at')('rfm_scores'),
  tier_scores: except('computed_at', 'as_of')('tier_scores'),
  lifecycle_stages: except('computed_at')('lifecycle_stages'),
  lifecycle_history: except('changed_at')('lifecycle_history'),
  layer_history: except('changed_at')('layer_history'),
  segment_membership: except()('segment_membership'),
  segment_refreshes: except('refreshed_at')('segment_refreshes'),
  siyu_events: (store) => rows(store, "SELECT customer_id, message_id, name, properties, ts FROM events WHERE source LIKE 'siyu %'"),
  layer_runs: (store) => rows(store, 'SELECT layer, as_of, options FROM layer_runs'),
};

async function openFresh(backend: BackendKind): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const { location, cleanup } = freshLocation(backend);
  const store = await openStore(location);
  await migrate(store);
  return { store, cleanup: async () => (await store.close(), await cleanup()) };
}

for (const backend of BACKENDS) {
  describe(`the incremental nightly job on ${backend}`, () => {
    test('over eight simulated days (one quiet, one skipped, one with an update between) it leaves what the full recompute leaves', async () => {
      const [nightly, full] = [await openFresh(backend), await openFresh(backend)];
      try {
        const stores = [nightly.store, full.store];
        const [randomA, randomB] = [new Random(7), new Random(7)];
        const now = new Date();
        for (const [store, random] of [[nightly.store, randomA], [full.store, randomB]] as const) {
          await apply(store, history(random, now), now);
          for (const [name, definition] of Object.entries(SEGMENTS)) await saveSegment(store, { name, definition });
          const first = await computeLayers(store, { asOf: dayOf(0) });
          assert.equal(first.mode, 'full', 'the first run computes everyone');
        }
        // Day 4 is quiet (only the calendar moves); day 6 is skipped (the night of day 7 moves two days); on day 3
        // an incremental update runs between the day's orders and the night.
        for (const offset of [1, 2, 3, 4, 5, 7, 8, 9]) {
          const quiet = offset === 4;
          const stamp = new Date();
          const batches = [day(randomA, offset, stamp, quiet), day(randomB, offset, stamp, quiet)];
          for (const [i, store] of stores.entries()) {
            await apply(store, batches[i]!, stamp);
            if (offset === 3) {
              await updateLayers(store, { asOf: dayOf(offset) });
              await apply(store, { customers: [], orders: [[`c010`, `late${offset}`, at(offset, 700), 'completed', 50_000, 0, 0, 'CNY', '天猫', 'S1', null, new Date()]], lines: [], events: [], cancel: [] }, new Date());
            }
          }
          const night = await computeLayers(nightly.store, { asOf: dayOf(offset) });
          assert.equal(night.mode, 'incremental', `day ${offset}`);
          const scope = night.steps.find((s) => s.step === 'changed customers')!.customers;
          assert.ok(scope < 90, `day ${offset}: only the customers who can have changed (${scope})`);
          await computeLayers(full.store, { asOf: dayOf(offset), full: true });
          for (const [name, snapshot] of Object.entries(SNAPSHOTS)) {
            assert.deepEqual(await snapshot(nightly.store), await snapshot(full.store), `day ${offset}: ${name}`);
          }
        }
        // Something happened: stages and RFM classes moved, and segments gained and lost members.
        const [moves] = await nightly.store.query<{ n: number }>(`SELECT count(*) AS n FROM lifecycle_history WHERE changed_on > CAST($1 AS DATE)`, [dayOf(0)]);
        assert.ok(Number(moves!.n) > 5, `stage changes after the first day: ${moves!.n}`);
        const [left] = await nightly.store.query<{ n: number }>('SELECT count(*) AS n FROM segment_membership WHERE left_on IS NOT NULL');
        assert.ok(Number(left!.n) > 0, 'some members left their segments');
      } finally {
        await nightly.cleanup();
        await full.cleanup();
      }
    });
  });
}
