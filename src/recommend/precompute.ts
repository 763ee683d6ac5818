import { randomUUID } from 'node:crypto';
import { SiyuError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/index.ts';
import { chooseParams, formatParams, parseAlgorithm, trainAlgorithm, type AlgorithmName, type Params } from './algorithms.ts';
import { loadPurchases } from './history.ts';
import { topK, type Recommender } from './model.ts';
import { computePopular } from './popular.ts';
import { refreshServingState } from './state-cache.ts';
import { computePriceBands } from './merchandising.ts';
import { computeReplenishment, type ReplenishOptions, type ReplenishReport } from './replenish.ts';
import { loadBaskets, mineRules, type AssociationRule, type RuleOptions } from './rules.ts';
import { trainSar } from './sar.ts';

export interface TrainOptions {
  /** Default: EASE for catalogues of up to EASE_AUTO_MAX_ITEMS items, ALS above (EASE's cost grows with items cubed). */
  algorithm?: AlgorithmName;
  /** Overrides of the algorithm's defaults; a tuned setting given here is not tuned. */
  params?: Params;
  /** Tune on a validation split of the purchases (default true). */
  tune?: boolean;
  /** Candidates kept per customer, from which serving filters and picks; the popular items fill any gap. Default 30. */
  candidates?: number;
  /** Similar items, and bought-together rules, kept per item. Default 20. */
  similar?: number;
  rules?: RuleOptions;
  replenish?: ReplenishOptions;
  onProgress?: (line: string) => void;
}

export interface TrainReport {
  runId: string;
  algorithm: AlgorithmName;
  params: Params;
  interactions: number;
  customers: number;
  items: number;
  candidateRows: number;
  similarRows: number;
  ruleRows: number;
  replenishment: ReplenishReport;
  /** Value tiers given a price band (0 before `siyu tiers` has run). */
  priceBands: number;
  /** Best-seller rows over every scope (global, trending, channel, tier). */
  popularRows: number;
  seconds: { load: number; tune: number; train: number; precompute: number; write: number; rules: number; replenish: number };
}

/** Without a chosen algorithm, catalogues up to this many items get EASE and larger ones ALS. */
export const EASE_AUTO_MAX_ITEMS = 3_000;

const elapsed = (start: number) => (performance.now() - start) / 1000;

/**
 * The nightly refresh: retrains with the algorithm and settings of the latest run (no tuning) and refreshes every
 * precomputed list, as `trainRecommendations` does. `options` may change the list sizes and hear progress.
 */
export async function retrainRecommendations(store: Store, options: Omit<TrainOptions, 'algorithm' | 'params' | 'tune'> = {}): Promise<TrainReport> {
  const [last] = await store.query<{ algorithm: string; params: Params | string }>('SELECT algorithm, params FROM recommendation_runs ORDER BY trained_at DESC LIMIT 1');
  if (!last) throw new SiyuError('not_found', 'no_recommendation_run', 'no recommendation run yet: run `siyu recommend train` first');
  const params = typeof last.params === 'string' ? (JSON.parse(last.params) as Params) : last.params;
  return trainRecommendations(store, { ...options, algorithm: parseAlgorithm(last.algorithm), params, tune: false });
}

/**
 * Trains one algorithm on every purchase in the store and precomputes what serving needs, in one transaction:
 * the top candidates per customer (items they have not bought, each with its reason) replace that algorithm's
 * earlier candidates, while other algorithms' candidates stay for A/B experiments; the most similar items per item
 * and the popular items for the non-personalised fallback are replaced whole. Bought-together rules, restock
 * dates and the tiers' price bands are refreshed after.
 */
export async function trainRecommendations(store: Store, options: TrainOptions = {}): Promise<TrainReport> {
  const candidates = options.candidates ?? 30;
  const similarKept = options.similar ?? 20;
  const progress = options.onProgress ?? (() => undefined);
  let start = performance.now();
  const rows = await loadPurchases(store);
  if (rows.length === 0) throw new SiyuError('not_found', 'no_purchases', 'the store has no purchases with order lines to learn from; import orders and order items first');
  const load = elapsed(start);
  const items = new Set(rows.map((r) => r.item)).size;
  const algorithm = options.algorithm ?? (items <= EASE_AUTO_MAX_ITEMS ? 'ease' : 'als');
  progress(`loaded ${rows.length.toLocaleString('en-US')} purchase lines (${items.toLocaleString('en-US')} items) in ${load.toFixed(1)} s; training ${algorithm}`);

  start = performance.now();
  const { params } = chooseParams(algorithm, rows, {
    tune: options.tune,
    params: options.params,
    onTrial: (t, i, of) => progress(`tuning ${algorithm}: validation nDCG@10 ${t.metrics.ndcg.toFixed(4)} with ${formatParams(t.params)} (${i}/${of})`),
  });
  const tuneSeconds = elapsed(start);

  start = performance.now();
  const model = trainAlgorithm(algorithm, rows, params);
  const trainSeconds = elapsed(start);
  progress(`trained ${algorithm} in ${trainSeconds.toFixed(1)} s`);

  const runId = randomUUID();
  const { matrix } = model;
  start = performance.now();
  const similarRows = similarItems(model, similarKept, runId);
  let written = { rows: 0, scoreSeconds: 0, writeSeconds: 0 };
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM similar_items');
    await tx.appendRows('similar_items', ['sku', 'rank', 'similar_sku', 'score', 'run_id'], similarRows);
    written = await writeCandidates(tx, model, { candidates, runId, onProgress: progress });
    await tx.insertRows('recommendation_runs', ['run_id', 'algorithm', 'params', 'interactions', 'customers', 'items', 'trained_at'], [[runId, algorithm, JSON.stringify(params), rows.length, matrix.users.length, matrix.items.length, new Date()]]);
  });
  const precompute = written.scoreSeconds;
  const write = elapsed(start) - precompute;
  progress(`precomputed ${written.rows.toLocaleString('en-US')} candidates for ${matrix.users.length.toLocaleString('en-US')} customers: scoring ${precompute.toFixed(1)} s, writing ${write.toFixed(1)} s`);

  start = performance.now();
  const ruleRows = await writeRules(store, mineRules(await loadBaskets(store), options.rules), similarKept, runId);
  const rules = elapsed(start);
  progress(`mined ${ruleRows.toLocaleString('en-US')} bought-together rules in ${rules.toFixed(1)} s`);
  start = performance.now();
  const replenishment = await computeReplenishment(store, options.replenish);
  const replenish = elapsed(start);
  const priceBands = await computePriceBands(store, runId);
  // After the price bands' tiers are known; per-tier best-sellers read tier_scores too.
  const popularRows = await computePopular(store, runId);
  refreshServingState(store);
  progress(`predicted ${replenishment.pairs.toLocaleString('en-US')} restock dates in ${replenish.toFixed(1)} s`);
  return {
    runId,
    algorithm,
    params,
    interactions: rows.length,
    customers: matrix.users.length,
    items: matrix.items.length,
    candidateRows: written.rows,
    similarRows: similarRows.length,
    ruleRows,
    replenishment,
    priceBands,
    popularRows,
    seconds: { load, tune: tuneSeconds, train: trainSeconds, precompute, write, rules, replenish },
  };
}

