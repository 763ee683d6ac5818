import { parseDay } from '../core/validation.ts';
import type { Queryable } from '../store/index.ts';
import { createCoder } from './data.ts';
import { activeExperiment, assignVariant, type Experiment } from './experiments.ts';
import { assembleList, assertCount, brandToday, PERSONALISATION_PURPOSE, personalisedColumn, recommendationsFor, type CandidateRow, type ListOptions, type RecommendationList } from './serve.ts';

const DAY_MS = 86_400_000;
const dayNumber = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Customers per ranged read while loading a snapshot. */
const LOAD_CUSTOMERS = 25_000;

/** Numeric columns of rows grouped by customer, in arrival order; `rows` maps a customer to its range. */
class PerCustomer {
  readonly rows: Ranges = new Map();
  readonly columns: number[][];
  private length = 0;

  constructor(width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }

  push(customer: string, ...values: number[]): void {
    const range = this.rows.get(customer);
    if (range) range[1] = this.length + 1;
    else this.rows.set(customer, [this.length, this.length + 1]);
    values.forEach((v, i) => this.columns[i]!.push(v));
    this.length++;
  }
}

/** Runs `sql(where)` once per range of customers between `bounds` (sorted ids), passing each range's rows on. */
async function forEachRange<R>(db: Queryable, bounds: readonly string[], sql: (where: string) => string, fn: (rows: R[]) => void): Promise<void> {
  for (let k = 0; k <= bounds.length; k++) {
    const lo = k === 0 ? null : bounds[k - 1]!;
    const hi = k === bounds.length ? null : bounds[k]!;
    const where = `(CAST($1 AS TEXT) IS NULL OR customer_id >= CAST($1 AS TEXT)) AND (CAST($2 AS TEXT) IS NULL OR customer_id < CAST($2 AS TEXT))`;
    fn(await db.query<R>(sql(where), [lo, hi]));
  }
}

/** Rows of one customer in a table loaded sorted by customer: where they start and end. */
type Ranges = Map<string, [start: number, end: number]>;

function ranges(ids: readonly string[]): Ranges {
  const out: Ranges = new Map();
  for (let i = 0; i < ids.length; i++) {
    const r = out.get(ids[i]!);
    if (r) r[1] = i + 1;
    else out.set(ids[i]!, [i, i + 1]);
  }
  return out;
}

interface Candidates {
  rows: Ranges;
  sku: Int32Array;
  rank: Int32Array;
  score: Float64Array;
  reason: ('bought_with' | 'popular')[];
  reasonSku: Int32Array;
}

/**
 * Everything serving reads, held in memory: the latest candidates of every algorithm, restock dates, best-sellers,
 * the catalogue, merchandising rules, price bands, and per customer the opt-out, channel, tier and the
 * non-consumables they own. A list is then assembled without a database round trip, by the same rules and the
 * same assembly as `recommendationsFor` (a test checks the two agree). Purchases made after `loadedAt` are not
 * seen until the next load; the server reloads when a run, rule or experiment changes and at least every
 * `SNAPSHOT_MAX_AGE_MS`.
 */
export class ServingSnapshot {
  readonly loadedAt = new Date();

  private constructor(
    private readonly skus: string[],
    private readonly product: { name: (string | null)[]; category: (string | null)[]; active: Uint8Array; price: Float64Array; buried: Uint8Array; boost: Float64Array },
    private readonly pins: number[],
    private readonly pinFactor: Map<number, number>,
    private readonly bands: Map<string, [number, number]>,
    private readonly popular: Map<string, { sku: Int32Array; score: Float64Array }>,
    private readonly customers: Map<string, { id: string; optedOut: boolean; channel: string | null; tier: string | null }>,
    private readonly owned: { rows: Ranges; sku: Int32Array },
    private readonly restock: { rows: Ranges; sku: Int32Array; due: Int32Array; interval: Float64Array },
    private readonly candidates: Map<string, Candidates>,
    private readonly runs: { algorithm: string; runId: string }[],
    private readonly experiment: Experiment | null,
    private readonly today: string,
    readonly version: string,
  ) {}

