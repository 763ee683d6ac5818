// The frequency models behind one interface, so the store pipeline, scoring and evaluation treat them alike. BG/BB
// counts discrete opportunities: its histories are periods (history.ts `discrete`), with T standing for n.
import { bgBbConditionalExpected, bgBbExpected, bgBbExpectedIfAlive, bgBbProbabilityAlive, fitBgBb, type BgBbParams } from './bg-bb.ts';
import { bgNbdConditionalExpected, bgNbdExpected, bgNbdExpectedIfAlive, bgNbdProbabilityAlive, fitBgNbd, type BgNbdParams } from './bg-nbd.ts';
import type { FitOptions, FitResult } from './fit.ts';
import { fitMbgNbd, mbgNbdConditionalExpected, mbgNbdExpected, mbgNbdProbabilityAlive } from './mbg-nbd.ts';
import {
  bgBbConditionalProbabilityOfPurchases,
  bgBbNoPurchaseIfActive,
  bgBbProbabilityActive,
  bgBbPurchasesIfActive,
  bgNbdConditionalProbabilityOfPurchases,
  bgNbdNoPurchaseIfAlive,
  bgNbdPurchasesIfAlive,
  paretoNbdConditionalProbabilityOfPurchases,
  paretoNbdNoPurchaseIfAlive,
  paretoNbdPurchasesIfAlive,
} from './no-purchase.ts';
import { fitParetoNbd, paretoNbdConditionalExpected, paretoNbdExpected, paretoNbdExpectedIfAlive, paretoNbdProbabilityAlive, type ParetoNbdParams } from './pareto-nbd.ts';
import type { RepeatSummary } from './summary.ts';

export const FREQUENCY_MODELS = ['bgnbd', 'mbgnbd', 'paretonbd', 'bgbb'] as const;
export type FrequencyModelName = (typeof FREQUENCY_MODELS)[number];

export interface FrequencyModel {
  name: FrequencyModelName;
  label: string;
  fit(data: RepeatSummary, options?: FitOptions): FitResult<string>;
  /** E[X(t)] for a customer just acquired. */
  expected(params: Record<string, number>, t: number): number;
  /** E[Y(t) | x, tx, T]: purchases in (T, T + t]. */
  conditionalExpected(params: Record<string, number>, t: number, x: number, tx: number, T: number): number;
  probabilityAlive(params: Record<string, number>, x: number, tx: number, T: number): number;
  /**
   * E[Y(t) | alive at T, x, T]: conditionalExpected without its P(alive) factor. It does not depend on tx, so
   * scoring computes each customer's purchase curve once per distinct (x, T).
   */
  expectedIfAlive(params: Record<string, number>, t: number, x: number, T: number): number;
  /**
   * P(active at T | x, tx, T): the weight of "still active" in what comes next (no-purchase.ts). P(alive) for the
   * continuous models; for BG/BB, active through opportunity n (P(alive) there, eq. 11, also survives n + 1).
   */
  probabilityActive(params: Record<string, number>, x: number, tx: number, T: number): number;
  /** P(Y(t) = 0 | active at T, x, T): no purchase in (T, T + t] for a customer still active; independent of tx. */
  noPurchaseIfActive(params: Record<string, number>, t: number, x: number, T: number): number;
  /** P(Y(t) = y | active at T, x, T): the model's P(X(t) = y) with the parameters updated by the history. */
  purchasesIfActive(params: Record<string, number>, t: number, y: number, x: number, T: number): number;
  /** P(Y(t) = y | x, tx, T): the conditional distribution of the purchases in (T, T + t]. */
  conditionalProbabilityOfPurchases(params: Record<string, number>, t: number, y: number, x: number, tx: number, T: number): number;
  /** Discrete opportunities: x, tx and T count whole periods of the time unit (T is BG/BB's n). */
  discrete: boolean;
  /** P(alive) is a closed form of a few logarithms (no special functions): cheaper per customer than grouping them. */
  closedFormAlive: boolean;
}

const bg = (p: Record<string, number>) => p as unknown as BgNbdParams;
const pareto = (p: Record<string, number>) => p as unknown as ParetoNbdParams;
const bb = (p: Record<string, number>) => p as unknown as BgBbParams;

/** P(Y(t) = 0 | x, tx, T): no purchase in (T, T + t], the models' churn score (no-purchase.ts). */
export function probabilityNoPurchase(model: FrequencyModelName, params: Record<string, number>, t: number, x: number, tx: number, T: number): number {
  const m = FREQUENCY[model];
  const active = m.probabilityActive(params, x, tx, T);
  return 1 - active + active * m.noPurchaseIfActive(params, t, x, T);
}

