import { readFileSync } from 'node:fs';

/** ../shared/datasets/cdnow, beside the repository (CI checks it out there). */
export const CDNOW_DIR = new URL('../../../../shared/datasets/cdnow/', import.meta.url);

export interface CdnowCustomer {
  id: string;
  /** Repeat purchase days in calibration, recency and age in weeks, and the mean value of the repeat days. */
  x: number;
  tx: number;
  T: number;
  monetary: number;
  /** Repeat purchase days in the 39-week holdout. */
  holdout: number;
}

const DAY = 86_400_000;
const CALIBRATION_END = Date.UTC(1997, 8, 30);

/**
 * The CDNOW 1/10 sample summarised the way Fader, Hardie & Lee (2005) did (REFERENCE.md §1.0): same-day purchases
 * merged, weeks, calibration to 1997-09-30 inclusive, T measured to that date. Used to check the models on their
 * own; the store pipeline builds the same summary in SQL.
 */
export function cdnowSample(): CdnowCustomer[] {
  const days = new Map<string, Map<number, number>>();
  for (const line of readFileSync(new URL('CDNOW_sample.txt', CDNOW_DIR), 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    const [, id, date, , dollars] = fields as [string, string, string, string, string];
    const day = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)));
    const byDay = days.get(id) ?? new Map<number, number>();
    byDay.set(day, (byDay.get(day) ?? 0) + Number(dollars));
    days.set(id, byDay);
  }
  return [...days.entries()].map(([id, byDay]) => {
    const sorted = [...byDay.entries()].sort((p, q) => p[0] - q[0]);
    const first = sorted[0]![0];
    const repeats = sorted.slice(1).filter(([day]) => day <= CALIBRATION_END);
    const last = repeats.length ? repeats[repeats.length - 1]![0] : first;
    return {
      id,
      x: repeats.length,
      tx: (last - first) / DAY / 7,
      T: (CALIBRATION_END - first) / DAY / 7,
      monetary: repeats.length ? repeats.reduce((s, [, v]) => s + v, 0) / repeats.length : 0,
      holdout: sorted.filter(([day]) => day > CALIBRATION_END).length,
    };
  });
}