  /** Reads everything serving needs. Large tables come back sorted by customer, so each customer's rows are one range. */
  static async load(db: Queryable): Promise<ServingSnapshot> {
    const version = await snapshotVersion(db);
    // Read before the customers, so a change made during the load is caught up afterwards.
    const [consent] = await db.query<{ at: Date | null }>(`SELECT max(updated_at) AS at FROM consent_state WHERE purpose = '${PERSONALISATION_PURPOSE}'`);
    const { ids: skus, index: skuIndex, code } = createCoder();
    const products = await db.query<{ sku: string; name: string | null; category: string | null; is_active: boolean | null; stock: number | null; price_fen: number | null }>(
      'SELECT sku, name, category, is_active, stock, price_fen FROM products',
    );
    for (const p of products) code(p.sku);
    const rules = await db.query<{ sku: string; action: string; factor: number }>('SELECT sku, action, factor FROM merchandising_rules');
    const popularRows = await db.query<{ scope: string; scope_value: string; sku: string; score: number }>('SELECT scope, scope_value, sku, score FROM popular_items ORDER BY scope, scope_value, rank');
    for (const r of popularRows) code(r.sku);
    for (const r of rules) code(r.sku);

    // The per-customer tables are read a range of customers at a time, so the rows in flight stay few however
    // large the brand; each range comes back sorted, so a customer's rows land next to each other.
    const customerRows = await db.query<{ customer_id: string; id: string; personalised: boolean; channel: string | null; tier: string | null }>(
      `SELECT u.customer_id, coalesce(u.merged_into, u.customer_id) AS id, ${personalisedColumn('coalesce(u.merged_into, u.customer_id)')}, u.channel, t.tier
       FROM customers u LEFT JOIN tier_scores t ON t.customer_id = coalesce(u.merged_into, u.customer_id) ORDER BY u.customer_id`,
    );
    const bounds = customerRows.filter((_, i) => i > 0 && i % LOAD_CUSTOMERS === 0).map((c) => c.customer_id);
    const restock = new PerCustomer(3);
    const owned = new PerCustomer(1);
    const byAlgorithm = new Map<string, PerCustomer>();
    await forEachRange(db, bounds, (where) => `SELECT customer_id, sku, CAST(due AS TEXT) AS due, interval_days FROM replenishment WHERE ${where} ORDER BY customer_id, due, sku`, (rows: { customer_id: string; sku: string; due: string; interval_days: number }[]) => {
      for (const r of rows) restock.push(r.customer_id, code(r.sku), dayNumber(r.due), Number(r.interval_days));
    });
    await forEachRange(
      db,
      bounds,
      (where) => `SELECT DISTINCT i.customer_id, i.sku FROM order_items i LEFT JOIN products p ON p.sku = i.sku WHERE p.replenish_days IS NULL AND ${where.replaceAll('customer_id', 'i.customer_id')} ORDER BY i.customer_id, i.sku`,
      (rows: { customer_id: string; sku: string }[]) => {
        for (const r of rows) owned.push(r.customer_id, code(r.sku));
      },
    );
    const reasons = ['bought_with', 'popular'] as const;
    await forEachRange(
      db,
      bounds,
      (where) => `SELECT algorithm, customer_id, sku, rank, score, reason, reason_sku FROM recommendations WHERE ${where} ORDER BY algorithm, customer_id, rank`,
      (rows: { algorithm: string; customer_id: string; sku: string; rank: number; score: number; reason: 'bought_with' | 'popular'; reason_sku: string | null }[]) => {
        for (const r of rows) {
          let table = byAlgorithm.get(r.algorithm);
          if (!table) byAlgorithm.set(r.algorithm, (table = new PerCustomer(5)));
          table.push(r.customer_id, code(r.sku), Number(r.rank), Number(r.score), reasons.indexOf(r.reason), r.reason_sku === null ? -1 : code(r.reason_sku));
        }
      },
    );

    const n = skus.length;
    const product = { name: new Array<string | null>(n).fill(null), category: new Array<string | null>(n).fill(null), active: new Uint8Array(n).fill(1), price: new Float64Array(n).fill(NaN), buried: new Uint8Array(n), boost: new Float64Array(n).fill(1) };
    for (const p of products) {
      const i = skuIndex.get(p.sku)!;
      product.name[i] = p.name;
      product.category[i] = p.category;
      product.active[i] = p.is_active === false || (p.stock !== null && Number(p.stock) <= 0) ? 0 : 1;
      if (p.price_fen !== null) product.price[i] = Number(p.price_fen);
    }
    const pinFactor = new Map<number, number>();
    for (const r of rules) {
      const i = skuIndex.get(r.sku)!;
      if (r.action === 'bury') product.buried[i] = 1;
      else if (r.action === 'boost') product.boost[i] = Number(r.factor);
      else if (r.action === 'pin') pinFactor.set(i, Number(r.factor));
    }
    const pins = [...pinFactor.keys()].sort((a, b) => pinFactor.get(b)! - pinFactor.get(a)! || (skus[a]! < skus[b]! ? -1 : 1));

    const bands = new Map((await db.query<{ tier: string; min_fen: number; max_fen: number }>('SELECT tier, min_fen, max_fen FROM tier_price_bands')).map((b) => [b.tier, [Number(b.min_fen), Number(b.max_fen)] as [number, number]]));
    const popular = new Map<string, { sku: Int32Array; score: Float64Array }>();
    const scopes = ranges(popularRows.map((r) => `${r.scope}\u0000${r.scope_value}`));
    for (const [key, [start, end]] of scopes) {
      const slice = popularRows.slice(start, end);
      popular.set(key, { sku: Int32Array.from(slice, (r) => skuIndex.get(r.sku)!), score: Float64Array.from(slice, (r) => Number(r.score)) });
    }

    const customers = new Map(customerRows.map((c) => [c.customer_id, { id: c.id, optedOut: c.personalised !== true, channel: c.channel, tier: c.tier }]));

    const candidates = new Map<string, Candidates>();
    for (const [algorithm, table] of byAlgorithm) {
      candidates.set(algorithm, {
        rows: table.rows,
        sku: Int32Array.from(table.columns[0]!),
        rank: Int32Array.from(table.columns[1]!),
        score: Float64Array.from(table.columns[2]!),
        reason: table.columns[3]!.map((k) => reasons[k]!),
        reasonSku: Int32Array.from(table.columns[4]!),
      });
    }
    const runs = (
      await db.query<{ algorithm: string; run_id: string }>(
        `SELECT r.algorithm, r.run_id FROM recommendation_runs r
         WHERE r.trained_at = (SELECT max(l.trained_at) FROM recommendation_runs l WHERE l.algorithm = r.algorithm) ORDER BY r.trained_at DESC`,
      )
    ).map((r) => ({ algorithm: r.algorithm, runId: r.run_id }));
    const snapshot = new ServingSnapshot(
      skus,
      product,
      pins,
      pinFactor,
      bands,
      popular,
      customers,
      { rows: owned.rows, sku: Int32Array.from(owned.columns[0]!) },
      { rows: restock.rows, sku: Int32Array.from(restock.columns[0]!), due: Int32Array.from(restock.columns[1]!), interval: Float64Array.from(restock.columns[2]!) },
      candidates,
      runs,
      await activeExperiment(db),
      await brandToday(db),
      version,
    );
    snapshot.consentAsOf = consent?.at ?? null;
    return snapshot;
  }

