import { SiyuError } from '../../core/errors.ts';

export interface GbdtOptions {
  trees?: number;
  depth?: number;
  learningRate?: number;
  /** L2 penalty λ on leaf values (Newton step −G/(H+λ)). */
  l2?: number;
  /** Fewest rows in a leaf. */
  minLeaf?: number;
  /** Candidate split points per feature (quantiles of the training values). */
  bins?: number;
  /**
   * A feature holding a probability each row's log-odds start from, instead of the base rate: the trees then learn
   * corrections to it (boosting from a prior model's margin, as XGBoost's base_margin).
   */
  offsetFeature?: number;
  /**
   * Early stopping: hold out every `1/share`-th row, grow trees on the rest while the held-out log-loss keeps
   * improving (stopping `patience` trees after its best), then refit on every row with the best number of trees.
   * Small data sets then get few trees, and a strong offset model is only corrected where the data say so.
   */
  earlyStopping?: { share: number; patience: number };
}

interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Every node's value, internal ones too, so a path's changes explain a prediction (Saabas). */
  value: Float64Array;
}

export interface GbdtModel {
  kind: 'gbdt';
  base: number;
  /** See GbdtOptions.offsetFeature; the base is then 0. */
  offsetFeature?: number;
  learningRate: number;
  trees: Tree[];
  features: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** ln(p / (1 − p)) with p kept inside [1e−6, 1 − 1e−6]. */
export const logit = (p: number) => {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
  return Math.log(q / (1 - q));
};
const start = (model: Pick<GbdtModel, 'base' | 'offsetFeature'>, row: Float64Array) => (model.offsetFeature === undefined ? model.base : logit(row[model.offsetFeature]!));

/** Up to `bins` − 1 split thresholds per feature at quantiles of its distinct values. */
function thresholds(rows: readonly Float64Array[], feature: number, bins: number): Float64Array {
  const values = [...new Set(rows.map((r) => r[feature]!))].sort((a, b) => a - b);
  if (values.length <= 1) return new Float64Array(0);
  const cuts = new Set<number>();
  for (let b = 1; b < bins; b++) {
    const k = Math.floor((b * values.length) / bins);
    if (k > 0 && k < values.length) cuts.add((values[k - 1]! + values[k]!) / 2);
  }
  return Float64Array.from([...cuts].sort((a, b) => a - b));
}

/**
 * Gradient-boosted decision trees for a 0/1 outcome (Friedman 2001) with second-order leaf values (as XGBoost,
 * Chen & Guestrin 2016): each tree fits the log-loss gradients by greedy histogram splits that maximise
 * G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), to `depth` levels, with at least `minLeaf` rows a leaf.
 */
export function fitGbdt(rows: readonly Float64Array[], labels: ArrayLike<number>, options: GbdtOptions = {}): GbdtModel {
  if (rows.length === 0) throw new SiyuError('validation', 'no_training_rows', 'gradient boosting: no rows to train on');
  const stopping = options.earlyStopping;
  if (!stopping) return boost(rows, labels, options);
  const every = Math.max(2, Math.round(1 / stopping.share));
  const held = rows.map((_, i) => i).filter((i) => i % every === 0);
  const kept = rows.map((_, i) => i).filter((i) => i % every !== 0);
  const heldRows = held.map((i) => rows[i]!);
  const heldLabels = held.map((i) => labels[i]!);
  const heldRaw = new Float64Array(held.length);
  let best = { trees: 0, loss: Infinity };
  boost(
    kept.map((i) => rows[i]!),
    kept.map((i) => labels[i]!),
    options,
    (model, tree) => {
      if (model.trees.length === 1) heldRows.forEach((r, k) => (heldRaw[k] = start(model, r)));
      let loss = 0;
      for (let k = 0; k < held.length; k++) {
        heldRaw[k]! += model.learningRate * leafValue(tree, heldRows[k]!);
        const p = Math.min(Math.max(sigmoid(heldRaw[k]!), 1e-12), 1 - 1e-12);
        loss -= heldLabels[k] ? Math.log(p) : Math.log(1 - p);
      }
      if (model.trees.length === 1) {
        // The loss before any tree: the start (base rate or offset) alone.
        let before = 0;
        for (let k = 0; k < held.length; k++) {
          const p = Math.min(Math.max(sigmoid(start(model, heldRows[k]!)), 1e-12), 1 - 1e-12);
          before -= heldLabels[k] ? Math.log(p) : Math.log(1 - p);
        }
        best = { trees: 0, loss: before };
      }
      if (loss < best.loss) best = { trees: model.trees.length, loss };
      return model.trees.length - best.trees < stopping.patience;
    },
  );
  return boost(rows, labels, { ...options, trees: best.trees });
}

/** Grows `options.trees` trees; `onTree`, called after each, may stop the growing by answering false. */
function boost(rows: readonly Float64Array[], labels: ArrayLike<number>, options: GbdtOptions, onTree?: (model: GbdtModel, tree: Tree) => boolean): GbdtModel {
  const n = rows.length;
  const trees = options.trees ?? 100;
  const depth = options.depth ?? 3;
  const eta = options.learningRate ?? 0.1;
  const lambda = options.l2 ?? 1;
  const minLeaf = options.minLeaf ?? 20;
  const d = rows[0]!.length;
  const cuts = Array.from({ length: d }, (_, j) => thresholds(rows, j, options.bins ?? 32));
  // The bin of each row for each feature: the number of thresholds below its value.
  const binned = cuts.map((c, j) =>
    Uint8Array.from(rows, (r) => {
      let lo = 0;
      let hi = c.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c[mid]! < r[j]!) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }),
  );
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] ? 1 : 0;
  const rate = Math.min(Math.max(positives / n, 1e-6), 1 - 1e-6);
  const offsetFeature = options.offsetFeature;
  const base = offsetFeature === undefined ? Math.log(rate / (1 - rate)) : 0;
  const model: GbdtModel = { kind: 'gbdt', base, ...(offsetFeature === undefined ? {} : { offsetFeature }), learningRate: eta, trees: [], features: d };
  const raw = Float64Array.from(rows, (r) => start(model, r));
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const maxBins = Math.max(1, ...cuts.map((c) => c.length + 1));
  const hg = new Float64Array(maxBins);
  const hh = new Float64Array(maxBins);
  const hc = new Int32Array(maxBins);

  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(raw[i]!);
      g[i] = p - (labels[i] ? 1 : 0);
      h[i] = Math.max(p * (1 - p), 1e-12);
    }
    const feature: number[] = [];
    const threshold: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const value: number[] = [];
    // Rows of the node being grown are order[lo, hi); a split partitions that range in place.
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const grow = (lo: number, hi: number, level: number): number => {
      let G = 0;
      let H = 0;
      for (let k = lo; k < hi; k++) {
        G += g[order[k]!]!;
        H += h[order[k]!]!;
      }
      const node = value.length;
      value.push(-G / (H + lambda));
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      const count = hi - lo;
      if (level >= depth || count < 2 * minLeaf) return node;
      const parentScore = (G * G) / (H + lambda);
      let best = { gain: 1e-12, feature: -1, bin: -1 };
      for (let j = 0; j < d; j++) {
        const bins = cuts[j]!.length + 1;
        if (bins < 2) continue;
        hg.fill(0, 0, bins);
        hh.fill(0, 0, bins);
        hc.fill(0, 0, bins);
        const column = binned[j]!;
        for (let k = lo; k < hi; k++) {
          const i = order[k]!;
          const b = column[i]!;
          hg[b]! += g[i]!;
          hh[b]! += h[i]!;
          hc[b]!++;
        }
        let gl = 0;
        let hl = 0;
        let cl = 0;
        for (let b = 0; b < bins - 1; b++) {
          gl += hg[b]!;
          hl += hh[b]!;
          cl += hc[b]!;
          if (cl < minLeaf || count - cl < minLeaf) continue;
          const gr = G - gl;
          const hr = H - hl;
          const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
          if (gain > best.gain) best = { gain, feature: j, bin: b };
        }
      }
      if (best.feature < 0) return node;
      const column = binned[best.feature]!;
      let mid = lo;
      for (let k = lo; k < hi; k++) {
        const i = order[k]!;
        if (column[i]! <= best.bin) {
          order[k] = order[mid]!;
          order[mid++] = i;
        }
      }
      const l = grow(lo, mid, level + 1);
      const r = grow(mid, hi, level + 1);
      feature[node] = best.feature;
      threshold[node] = cuts[best.feature]![best.bin]!;
      left[node] = l;
      right[node] = r;
      return node;
    };
    grow(0, n, 0);
    const tree: Tree = { feature: Int32Array.from(feature), threshold: Float64Array.from(threshold), left: Int32Array.from(left), right: Int32Array.from(right), value: Float64Array.from(value) };
    model.trees.push(tree);
    for (let i = 0; i < n; i++) raw[i]! += eta * leafValue(tree, rows[i]!);
    if (onTree && !onTree(model, tree)) break;
  }
  return model;
}

function leafValue(tree: Tree, row: Float64Array): number {
  let node = 0;
  while (tree.feature[node]! >= 0) node = row[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  return tree.value[node]!;
}

export function predictGbdt(model: GbdtModel, row: Float64Array): number {
  let raw = start(model, row);
  for (const tree of model.trees) raw += model.learningRate * leafValue(tree, row);
  return sigmoid(raw);
}

/**
 * Each feature's contribution to the log-odds (Saabas): along each tree's path, the change in node value at a
 * split is credited to the split's feature. They sum, with the base and the root values, to the prediction.
 */
export function gbdtContributions(model: GbdtModel, row: Float64Array): Float64Array {
  const out = new Float64Array(model.features);
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node]! >= 0) {
      const f = tree.feature[node]!;
      const next = row[f]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      out[f]! += model.learningRate * (tree.value[next]! - tree.value[node]!);
      node = next;
    }
  }
  return out;
}
