import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo, runJourneyDemo, seedDemoConsents } from '../../src/demo/index.ts';
import { importFile, type ImportKind } from '../../src/import/index.ts';
import { fitClv, scoreChurn, scoreClv, trainChurn } from '../../src/models/index.ts';
import { trainRecommendations } from '../../src/recommend/index.ts';
import { computeClusters, computeLayers, refreshSegment, saveSegment } from '../../src/segment/index.ts';
import { migrate, openStore, type Store } from '../../src/store/index.ts';

/**
 * A demo brand with every layer and model computed, as `siyu demo run` leaves it, on a temporary DuckDB file: what
 * the console's browser tests and its benchmark look at; with `journeyDays`, also the demo's consents and journeys.
 */
export async function demoStore(customers: number, seed = 42, options: { journeyDays?: number } = {}): Promise<{ store: Store; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-e2e-'));
  const files = generateDemo({ customers, seed, end: new Date('2026-10-31T23:59:59Z'), days: 730, outDir: dir });
  const store = await openStore(join(dir, 'siyu.duckdb'));
  await migrate(store);
  const steps: [ImportKind, string][] = [['customers', files.customers], ['products', files.products], ['orders', files.orders], ['order-items', files.orderItems], ['events', files.events]];
  for (const [kind, file] of steps) await importFile(store, kind, file, { rejectsPath: join(dir, `${kind}.rejects.csv`) });
  await computeLayers(store);
  await computeClusters(store);
  await fitClv(store, { model: 'bgnbd', timeUnit: 'week' });
  await scoreClv(store, { model: 'bgnbd' });
  await trainChurn(store);
  await scoreChurn(store);
  await trainRecommendations(store, { algorithm: 'sar', tune: false });
  await saveSegment(store, { name: '沉睡高价值', description: 'dormant or churned customers in the head or waist tier', definition: { all: [{ field: 'stage', op: 'in', value: ['dormant', 'churned'] }, { field: 'tier', op: 'in', value: ['head', 'waist'] }] }, refreshEvery: 'daily' });
  await refreshSegment(store, '沉睡高价值');
  // The demo's consents and its three journeys run for some simulated days, so profiles and journey reports have data.
  if (options.journeyDays) {
    await seedDemoConsents(store, seed, new Date('2026-10-31T23:59:59Z'));
    await runJourneyDemo(store, { days: options.journeyDays, seed });
  }
  return { store, dir };
}