  /** Consent decisions recorded since the load, by canonical customer id: true where personalisation is allowed. */
  private readonly consentSince = new Map<string, boolean>();
  /** The newest consent change the snapshot reflects. */
  consentAsOf: Date | null = null;

  /**
   * Applies the personalisation consent changes recorded since `consentAsOf`, through the same consent predicate
   * as the SQL path. The window reaches back CONSENT_OVERLAP_MS, for transactions that committed after a newer one
   * (re-applying a change is harmless).
   */
  async catchUpConsent(db: Queryable): Promise<number> {
    const since = new Date((this.consentAsOf?.getTime() ?? 0) - CONSENT_OVERLAP_MS);
    const rows = await db.query<{ customer_id: string; personalised: boolean; updated_at: Date }>(
      `SELECT s.customer_id, ${personalisedColumn('s.customer_id')}, s.updated_at FROM consent_state s WHERE s.purpose = '${PERSONALISATION_PURPOSE}' AND s.updated_at > $1`,
      [since],
    );
    for (const r of rows) {
      this.consentSince.set(r.customer_id, r.personalised === true);
      if (!this.consentAsOf || r.updated_at > this.consentAsOf) this.consentAsOf = r.updated_at;
    }
    return rows.length;
  }

  /** A customer's list, as `recommendationsFor` would give it from the same data. */
  list(customerId: string, options: ListOptions = {}): RecommendationList {
    const n = options.n ?? 10;
    assertCount(n, 'n');
    const cap = options.maxPerCategory ?? 3;
    const customer = this.customers.get(customerId);
    const id = customer?.id ?? customerId;
    const variant = this.experiment ? assignVariant(this.experiment, id) : null;
    const run = variant ? this.runs.find((r) => r.algorithm === variant.algorithm) : this.runs[0];
    const allowedNow = customer ? this.consentSince.get(customer.id) : undefined;
    const optedOut = customer === undefined ? false : allowedNow === undefined ? customer.optedOut : !allowedNow;
    const personal = customer !== undefined && !optedOut;
    const today = dayNumber(options.today === undefined ? this.today : parseDay(options.today, 'today'));
    const ownedRange = this.owned.rows.get(id);
    const owns = (sku: number) => {
      if (!ownedRange) return false;
      for (let i = ownedRange[0]; i < ownedRange[1]; i++) if (this.owned.sku[i] === sku) return true;
      return false;
    };
    const band = customer?.tier ? this.bands.get(customer.tier) : undefined;
    const inBand = (sku: number) => {
      const price = this.product.price[sku]!;
      return !band || Number.isNaN(price) || (price >= band[0] && price <= band[1]);
    };
    const { active, buried } = this.product;
    const row = (sku: number, score: number, reason: CandidateRow['reason'], extra: Partial<CandidateRow> = {}): CandidateRow => ({
      sku: this.skus[sku]!,
      score,
      reason,
      reason_sku: null,
      reason_name: null,
      name: this.product.name[sku]!,
      category: this.product.category[sku]!,
      ...extra,
    });

    const pinned = this.pins.filter((s) => active[s] && !owns(s)).map((s) => row(s, this.pinFactor.get(s)!, 'featured', { in_band: true }));

    const restock: CandidateRow[] = [];
    const due = personal ? this.restock.rows.get(id) : undefined;
    if (due) {
      const window = options.restockWindowDays ?? 7;
      for (let i = due[0]; i < due[1]; i++) {
        const s = this.restock.sku[i]!;
        const day = this.restock.due[i]!;
        if (active[s] && !buried[s] && day <= today + window && day >= today - Math.round(this.restock.interval[i]!)) restock.push(row(s, this.restock.interval[i]!, 'restock', { due: isoDay(day), in_band: true }));
      }
    }

    const candidates: CandidateRow[] = [];
    const table = run ? this.candidates.get(run.algorithm) : undefined;
    const mine = personal && table ? table.rows.get(id) : undefined;
    if (table && mine) {
      const order: number[] = [];
      for (let i = mine[0]; i < mine[1]; i++) {
        const s = table.sku[i]!;
        if (active[s] && !owns(s) && !buried[s]) order.push(i);
      }
      const key = (i: number) => table.rank[i]! / this.product.boost[table.sku[i]!]!;
      order.sort((a, b) => key(a) - key(b) || table.rank[a]! - table.rank[b]!);
      for (const i of order) {
        const reasonSku = table.reasonSku[i]!;
        candidates.push(row(table.sku[i]!, table.score[i]!, table.reason[i]!, { in_band: inBand(table.sku[i]!), reason_sku: reasonSku < 0 ? null : this.skus[reasonSku]!, reason_name: reasonSku < 0 ? null : this.product.name[reasonSku]! }));
      }
    }

    const popular: CandidateRow[] = [];
    const scopes = [customer?.tier ? `tier\u0000${customer.tier}` : null, customer?.channel ? `channel\u0000${customer.channel}` : null, 'global\u0000'];
    for (const key of scopes) {
      const list = key ? this.popular.get(key) : undefined;
      for (let i = 0; list && i < list.sku.length && popular.length < 3 * n + 30; i++) {
        const s = list.sku[i]!;
        if (active[s] && !owns(s) && !buried[s]) popular.push(row(s, list.score[i]!, 'popular', { in_band: inBand(s) }));
      }
    }
    return assembleList({ customerId, resolvedId: id, known: customer !== undefined, optedOut, run, experiment: this.experiment, variant, slot: options.slot }, { pinned, restock, personal: candidates, popular }, n, cap);
  }
}

