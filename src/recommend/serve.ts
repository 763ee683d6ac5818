import { randomUUID } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import { parseDay } from '../core/validation.ts';
import { consentAllowsSql } from '../privacy/index.ts';
import { localDay, readBrandSettings, type Queryable } from '../store/index.ts';
import { activeExperiment, assignVariant, type Experiment, type Variant } from './experiments.ts';
import { SERVING_STATE_TTL_MS, stateCache } from './state-cache.ts';

/** The current day in the brand timezone. */
export async function brandToday(db: Queryable): Promise<string> {
  const { timezone } = await readBrandSettings(db);
  const [row] = await db.query<{ day: string }>(`SELECT ${localDay(timezone, 'now()')} AS day`);
  return row!.day;
}

/** Why an item is in a list: bought with one of the customer's items, popular, due to restock, or pinned by the brand. */
export const REASON_KINDS = ['bought_with', 'popular', 'restock', 'featured'] as const;

export interface RecommendedItem {
  sku: string;
  name: string | null;
  category: string | null;
  score: number;
  reason: { kind: (typeof REASON_KINDS)[number]; sku?: string; due?: string; zh: string; en: string };
}

export interface RecommendationList {
  customerId: string;
  /** False for an id the store does not know; the list is then the popular items. */
  known: boolean;
  /** False when the list is not personalised: unknown customer, opted out, or no candidates yet. */
  personalized: boolean;
  /** Why the list is not personalised, when it is not. */
  notice: 'unknown_customer' | 'opted_out' | 'no_candidates' | null;
  algorithm: string | null;
  runId: string | null;
  /**
   * Send these as the properties of the `Recommendation Viewed` and `Recommendation Clicked` events (adding `sku`
   * to a click) so views, clicks and purchases are credited to the list (`siyu recommend report`).
   */
  tracking: { recommendation_id: string; algorithm: string | null; experiment: string | null; variant: string | null; slot: string | null };
  items: RecommendedItem[];
}

export interface ListOptions {
  n?: number;
  /** At most this many items of one category, while other items can fill the list. Default 3. */
  maxPerCategory?: number;
  /** Today in the brand calendar (YYYY-MM-DD), for restock timing; default: the current day in the brand timezone. */
  today?: string;
  /** Consumables due within this many days from today are offered to restock. Default 7. */
  restockWindowDays?: number;
  /** Where the list is shown (e.g. `wecom_sidebar`), echoed in `tracking` for per-slot reporting. */
  slot?: string;
}

/**
 * The consent purpose personalised lists need (PIPL art. 24: a person may refuse them). It is an opt-out purpose:
 * allowed until the customer withdraws or denies it in the consent ledger, which is checked through privacy's one
 * consent predicate, here and in the serving snapshot.
 */
export const PERSONALISATION_PURPOSE = 'personalised_recommendation';

/** `personalised`: whether the customer (canonical id `customerExpr`) may get personalised lists, as a SQL column. */
export const personalisedColumn = (customerExpr: string) => `${consentAllowsSql(PERSONALISATION_PURPOSE, customerExpr)} AS personalised`;
// Offered only when active and in stock; a SKU missing from the catalogue counts as both.
export const ACTIVE = '(p.is_active IS NULL OR p.is_active) AND (p.stock IS NULL OR p.stock > 0)';
// Items the customer already bought that do not run out (no replenish_days) are never offered again.
const NOT_OWNED = `NOT EXISTS (SELECT 1 FROM order_items owned LEFT JOIN products op ON op.sku = owned.sku
                               WHERE owned.customer_id = $1 AND owned.sku = c.sku AND op.replenish_days IS NULL)`;

const NOT_BURIED = `NOT EXISTS (SELECT 1 FROM merchandising_rules x WHERE x.sku = c.sku AND x.action = 'bury')`;
// Inside the price band of the customer's value tier (joined as b), or no band applies; items without a price are inside.
const IN_BAND = '(b.tier IS NULL OR p.price_fen IS NULL OR p.price_fen BETWEEN b.min_fen AND b.max_fen) AS in_band';

