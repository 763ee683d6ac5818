// Recommender benchmark (issue #5) on the MovieLens-100K splits in ../shared (read there, never copied here):
// for each split and algorithm, the Microsoft Recommenders metrics at k = 10, the median training time and the
// median time to score and rank top-10 lists for every test user, over --runs. EASE's and ALS's settings are tuned
// once per split on a validation split of the training data. Writes bench/results/recommend.json and the table in docs/recommend.md.
// Usage: node --import tsx bench/recommend.ts [--runs 3]
import { evaluateRecommender, readInteractionsTsv, trainAlgorithm, tune, type AlgorithmName, type Params } from '../src/recommend/index.ts';
import { arg, markdownTable, median, printTable, replaceBetweenMarkers, writeResult } from './report.ts';

const runs = Number(arg('runs', '3'));
const splits = new URL('../../shared/datasets/movielens-100k/splits/', import.meta.url).pathname;
const plan: { split: string; algorithm: AlgorithmName; params: Params; note: string }[] = [
  { split: 'strat_user75_seed42', algorithm: 'popular', params: {}, note: '' },
  { split: 'strat_user75_seed42', algorithm: 'sar', params: { normalize: true }, note: 'published 0.106959 / 0.379533 / 0.331071 / 0.176837' },
  { split: 'strat_user75_seed42', algorithm: 'ease', params: {}, note: '' },
  { split: 'strat_user75_seed42', algorithm: 'als', params: {}, note: '' },
  { split: 'random75_seed42', algorithm: 'popular', params: {}, note: 'derived 0.054932 / 0.252913 / 0.224628 / 0.111381' },
  { split: 'random75_seed42', algorithm: 'sar', params: {}, note: '' },
  { split: 'random75_seed42', algorithm: 'ease', params: {}, note: '' },
  { split: 'random75_seed42', algorithm: 'als', params: {}, note: '' },
  { split: 'strat_item75_seed42', algorithm: 'popular', params: {}, note: 'derived 0.055959 / 0.252353 / 0.228738 / 0.113188' },
  { split: 'strat_item75_seed42', algorithm: 'sar', params: {}, note: 'published 0.114038 / 0.393819 / 0.340615 / 0.185377' },
  { split: 'strat_item75_seed42', algorithm: 'ease', params: {}, note: 'BiVAE 0.143562 / 0.468673 / 0.408165 / 0.220898 (published)' },
  { split: 'strat_item75_seed42', algorithm: 'als', params: {}, note: 'BPR 0.133977 / 0.444991 / 0.388653 / 0.216555 (published)' },
];

const rows: Record<string, unknown>[] = [];
for (const step of plan) {
  const train = readInteractionsTsv(`${splits}${step.split}.train.tsv`);
  const test = readInteractionsTsv(`${splits}${step.split}.test.tsv`);
  let params = step.params;
  let tuneSeconds: number | null = null;
  if (step.algorithm === 'ease' || step.algorithm === 'als') {
    const started = performance.now();
    params = tune(step.algorithm, train).best;
    tuneSeconds = (performance.now() - started) / 1000;
  }
  const trainTimes: number[] = [];
  const scoreTimes: number[] = [];
  let metrics;
  for (let r = 0; r < runs; r++) {
    let started = performance.now();
    const model = trainAlgorithm(step.algorithm, train, params);
    trainTimes.push((performance.now() - started) / 1000);
    started = performance.now();
    metrics = evaluateRecommender(model, test, 10);
    scoreTimes.push((performance.now() - started) / 1000);
  }
  rows.push({ split: step.split, algorithm: step.algorithm, params, ...metrics!, trainSeconds: median(trainTimes), scoreSeconds: median(scoreTimes), tuneSeconds, reference: step.note });
  process.stderr.write(`${step.split} ${step.algorithm}: nDCG@10 ${metrics!.ndcg.toFixed(6)}\n`);
}

const f6 = (v: unknown) => (v as number).toFixed(6);
const sec = (v: unknown) => (v as number).toFixed(2);
const shown = (p: Params) => Object.entries(p).filter(([k]) => ['lambda', 'factors', 'regularization', 'alpha', 'normalize'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ') || '–';
const table = rows.map((r) => [r.split as string, r.algorithm as string, shown(r.params as Params), f6(r.map), f6(r.ndcg), f6(r.precision), f6(r.recall), (r.coverage as number).toFixed(3), sec(r.trainSeconds), sec(r.scoreSeconds), r.tuneSeconds === null ? '–' : sec(r.tuneSeconds), r.reference as string]);
const header = ['split', 'algorithm', 'params', 'MAP', 'nDCG@10', 'P@10', 'R@10', 'coverage', 'train s', 'score s', 'tune s', 'reference (MAP / nDCG / P / R)'];
printTable(`MovieLens-100K, k = 10, seen items removed; medians of ${runs} runs`, header, table);
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`peak RSS ${peakRssMiB} MiB\n`);
process.stdout.write(`wrote ${writeResult('recommend', { runs, peakRssMiB, rows })}\n`);

replaceBetweenMarkers(new URL('../docs/recommend.md', import.meta.url), 'bench', `${markdownTable(header, table)}\n\nMedians of ${runs} runs on ${new Date().toISOString().slice(0, 10)}; peak RSS ${peakRssMiB} MiB.`);
