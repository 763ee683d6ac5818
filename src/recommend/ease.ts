import { SiyuError } from '../core/errors.ts';
import { invertSpd } from '../models/math/linalg.ts';
import { cooccurrence, type InteractionMatrix } from './data.ts';
import type { Reason, Recommender } from './model.ts';
import { assertTrainable } from './popularity.ts';

export interface EaseOptions {
  /** L2 penalty λ on the item-item weights. Default 500; `siyu recommend evaluate` tunes it on a validation split. */
  lambda?: number;
}

export const DEFAULT_EASE_LAMBDA = 500;
/** EASE holds n×n matrices: above this many items it refuses rather than exhaust memory. */
export const EASE_MAX_ITEMS = 15_000;

/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data", eq. 8): with P = (XᵀX + λI)⁻¹ over
 * the binary user×item matrix X, the item-item weights are B = I − P·diag(1/diag(P)), so B[i][j] =
 * −P[i][j]/P[j][j] and B[j][j] = 0. A user's scores are their row of X times B. Training is one n×n inverse,
 * O(n³) in the number of items and independent of the number of users.
 */
export function trainEase(matrix: InteractionMatrix, options: EaseOptions = {}): Recommender {
  assertTrainable(matrix, 'ease');
  const lambda = options.lambda ?? DEFAULT_EASE_LAMBDA;
  const n = matrix.items.length;
  if (n > EASE_MAX_ITEMS)
    throw new SiyuError('validation', 'catalogue_too_large', `ease: ${n.toLocaleString('en-US')} items need two ${n.toLocaleString('en-US')}² matrices (${((16 * n * n) / 2 ** 30).toFixed(1)} GiB); use als for catalogues above ${EASE_MAX_ITEMS.toLocaleString('en-US')} items`);
  const g = cooccurrence(matrix);
  for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
  const b = invertSpd(g, n);
  const diag = Float64Array.from({ length: n }, (_, j) => b[j * n + j]!);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) b[row + j] = i === j ? 0 : -b[row + j]! / diag[j]!;
  }

  return {
    algorithm: 'ease',
    params: { lambda },
    matrix,
    scoreUser(u, out) {
      out.fill(0);
      for (let p = matrix.rowStart[u]!; p < matrix.rowStart[u + 1]!; p++) {
        const row = matrix.itemOf[p]! * n;
        for (let j = 0; j < n; j++) out[j]! += b[row + j]!;
      }
    },
    similarTo(item, out) {
      out.set(b.subarray(item * n, item * n + n));
    },
    reason(u, item): Reason {
      let best = -1;
      let bestScore = 0;
      for (let p = matrix.rowStart[u]!; p < matrix.rowStart[u + 1]!; p++) {
        const s = b[matrix.itemOf[p]! * n + item]!;
        if (s > bestScore) [best, bestScore] = [matrix.itemOf[p]!, s];
      }
      return best < 0 ? { kind: 'popular' } : { kind: 'bought_with', item: matrix.items[best]! };
    },
  };
}