/**
 * Changes whenever a run, a merchandising rule or an experiment changes, or a person is erased; the server reloads
 * its snapshot then (checked every SNAPSHOT_CHECK_MS). Consent changes do not reload it: they are caught up
 * (ServingSnapshot.catchUpConsent) at each check, so a withdrawal reaches the lists within seconds.
 */
export async function snapshotVersion(db: Queryable): Promise<string> {
  const [row] = await db.query<{ runs: unknown; rules: unknown; rule_count: number; experiments: unknown; erasures: unknown }>(
    `SELECT (SELECT max(trained_at) FROM recommendation_runs) AS runs,
            (SELECT max(created_at) FROM merchandising_rules) AS rules, (SELECT count(*) FROM merchandising_rules) AS rule_count,
            (SELECT max(coalesce(ended_at, started_at)) FROM recommendation_experiments) AS experiments,
            (SELECT max(handled_at) FROM privacy_requests WHERE type = 'deletion' AND status = 'fulfilled') AS erasures`,
  );
  return JSON.stringify(row);
}

/** A snapshot is reloaded at least this often, so purchases, new customers and the day stay current. */
export const SNAPSHOT_MAX_AGE_MS = 10 * 60_000;
/** How often the server checks whether a run, rule or experiment changed. */
export const SNAPSHOT_CHECK_MS = 5_000;
/** How far back each consent catch-up looks beyond the newest change it saw. */
const CONSENT_OVERLAP_MS = 60_000;