/** The `kept` most similar items of every item, by the model's own item-item weights, else by jaccard co-occurrence. */
function similarItems(model: Recommender, kept: number, runId: string): unknown[][] {
  const { matrix } = model;
  const source = model.similarTo ? model : trainSar(matrix, { timeDecayDays: 0 });
  const row = new Float64Array(matrix.items.length);
  const out: unknown[][] = [];
  for (let i = 0; i < matrix.items.length; i++) {
    source.similarTo!(i, row);
    row[i] = -Infinity;
    topK(matrix, -1, row, kept)
      .filter((s) => s.score > 0)
      .forEach((s, rank) => out.push([matrix.items[i], rank + 1, matrix.items[s.item], s.score, runId]));
  }
  return out;
}

/** Replaces association_rules with the best `kept` rules of each antecedent (the rules come sorted per antecedent). */
async function writeRules(store: Store, rules: readonly AssociationRule[], kept: number, runId: string): Promise<number> {
  const rows: unknown[][] = [];
  let last = '';
  let rank = 0;
  for (const r of rules) {
    rank = r.antecedent === last ? rank + 1 : 1;
    last = r.antecedent;
    if (rank <= kept) rows.push([r.antecedent, rank, r.consequent, r.orders, r.support, r.confidence, r.lift, runId]);
  }
  await store.transaction(async (tx) => {
    await tx.execute('DELETE FROM association_rules');
    await tx.appendRows('association_rules', ['sku', 'rank', 'with_sku', 'orders', 'support', 'confidence', 'lift', 'run_id'], rows);
  });
  return rows.length;
}