/** Candidates inside the customer's price band keep their order and come first; the rest only fill a gap. */
const inBandFirst = (rows: readonly CandidateRow[]) => [...rows.filter((r) => r.in_band !== false), ...rows.filter((r) => r.in_band === false)];

/** One row a list can be made from, as the SQL path returns it (and a snapshot builds it). */
export interface CandidateRow {
  sku: string;
  score: number;
  reason: (typeof REASON_KINDS)[number];
  /** Inside the price band of the customer's value tier (or no band applies). */
  in_band?: boolean;
  reason_sku: string | null;
  due?: string | null;
  reason_name: string | null;
  name: string | null;
  category: string | null;
}

export function assertCount(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new SiyuError('validation', 'invalid_count', `${name} must be a whole number from 1 to 100, not ${n}`, { details: [{ path: name, message: 'must be 1..100' }] });
}

/**
 * Adds rows in rank order after `picked` until it holds n, skipping SKUs already there and holding back any
 * row whose category already has `cap` items; held-back rows fill what is left at the end.
 */
function fill(picked: CandidateRow[], rows: readonly CandidateRow[], n: number, cap: number): void {
  const have = new Set(picked.map((r) => r.sku));
  const perCategory = new Map<string, number>();
  for (const r of picked) if (r.category !== null) perCategory.set(r.category, (perCategory.get(r.category) ?? 0) + 1);
  const held: CandidateRow[] = [];
  for (const row of rows) {
    if (picked.length === n) return;
    if (have.has(row.sku)) continue;
    const used = row.category === null ? 0 : (perCategory.get(row.category) ?? 0);
    if (used >= cap) {
      held.push(row);
      continue;
    }
    if (row.category !== null) perCategory.set(row.category, used + 1);
    have.add(row.sku);
    picked.push(row);
  }
  for (const row of held) if (picked.length < n) picked.push(row);
}

const item = (r: CandidateRow): RecommendedItem => ({
  sku: r.sku,
  name: r.name,
  category: r.category,
  score: Number(r.score),
  reason:
    r.reason === 'featured'
      ? { kind: 'featured', zh: '精选推荐', en: 'Featured' }
      : r.reason === 'restock' && r.due
      ? { kind: 'restock', due: r.due, zh: `该补货了（预计 ${r.due} 用完）`, en: `Time to restock (due ${r.due})` }
      : r.reason === 'bought_with' && r.reason_sku
      ? { kind: 'bought_with', sku: r.reason_sku, zh: `因为您购买了${r.reason_name ?? r.reason_sku}`, en: `Because you bought ${r.reason_name ?? r.reason_sku}` }
      : { kind: 'popular', zh: '同类热销', en: 'Best-seller' },
});

/**
 * A customer's recommendations, assembled online from the last `siyu recommend train` run, in this order:
 * pinned items (精选推荐), consumables coming due (该补货了, at most half the list), the customer's candidates
 * (boosted SKUs moved up, items in their value tier's price band first), then best-sellers to fill any gap: those
 * of the customer's value tier first, then of their channel, then overall.
 * Inactive and buried SKUs and already-bought non-consumables are never shown, and categories are capped for
 * variety. Unknown customers, customers who opted out of personalisation, and customers without candidates get
 * no personal picks, and the answer says which case applied.
 */