/**
 * Serves lists from a ServingSnapshot. `start` begins loading one in the background; until it is ready, lists come
 * from the SQL path (`recommendationsFor`), which gives the same answers more slowly. Every SNAPSHOT_CHECK_MS a
 * request also checks, in the background, whether the snapshot is out of date (a new run, rule or experiment, or
 * older than SNAPSHOT_MAX_AGE_MS) and swaps in a fresh one when it is. Requests never wait for a load.
 */
export class SnapshotServing {
  private snapshot: ServingSnapshot | undefined;
  private checkedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Begins loading the first snapshot; resolves when it is ready (or failed, reported to onError). */
  start(): Promise<void> {
    return this.reload();
  }

  /** True once a snapshot serves the lists. */
  get ready(): boolean {
    return this.snapshot !== undefined;
  }

  async list(customerId: string, options: ListOptions = {}): Promise<RecommendationList> {
    if (!this.loading && performance.now() - this.checkedAt > SNAPSHOT_CHECK_MS) {
      this.checkedAt = performance.now();
      void this.refreshIfStale();
    }
    return this.snapshot ? this.snapshot.list(customerId, options) : recommendationsFor(this.db, customerId, options);
  }

  /** Waits for a load in progress, so the store can be closed under it. */
  async close(): Promise<void> {
    await this.loading;
  }

  /** Reloads now, after a change made in this process; lists keep coming from the old snapshot meanwhile. */
  invalidate(): Promise<void> {
    return this.reload();
  }

  private async refreshIfStale(): Promise<void> {
    try {
      const current = this.snapshot;
      if (current) await current.catchUpConsent(this.db);
      if (current && Date.now() - current.loadedAt.getTime() < SNAPSHOT_MAX_AGE_MS && (await snapshotVersion(this.db)) === current.version) return;
      await this.reload();
    } catch (error) {
      this.onError(error);
    }
  }

  private reload(): Promise<void> {
    this.loading ??= ServingSnapshot.load(this.db)
      .then((next) => {
        this.snapshot = next;
      })
      .catch(this.onError)
      .finally(() => {
        this.loading = undefined;
        this.checkedAt = performance.now();
      });
    return this.loading;
  }
}