/** Users scored and written per chunk, so memory stays flat however many customers there are. */
const CHUNK_USERS = 20_000;

/**
 * Replaces one algorithm's rows in `recommendations` with the top `candidates` unbought items of every user in the
 * model, with reasons, scoring a chunk of users at a time inside the caller's transaction. Each chunk's candidates
 * are staged as numbers (user, rank, item, score, reason item) and given their customer ids and SKUs by a join:
 * appending 30M rows of ids from JavaScript had been most of the write time.
 */
export async function writeCandidates(
  tx: Queryable,
  model: Recommender,
  options: { candidates: number; runId: string; onProgress?: (line: string) => void },
): Promise<{ rows: number; scoreSeconds: number; writeSeconds: number }> {
  const { matrix, algorithm } = model;
  let start = performance.now();
  await tx.execute('DELETE FROM recommendations WHERE algorithm = $1', [algorithm]);
  for (const [table, columns] of STAGING) {
    await tx.execute(`DROP TABLE IF EXISTS ${table}`);
    await tx.execute(`CREATE TEMP TABLE ${table} (${columns})`);
  }
  await tx.appendRows('siyu_rec_users', ['u', 'customer_id'], matrix.users.map((id, u) => [u, id]));
  await tx.appendRows('siyu_rec_items', ['j', 'sku'], matrix.items.map((sku, j) => [j, sku]));
  let writeSeconds = elapsed(start);
  const scores = new Float64Array(matrix.items.length);
  let rows = 0;
  let scoreSeconds = 0;
  let lastReport = performance.now();
  for (let from = 0; from < matrix.users.length; from += CHUNK_USERS) {
    start = performance.now();
    const chunk: number[][] = [];
    const to = Math.min(from + CHUNK_USERS, matrix.users.length);
    const n = options.candidates;
    // A model's own path ranks the whole chunk at once (with the helper thread); otherwise user by user.
    const top = model.topCandidates?.(from, to, n);
    if (top) {
      for (let u = from; u < to; u++) {
        for (let i = (u - from) * n, rank = 1; rank <= n && top.items[i]! >= 0; i++, rank++) chunk.push([u, rank, top.items[i]!, top.scores[i]!, top.reasons[i]!]);
      }
    } else {
      for (let u = from; u < to; u++) {
        model.scoreUser(u, scores);
        topK(matrix, u, scores, n).forEach((s, rank) => {
          const reason = model.reason(u, s.item);
          chunk.push([u, rank + 1, s.item, s.score, reason.kind === 'bought_with' ? matrix.itemIndex.get(reason.item)! : -1]);
        });
      }
    }
    scoreSeconds += elapsed(start);
    start = performance.now();
    // A chunk at a time, so the staged rows never hold more than one chunk's candidates in memory.
    rows += await tx.appendRows('siyu_rec_rows', ['u', 'rank', 'j', 'score', 'reason_j'], chunk);
    await tx.execute(
      `INSERT INTO recommendations (customer_id, algorithm, rank, sku, score, reason, reason_sku, run_id)
       SELECT u.customer_id, $1, r.rank, i.sku, r.score, CASE WHEN r.reason_j >= 0 THEN 'bought_with' ELSE 'popular' END, b.sku, $2
       FROM siyu_rec_rows r JOIN siyu_rec_users u ON u.u = r.u JOIN siyu_rec_items i ON i.j = r.j LEFT JOIN siyu_rec_items b ON b.j = r.reason_j`,
      [algorithm, options.runId],
    );
    await tx.execute('DELETE FROM siyu_rec_rows');
    writeSeconds += elapsed(start);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      options.onProgress?.(`precomputing: ${to.toLocaleString('en-US')} of ${matrix.users.length.toLocaleString('en-US')} customers`);
    }
  }
  start = performance.now();
  for (const [table] of STAGING) await tx.execute(`DROP TABLE ${table}`);
  writeSeconds += elapsed(start);
  return { rows, scoreSeconds, writeSeconds };
}

/** writeCandidates' temporary tables: the candidates as numbers, and the ids their user and item numbers stand for. */
const STAGING = [
  ['siyu_rec_rows', 'u INTEGER, rank INTEGER, j INTEGER, score DOUBLE PRECISION, reason_j INTEGER'],
  ['siyu_rec_users', 'u INTEGER, customer_id TEXT'],
  ['siyu_rec_items', 'j INTEGER, sku TEXT'],
] as const;