export async function recommendationsFor(db: Queryable, customerId: string, options: ListOptions = {}): Promise<RecommendationList> {
  const n = options.n ?? 10;
  assertCount(n, 'n');
  const cap = options.maxPerCategory ?? 3;
  const state = await servingState(db);
  const [customer] = await db.query<{ id: string; personalised: boolean; channel: string | null; tier: string | null }>(
    `SELECT coalesce(u.merged_into, u.customer_id) AS id, ${personalisedColumn('coalesce(u.merged_into, u.customer_id)')}, u.channel,
            (SELECT t.tier FROM tier_scores t WHERE t.customer_id = coalesce(u.merged_into, u.customer_id)) AS tier
     FROM customers u WHERE u.customer_id = $1`,
    [customerId],
  );
  const id = customer?.id ?? customerId;
  // The algorithm: the customer's variant while an experiment runs, else the latest run's.
  const variant = state.experiment ? assignVariant(state.experiment, id) : null;
  const run = variant ? state.runs.find((r) => r.algorithm === variant.algorithm) : state.runs[0];
  const optedOut = customer !== undefined && customer.personalised !== true;
  const personalAllowed = customer !== undefined && !optedOut;
  const today = options.today === undefined ? state.today : parseDay(options.today, 'today');

  // Every source in one round trip, each in its own order: 1 pinned, 2 due to restock, 3 the customer's
  // candidates, 4 best-sellers (the tier's, the channel's, then overall).
  const rows = await db.query<CandidateRow & { part: number }>(
    `SELECT * FROM (
       SELECT 1 AS part, -c.factor AS k1, 0 AS k2, c.sku, c.factor AS score, 'featured' AS reason, NULL AS reason_sku, NULL AS reason_name,
              NULL AS due, p.name, p.category, TRUE AS in_band
       FROM merchandising_rules c LEFT JOIN products p ON p.sku = c.sku
       WHERE c.action = 'pin' AND ${ACTIVE} AND ${NOT_OWNED}
       UNION ALL
       SELECT 2, CAST(c.due - DATE '1970-01-01' AS DOUBLE PRECISION), 0, c.sku, c.interval_days, 'restock', NULL, NULL,
              CAST(c.due AS TEXT), p.name, p.category, TRUE
       FROM replenishment c LEFT JOIN products p ON p.sku = c.sku
       WHERE CAST($2 AS BOOLEAN) AND c.customer_id = $1 AND ${ACTIVE} AND ${NOT_BURIED}
         AND c.due <= CAST($3 AS DATE) + CAST($4 AS INTEGER) AND c.due >= CAST($3 AS DATE) - CAST(round(c.interval_days) AS INTEGER)
       UNION ALL
       SELECT 3, c.rank / coalesce(m.factor, 1), c.rank, c.sku, c.score, c.reason, c.reason_sku, rp.name, NULL, p.name, p.category, ${IN_BAND}
       FROM recommendations c LEFT JOIN products p ON p.sku = c.sku LEFT JOIN products rp ON rp.sku = c.reason_sku
            LEFT JOIN merchandising_rules m ON m.sku = c.sku AND m.action = 'boost'
            LEFT JOIN tier_price_bands b ON b.tier = CAST($6 AS TEXT)
       WHERE CAST($2 AS BOOLEAN) AND c.customer_id = $1 AND c.algorithm = $5 AND ${ACTIVE} AND ${NOT_OWNED} AND ${NOT_BURIED}
       UNION ALL
       SELECT 4, k1, rank, sku, score, 'popular', NULL, NULL, NULL, name, category, in_band FROM (
         SELECT CASE c.scope WHEN 'tier' THEN 0 WHEN 'channel' THEN 1 ELSE 2 END AS k1, c.rank, c.sku, c.score, p.name, p.category, ${IN_BAND}
         FROM popular_items c LEFT JOIN products p ON p.sku = c.sku LEFT JOIN tier_price_bands b ON b.tier = CAST($6 AS TEXT)
         WHERE (c.scope = 'global' OR (c.scope = 'tier' AND c.scope_value = CAST($6 AS TEXT)) OR (c.scope = 'channel' AND c.scope_value = CAST($7 AS TEXT)))
           AND ${ACTIVE} AND ${NOT_OWNED} AND ${NOT_BURIED}
         ORDER BY 1, 2 LIMIT ${3 * n + 30}
       ) popular
     ) parts ORDER BY part, k1, k2, sku`,
    [id, personalAllowed, today, options.restockWindowDays ?? 7, run?.algorithm ?? '', customer?.tier ?? null, customer?.channel ?? null],
  );
  const part = (k: number) => rows.filter((r) => r.part === k);
  return assembleList(
    { customerId, resolvedId: id, known: customer !== undefined, optedOut, run, experiment: state.experiment, variant, slot: options.slot },
    { pinned: part(1), restock: part(2), personal: part(3), popular: part(4) },
    n,
    cap,
  );
}