export const FREQUENCY: Record<FrequencyModelName, FrequencyModel> = {
  bgnbd: {
    name: 'bgnbd',
    label: 'BG/NBD (Fader, Hardie & Lee 2005)',
    fit: (data, options) => fitBgNbd(data, options),
    expected: (p, t) => bgNbdExpected(bg(p), t),
    conditionalExpected: (p, t, x, tx, T) => bgNbdConditionalExpected(bg(p), t, x, tx, T),
    probabilityAlive: (p, x, tx, T) => bgNbdProbabilityAlive(bg(p), x, tx, T),
    expectedIfAlive: (p, t, x, T) => bgNbdExpectedIfAlive(bg(p), t, x, T),
    probabilityActive: (p, x, tx, T) => bgNbdProbabilityAlive(bg(p), x, tx, T),
    noPurchaseIfActive: (p, t, x, T) => bgNbdNoPurchaseIfAlive(bg(p), t, x, T),
    purchasesIfActive: (p, t, y, x, T) => bgNbdPurchasesIfAlive(bg(p), t, y, x, T),
    conditionalProbabilityOfPurchases: (p, t, y, x, tx, T) => bgNbdConditionalProbabilityOfPurchases(bg(p), t, y, x, tx, T),
    closedFormAlive: true,
    discrete: false,
  },
  mbgnbd: {
    name: 'mbgnbd',
    label: 'MBG/NBD (Batislam et al. 2007)',
    fit: (data, options) => fitMbgNbd(data, options),
    expected: (p, t) => mbgNbdExpected(bg(p), t),
    conditionalExpected: (p, t, x, tx, T) => mbgNbdConditionalExpected(bg(p), t, x, tx, T),
    probabilityAlive: (p, x, tx, T) => mbgNbdProbabilityAlive(bg(p), x, tx, T),
    expectedIfAlive: (p, t, x, T) => bgNbdExpectedIfAlive(bg(p), t, x, T, true),
    probabilityActive: (p, x, tx, T) => mbgNbdProbabilityAlive(bg(p), x, tx, T),
    noPurchaseIfActive: (p, t, x, T) => bgNbdNoPurchaseIfAlive(bg(p), t, x, T),
    purchasesIfActive: (p, t, y, x, T) => bgNbdPurchasesIfAlive(bg(p), t, y, x, T, true),
    conditionalProbabilityOfPurchases: (p, t, y, x, tx, T) => bgNbdConditionalProbabilityOfPurchases(bg(p), t, y, x, tx, T, true),
    closedFormAlive: true,
    discrete: false,
  },
  paretonbd: {
    name: 'paretonbd',
    label: 'Pareto/NBD (Schmittlein et al. 1987)',
    fit: (data, options) => fitParetoNbd(data, options),
    expected: (p, t) => paretoNbdExpected(pareto(p), t),
    conditionalExpected: (p, t, x, tx, T) => paretoNbdConditionalExpected(pareto(p), t, x, tx, T),
    probabilityAlive: (p, x, tx, T) => paretoNbdProbabilityAlive(pareto(p), x, tx, T),
    expectedIfAlive: (p, t, x, T) => paretoNbdExpectedIfAlive(pareto(p), t, x, T),
    probabilityActive: (p, x, tx, T) => paretoNbdProbabilityAlive(pareto(p), x, tx, T),
    noPurchaseIfActive: (p, t, x, T) => paretoNbdNoPurchaseIfAlive(pareto(p), t, x, T),
    purchasesIfActive: (p, t, y, x, T) => paretoNbdPurchasesIfAlive(pareto(p), t, y, x, T),
    conditionalProbabilityOfPurchases: (p, t, y, x, tx, T) => paretoNbdConditionalProbabilityOfPurchases(pareto(p), t, y, x, tx, T),
    closedFormAlive: false,
    discrete: false,
  },
  bgbb: {
    name: 'bgbb',
    label: 'BG/BB (Fader, Hardie & Shang 2010)',
    fit: (data, options) => fitBgBb({ x: data.x, tx: data.tx, n: data.T, weight: data.weight }, options),
    expected: (p, t) => bgBbExpected(bb(p), t),
    conditionalExpected: (p, t, x, tx, T) => bgBbConditionalExpected(bb(p), t, x, tx, T),
    probabilityAlive: (p, x, tx, T) => bgBbProbabilityAlive(bb(p), x, tx, T),
    expectedIfAlive: (p, t, x, T) => bgBbExpectedIfAlive(bb(p), t, x, T),
    probabilityActive: (p, x, tx, T) => bgBbProbabilityActive(bb(p), x, tx, T),
    noPurchaseIfActive: (p, t, x, T) => bgBbNoPurchaseIfActive(bb(p), t, x, T),
    purchasesIfActive: (p, t, y, x, T) => bgBbPurchasesIfActive(bb(p), t, y, x, T),
    conditionalProbabilityOfPurchases: (p, t, y, x, tx, T) => bgBbConditionalProbabilityOfPurchases(bb(p), t, y, x, tx, T),
    closedFormAlive: false,
    discrete: true,
  },
};
