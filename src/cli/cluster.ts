import type { Command } from 'commander';
import { formatNumber as n, padDisplay } from '../core/text.ts';
import { computeClusters, type ClusterReport } from '../segment/index.ts';
import { action, emit, parseCount, withDb, withOpenStore } from './context.ts';

export function formatClusters(r: ClusterReport): string {
  return [
    `${r.k} behavioural clusters of ${n(r.customers)} buyers as of ${r.asOf}${r.silhouettes.length ? ` (k by silhouette: ${r.silhouettes.map((s) => `${s.k}→${s.silhouette.toFixed(3)}`).join(' ')})` : ''}`,
    ...r.clusters.map((c) => `  ${padDisplay(c.name, 14)} ${n(c.customers).padStart(8)} (${(c.share * 100).toFixed(1).padStart(4)}%)  orders/yr ${c.means.orders_365d!.toFixed(1)}  spend/yr ¥${n(c.means.monetary_365d!, 0)}  AOV ¥${n(c.means.aov!, 0)}  recency ${c.means.recency_days!.toFixed(0)} d`),
  ].join('\n');
}

export function registerCluster(program: Command): void {
  withDb(program.command('cluster').description('k-means++ on standardised RFM and behaviour, k by silhouette, each cluster named by what sets it apart (e.g. 高频低客单) → customer_clusters'))
    .option('--k <n>', 'number of clusters (default: the best silhouette over 2-10)')
    .option('--seed <n>', 'seed of the k-means++ start and the silhouette sample', '42')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { db?: string; k?: string; seed: string; json?: boolean }) => {
        await withOpenStore(opts.db, async (store) => {
          const r = await computeClusters(store, { k: opts.k === undefined ? undefined : parseCount(opts.k, '--k', 2), seed: parseCount(opts.seed, '--seed', 0) });
          emit(opts.json, r, () => formatClusters(r));
        });
      }),
    );
}