/** The four sources of a list, each in its own order (see recommendationsFor). */
export interface ListParts {
  pinned: readonly CandidateRow[];
  restock: readonly CandidateRow[];
  personal: readonly CandidateRow[];
  popular: readonly CandidateRow[];
}

export interface ListContext {
  customerId: string;
  resolvedId: string;
  known: boolean;
  optedOut: boolean;
  run: { algorithm: string; runId: string } | undefined;
  experiment: Experiment | null;
  variant: Variant | null;
  slot: string | undefined;
}

/**
 * Assembles a list from its sources, the same way whether they came from SQL or from a serving snapshot:
 * pinned items, then restock up to half the list, then the customer's candidates and then best-sellers, each
 * in-band first, capped per category, without repeats.
 */
export function assembleList(context: ListContext, parts: ListParts, n: number, cap: number): RecommendationList {
  const picked: CandidateRow[] = [];
  fill(picked, parts.pinned, n, n);
  fill(picked, parts.restock, Math.max(picked.length, Math.ceil(n / 2)), cap);
  fill(picked, inBandFirst(parts.personal), n, cap);
  fill(picked, inBandFirst(parts.popular), n, cap);
  const personalised = picked.some((r) => r.reason === 'restock' || r.reason === 'bought_with');
  const notice = !context.known ? 'unknown_customer' : context.optedOut ? 'opted_out' : !personalised && parts.personal.length === 0 ? 'no_candidates' : null;
  const algorithm = context.run?.algorithm ?? null;
  return {
    customerId: context.customerId,
    known: context.known,
    personalized: notice === null,
    notice,
    algorithm,
    runId: context.run?.runId ?? null,
    tracking: { recommendation_id: randomUUID(), algorithm, experiment: context.experiment?.experiment ?? null, variant: context.variant?.variant ?? null, slot: context.slot ?? null },
    items: picked.map(item),
  };
}

/** What every list needs that changes only when a run, an experiment or the day changes. */
interface ServingState {
  /** The latest run of each algorithm, newest first. */
  runs: { algorithm: string; runId: string }[];
  experiment: Experiment | null;
  /** Today in the brand timezone. */
  today: string;
}

function servingState(db: Queryable): Promise<ServingState> {
  const cached = stateCache.get(db) as { at: number; state: Promise<ServingState> } | undefined;
  if (cached && performance.now() - cached.at < SERVING_STATE_TTL_MS) return cached.state;
  const state = (async () => {
    const runs = await db.query<{ algorithm: string; run_id: string; trained_at: Date }>(
      `SELECT r.algorithm, r.run_id, r.trained_at FROM recommendation_runs r
       WHERE r.trained_at = (SELECT max(l.trained_at) FROM recommendation_runs l WHERE l.algorithm = r.algorithm)
       ORDER BY r.trained_at DESC`,
    );
    return { runs: runs.map((r) => ({ algorithm: r.algorithm, runId: r.run_id })), experiment: await activeExperiment(db), today: await brandToday(db) };
  })();
  stateCache.set(db, { at: performance.now(), state });
  state.catch(() => stateCache.delete(db));
  return state;
}


export interface SimilarItems {
  sku: string;
  /** model: the trained item-item weights; content: category, brand and price, for SKUs the model never saw. */
  basis: 'model' | 'content';
  items: { sku: string; name: string | null; category: string | null; score: number }[];
}

/** Fails with not_found for a SKU that is neither in the catalogue nor in the last run's tables. */
async function assertKnownSku(db: Queryable, sku: string): Promise<void> {
  const [known] = await db.query<{ found: number }>(
    'SELECT 1 AS found FROM products WHERE sku = $1 UNION ALL SELECT 1 FROM similar_items WHERE sku = $1 UNION ALL SELECT 1 FROM association_rules WHERE sku = $1 LIMIT 1',
    [sku],
  );
  if (!known) throw new SiyuError('not_found', 'unknown_sku', `no product with SKU ${JSON.stringify(sku)}`);
}

/**
 * The items most similar to `sku`: by the last trained model, or, for a SKU the model never saw (new in the
 * catalogue, no purchases yet), by content: the same category (3 points, or 1 for the same top-level category of
 * a path such as 个护/洗发), the same brand (2) and a price within a factor of two (1), ties to the better seller.
 * Active items only. A SKU the store has never seen is a not_found error.
 */
export async function similarItemsFor(db: Queryable, sku: string, options: { n?: number } = {}): Promise<SimilarItems> {
  const n = options.n ?? 10;
  assertCount(n, 'n');
  await assertKnownSku(db, sku);
  const rows = await db.query<{ sku: string; score: number; name: string | null; category: string | null }>(
    `SELECT s.similar_sku AS sku, s.score, p.name, p.category FROM similar_items s LEFT JOIN products p ON p.sku = s.similar_sku
     WHERE s.sku = $1 AND ${ACTIVE} ORDER BY s.rank LIMIT ${n}`,
    [sku],
  );
  const [trained] = rows.length ? [true] : await db.query('SELECT 1 AS found FROM similar_items WHERE sku = $1 LIMIT 1', [sku]);
  if (trained) return { sku, basis: 'model', items: rows.map((r) => ({ ...r, score: Number(r.score) })) };
  const content = await db.query<{ sku: string; score: number; name: string | null; category: string | null }>(
    `SELECT p.sku, p.name, p.category,
            CAST(CASE WHEN p.category = s.category THEN 3 WHEN split_part(p.category, '/', 1) = split_part(s.category, '/', 1) THEN 1 ELSE 0 END
               + CASE WHEN p.brand = s.brand THEN 2 ELSE 0 END
               + CASE WHEN p.price_fen BETWEEN s.price_fen / 2 AND s.price_fen * 2 THEN 1 ELSE 0 END AS DOUBLE PRECISION) AS score
     FROM products s JOIN products p ON p.sku <> s.sku
          LEFT JOIN popular_items g ON g.scope = 'global' AND g.sku = p.sku
     WHERE s.sku = $1 AND ${ACTIVE}
       AND (p.category = s.category OR split_part(p.category, '/', 1) = split_part(s.category, '/', 1) OR p.brand = s.brand)
     ORDER BY score DESC, coalesce(g.rank, ${Number.MAX_SAFE_INTEGER}), p.sku
     LIMIT ${n}`,
    [sku],
  );
  return { sku, basis: 'content', items: content.map((r) => ({ ...r, score: Number(r.score) })) };
}

export interface BoughtTogether {
  sku: string;
  items: { sku: string; name: string | null; category: string | null; orders: number; support: number; confidence: number; lift: number }[];
}

/** "Frequently bought together" for `sku`: the last run's pair rules, best confidence first, active items only. */
export async function boughtTogetherFor(db: Queryable, sku: string, options: { n?: number } = {}): Promise<BoughtTogether> {
  const n = options.n ?? 10;
  assertCount(n, 'n');
  await assertKnownSku(db, sku);
  const rows = await db.query<BoughtTogether['items'][number]>(
    `SELECT r.with_sku AS sku, p.name, p.category, r.orders, r.support, r.confidence, r.lift
     FROM association_rules r LEFT JOIN products p ON p.sku = r.with_sku
     WHERE r.sku = $1 AND ${ACTIVE} ORDER BY r.rank LIMIT ${n}`,
    [sku],
  );
  return { sku, items: rows.map((r) => ({ ...r, orders: Number(r.orders) })) };
}
